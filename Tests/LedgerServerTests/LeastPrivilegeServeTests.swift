import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

/// `ledger serve` under the roles of docs/operations.md: as a member of ledger_appender and
/// ledger_projector it appends webhooks, projects them live and answers the read API; with
/// `--no-projector` an appender is enough; a reader serves reads and appends nothing.
@Suite("least privilege: ledger serve")
struct LeastPrivilegeServeTests {
    /// A generated history's Stripe events, one JSON document each, with the owner's licenses seeded.
    func seededEvents(_ roles: DocumentedRoles) throws -> [[UInt8]] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serve-roles-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let events = directory.appendingPathComponent("events.jsonl")
        let fixtures = directory.appendingPathComponent("fixtures.sql")
        let generated = try runLedger([
            "generate", "--customers", "3", "--months", "2", "--seed", "7", "--out", events.path,
            "--fixtures-sql", fixtures.path,
        ])
        #expect(generated.status == 0, "\(generated.standardError)")
        try roles.connect(as: "owner").execute(try String(contentsOf: fixtures, encoding: .utf8))
        return try String(contentsOf: events, encoding: .utf8).split(separator: "\n").map { Array($0.utf8) }
    }

    func scalar(_ roles: DocumentedRoles, _ sql: String) throws -> Int64? {
        try roles.connect(as: "owner").query(sql)[0].decode(at: 0)
    }

    @Test func serveAppendsProjectsAndAnswersAsAppenderAndProjector() async throws {
        try await DocumentedRoles.with(migrating: .binary) { roles in
            let bodies = try seededEvents(roles)
            let snapshots = FileManager.default.temporaryDirectory.appendingPathComponent("serve-roles-\(UUID())")
            defer { try? FileManager.default.removeItem(at: snapshots) }
            let server = try await ServedLedger.start(
                databaseURL: try roles.url(as: "serve"), arguments: ["--snapshot-dir", snapshots.path])
            for body in bodies {
                let response = try await server.postWebhook(body, signature: sign(body))
                #expect(response.status == 200, "\(response.text)")
            }
            let head = try #require(try scalar(roles, "SELECT position FROM ledger.head"))
            #expect(head == Int64(bodies.count))
            try await waitUntil("the live projector reaches the head") {
                try scalar(roles, "SELECT max(position) FROM ledger.checkpoints WHERE projection = 'billing'") == head
            }
            let subscriptions = try roles.connect(as: "owner").query(
                "SELECT stripe_subscription_id FROM public.subscriptions ORDER BY 1")
            let subscription = try #require(try subscriptions.first?.decode(String.self, at: 0))
            for path in [
                "/v1/status", "/v1/events", "/v1/subscriptions/\(subscription)",
                "/v1/subscriptions/\(subscription)/history",
            ] {
                let response = try await server.get(path)
                #expect(response.status == 200, "\(path): \(response.text)")
            }
            let ready = try await server.request("GET", "/readyz")
            #expect(ready.status == 200, "\(ready.text)")
            #expect(try await server.request("GET", "/metrics").status == 200)
            let stopped = await server.stop()
            #expect(!stopped.standardError.contains("permission denied"), "\(stopped.standardError)")
        }
    }

    @Test func anAppenderServesWithoutTheProjectorAndAReaderAppendsNothing() async throws {
        try await DocumentedRoles.with(migrating: .binary) { roles in
            let appender = try await ServedLedger.start(
                databaseURL: try roles.url(as: "ingest"), arguments: ["--no-projector"])
            let first = subscriptionEvent("evt_least_privilege_1")
            #expect(try await appender.postWebhook(first, signature: sign(first)).status == 200)
            #expect(try await appender.get("/v1/events").status == 200)
            await appender.stop()

            let reader = try await ServedLedger.start(
                databaseURL: try roles.url(as: "api"), arguments: ["--no-projector"])
            let second = subscriptionEvent("evt_least_privilege_2")
            let refused = try await reader.postWebhook(second, signature: sign(second))
            // Not acknowledged, so Stripe delivers it again once the role is fixed.
            #expect(refused.status >= 500, "\(refused.text)")
            let events = try #require(try await reader.get("/v1/events").json)
            #expect((events["head"] as? NSNumber)?.int64Value == 1)
            await reader.stop()
            #expect(try scalar(roles, "SELECT count(*) FROM ledger.events") == 1)
        }
    }
}
