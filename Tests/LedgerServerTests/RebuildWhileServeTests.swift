import Foundation
import LedgerEngine
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("rebuild while serve runs")
struct RebuildWhileServeTests {
    /// `ledger rebuild` asks the live projector to pause, rebuilds, and the projector resumes from the
    /// rebuild's checkpoint: webhooks that arrive afterwards are projected without restarting the server.
    @Test func rebuildCompletesWhileServeRunsAndTheLiveProjectorResumes() async throws {
        try await TestDatabase.withMigrated { database in
            let server = try await ServedLedger.start(databaseURL: database.url)
            for index in 0..<5 { try await post(server, "evt_before_\(index)", subscription: "sub_r\(index)") }
            try await waitForProjector(server, "the live projector applied the first events") { $0.checkpoint == 5 }

            let url = database.url
            let rebuild = try await BackgroundThread {
                try runLedger(["rebuild", "--wait", "60"], environment: ["DATABASE_URL": url])
            }.value
            #expect(rebuild.status == 0, "\(rebuild.standardError)")
            #expect(rebuild.standardOutput.contains("through position 5"), "\(rebuild.standardOutput)")

            try await waitForProjector(server, "the live projector resumed after the rebuild") {
                $0.state == "following" && $0.rebuildPauses == 1
            }
            for index in 0..<5 { try await post(server, "evt_after_\(index)", subscription: "sub_r\(index)") }
            try await waitForProjector(server, "the resumed projector applied the new events") { $0.checkpoint == 10 }
            let checkpoint: Int64 = try database.connect().query(
                "SELECT position FROM ledger.checkpoints WHERE projection = 'billing'")[0].decode(at: 0)
            #expect(checkpoint == 10)
            let output = await server.stop()
            #expect(output.status == 0, "\(output.standardError)")
        }
    }

    /// A session that holds the writer lock and never listens cannot be asked to pause: the rebuild gives
    /// up after --wait with status 3 and names the session, so the operator can find it.
    @Test func aHolderThatDoesNotPauseMakesRebuildExit3NamingIt() async throws {
        try await TestDatabase.withMigrated { database in
            let holder = try database.connect()
            try holder.query("SELECT set_config('application_name', 'nightly-script', false)")
            try AdvisoryLock(key: ProjectionLease.writerLockKey).lock(on: holder)
            let url = database.url
            let rebuild = try await BackgroundThread {
                try runLedger(["rebuild", "--wait", "1"], environment: ["DATABASE_URL": url])
            }.value
            #expect(rebuild.status == 3, "\(rebuild.standardError)")
            #expect(rebuild.standardError.contains("backend pid \(holder.backendPID)"), "\(rebuild.standardError)")
            #expect(rebuild.standardError.contains("\"nightly-script\""), "\(rebuild.standardError)")
            #expect(rebuild.standardError.contains("--no-projector"), "\(rebuild.standardError)")

            // Once it lets go, the rebuild goes through.
            try AdvisoryLock(key: ProjectionLease.writerLockKey).unlock(on: holder)
            let again = try await BackgroundThread {
                try runLedger(["rebuild", "--wait", "1"], environment: ["DATABASE_URL": url])
            }.value
            #expect(again.status == 0, "\(again.standardError)")
        }
    }

    /// A one-shot `ledger project` started while serve follows the log is refused with status 3, and told
    /// which process holds the projection (application name with its pid).
    @Test func aSecondProjectorIsToldWhichProcessHoldsTheProjection() async throws {
        try await TestDatabase.withMigrated { database in
            let server = try await ServedLedger.start(databaseURL: database.url)
            try await waitForProjector(server, "the live projector runs") { $0.state == "following" }
            let url = database.url
            let project = try await BackgroundThread {
                try runLedger(["project"], environment: ["DATABASE_URL": url])
            }.value
            #expect(project.status == 3, "\(project.standardError)")
            let pid = server.process.processIdentifier
            #expect(project.standardError.contains("ledger serve (pid \(pid) on "), "\(project.standardError)")
            let output = await server.stop()
            #expect(output.status == 0, "\(output.standardError)")
        }
    }

    private func post(_ server: ServedLedger, _ id: String, subscription: String) async throws {
        let body = subscriptionEvent(id, subscription: subscription)
        let response = try await server.postWebhook(body, signature: sign(body))
        #expect(response.status == 200, "\(response.text)")
    }
}

/// The live projector's part of `/v1/status`.
struct LiveProjectorStatus {
    var state: String?
    var checkpoint: Int64?
    var rebuildPauses: Int?
    var restarts: Int?
}

/// Polls `/v1/status` until the projector's status satisfies `condition`.
func waitForProjector(
    _ server: ServedLedger, _ what: String, timeout: Duration = .seconds(120),
    _ condition: @escaping (LiveProjectorStatus) -> Bool
) async throws {
    try await waitUntil(what, timeout: timeout) {
        guard let projector = try await server.get("/v1/status").json?["projector"] as? [String: Any] else {
            return false
        }
        return condition(
            LiveProjectorStatus(
                state: projector["state"] as? String,
                checkpoint: (projector["checkpoint"] as? NSNumber)?.int64Value,
                rebuildPauses: (projector["rebuild_pauses"] as? NSNumber)?.intValue,
                restarts: (projector["restarts"] as? NSNumber)?.intValue))
    }
}
