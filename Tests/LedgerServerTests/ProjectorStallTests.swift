import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import LoopbackHTTPClient
import Testing

@testable import LedgerServer

@Suite("/readyz and /metrics report a projection that is not moving")
struct ProjectorStallTests {
    /// The decision alone, with instants made by hand (no clock, no threads).
    @Test func onlyRepeatedFailuresWithEventsWaitingPastTheBoundAreAStall() {
        let start = ContinuousClock.now
        let bound = Duration.seconds(30)
        func at(_ seconds: Int) -> ContinuousClock.Instant { start + .seconds(seconds) }
        var progress = ProjectorProgress(startedAt: start)
        // Not failing: never a stall, however long the head waits (a long first catch-up).
        #expect(progress.sample(checkpoint: 0, head: 100, now: at(600), bound: bound) == nil)
        progress.failed(at: at(600))
        // Failing, with events waiting, and the last progress (the start) 601 s ago: a stall.
        #expect(progress.sample(checkpoint: 0, head: 100, now: at(601), bound: bound) == .seconds(601))
        // Nothing waits: not a stall, even while failing.
        #expect(progress.sample(checkpoint: 100, head: 100, now: at(700), bound: bound) == nil)
        // The checkpoint moved between samples: that is progress, the clock starts again.
        #expect(progress.sample(checkpoint: 100, head: 150, now: at(720), bound: bound) == nil)
        #expect(progress.sample(checkpoint: 100, head: 150, now: at(731), bound: bound) == .seconds(31))
        // A committed catch-up ends the failing run.
        progress.succeeded(at: at(732))
        #expect(progress.sample(checkpoint: 100, head: 150, now: at(900), bound: bound) == nil)
        // Standby (another writer holds the lock) is not failing.
        progress.failed(at: at(901))
        progress.standby(at: at(902))
        #expect(progress.sample(checkpoint: 100, head: 150, now: at(2000), bound: bound) == nil)
        // Failing within the bound is not reported (a lost connection must not flap readiness).
        progress.succeeded(at: at(2000))
        progress.failed(at: at(2001))
        #expect(progress.sample(checkpoint: 100, head: 150, now: at(2030), bound: bound) == nil)
        #expect(progress.sample(checkpoint: 100, head: 150, now: at(2031), bound: bound) == .seconds(31))
    }

    /// The checkpoint write fails as a full disk would (SQLSTATE 53100, a trigger the test adds):
    /// the projector keeps retrying, the checkpoint stays while the head moves on, and past the
    /// bound `/readyz` answers 503 naming the position and the projector's error, and `/metrics`
    /// says it; once the disk "frees up" the projector catches up and both recover.
    @Test func aProjectorThatKeepsFailingMakesReadyz503UntilItMovesAgain() async throws {
        try await TestDatabase.withMigrated { database in
            // The default bound (30 s): with a short one the retries are still seconds apart, and /readyz can
            // catch the projector mid-attempt ("following") while it reports the stall.
            let server = try await ServedLedger.start(databaseURL: database.url)
            let first = subscriptionEvent("evt_stall_1", subscription: "sub_stall")
            #expect(try await server.postWebhook(first, signature: sign(first)).status == 200)
            try await waitUntil("the projector applied the first event") {
                let projector = try await server.get("/v1/status").json?["projector"] as? [String: Any]
                return (projector?["checkpoint"] as? NSNumber)?.int64Value == 1
            }
            #expect(try await server.request("GET", "/readyz").status == 200)

            let connection = try database.connect()
            try connection.execute(
                """
                CREATE FUNCTION public.test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'could not extend file: No space left on device (simulated)'
                    USING ERRCODE = 'disk_full'; END $$;
                CREATE TRIGGER test_disk_full BEFORE INSERT OR UPDATE ON ledger.checkpoints
                    FOR EACH ROW EXECUTE FUNCTION public.test_disk_full();
                """)
            let second = subscriptionEvent("evt_stall_2", subscription: "sub_stall", created: 1_700_000_100)
            #expect(try await server.postWebhook(second, signature: sign(second)).status == 200)
            // Webhooks are still taken while the projection is stuck: the log does not depend on it.
            let third = subscriptionEvent("evt_stall_3", subscription: "sub_other")
            #expect(try await server.postWebhook(third, signature: sign(third)).status == 200)

            var stalled: LoopbackHTTPResponse?
            // Between two failed attempts the projector is "retrying"; while one runs it is "following" again.
            try await waitUntil("readyz reports the stalled projection between attempts", timeout: .seconds(180)) {
                let response = try await server.request("GET", "/readyz")
                let state = (response.json?["projector"] as? [String: Any])?["state"] as? String
                if response.status == 503 && state == "retrying" { stalled = response }
                return stalled != nil
            }
            let response = try #require(stalled)
            let reason = response.json?["reason"] as? String ?? ""
            #expect(reason.contains("has not moved from position 1"), "\(reason)")
            #expect(reason.contains("head is at 3"), "\(reason)")
            #expect(reason.contains("No space left on device"), "the projector's error is missing: \(reason)")
            let projector = response.json?["projector"] as? [String: Any]
            #expect(projector?["state"] as? String == "retrying")
            #expect(((projector?["stalled_seconds"] as? NSNumber)?.int64Value ?? 0) > 0)
            #expect(response.json?["database"] as? String == "ok")
            let metrics = try await server.request("GET", "/metrics").text
            #expect(metrics.contains("ledger_projector_stalled 1.0"), "\(metrics)")
            #expect(try await server.request("GET", "/healthz").status == 200)

            try connection.execute("DROP TRIGGER test_disk_full ON ledger.checkpoints")
            try await waitUntil("readyz is ready again", timeout: .seconds(180)) {
                try await server.request("GET", "/readyz").status == 200
            }
            let ready = try await server.request("GET", "/readyz")
            let recovered = ready.json?["projector"] as? [String: Any]
            #expect((recovered?["checkpoint"] as? NSNumber)?.int64Value == 3, "\(ready.text)")
            #expect(try await server.request("GET", "/metrics").text.contains("ledger_projector_stalled 0.0"))
            let output = await server.stop()
            #expect(output.status == 0, "\(output.standardError)")
        }
    }

    /// Issue 13 point 7 at the server: a snapshot directory that cannot be written (here a path
    /// under a regular file, which even root cannot create) is a warning and a counted metric; the
    /// projector goes on and `/readyz` stays 200.
    @Test func snapshotsThatCannotBeWrittenAreCountedAndProjectionGoesOn() async throws {
        try await TestDatabase.withMigrated { database in
            let blocker = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-directory-\(UUID())")
            try Data("a file where the snapshot directory should be".utf8).write(to: blocker)
            defer { try? FileManager.default.removeItem(at: blocker) }
            let server = try await ServedLedger.start(
                databaseURL: database.url,
                arguments: [
                    "--snapshot-dir", blocker.appendingPathComponent("snapshots").path, "--snapshot-every", "1",
                ])
            for index in 0..<3 {
                let body = subscriptionEvent("evt_snapshot_\(index)", subscription: "sub_snapshot_\(index)")
                #expect(try await server.postWebhook(body, signature: sign(body)).status == 200)
            }
            try await waitUntil("the projector applied every event") {
                let projector = try await server.get("/v1/status").json?["projector"] as? [String: Any]
                return (projector?["checkpoint"] as? NSNumber)?.int64Value == 3
            }
            let metrics = try await server.request("GET", "/metrics").text
            let line = metrics.split(separator: "\n").first { $0.hasPrefix("ledger_snapshot_write_failures_total ") }
            let count = line.flatMap { Double($0.split(separator: " ")[1]) } ?? 0
            #expect(count >= 1, "\(line ?? "no ledger_snapshot_write_failures_total")")
            #expect(try await server.request("GET", "/readyz").status == 200)
            let output = await server.stop()
            #expect(output.status == 0, "\(output.standardError)")
            #expect(output.standardError.contains("snapshot not written"), "\(output.standardError.suffix(2000))")
        }
    }
}
