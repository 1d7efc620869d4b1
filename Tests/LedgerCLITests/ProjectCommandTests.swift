import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("ledger project, rebuild: signals and crashes")
struct ProjectCommandTests {
    /// Rebuilds from scratch and returns the drift it had to repair, as printed in JSON.
    func rebuildDrift(_ environment: [String: String]) throws -> Int {
        let output = try runLedger(["rebuild", "--json"], environment: environment)
        #expect(output.status == 0, "\(output.standardError)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any])
        let drift = try #require(report["drift"] as? [[String: Any]])
        return drift.reduce(0) { sum, table in
            sum + ["inserted", "updated", "deleted"].reduce(0) { $0 + (table[$1] as? Int ?? 0) }
        }
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func followAppliesAppendsAndExitsZeroOnASignal(signal: Int32) async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 20, months: 6, firstPart: 0.5)
            defer { loaded.remove() }
            try ingest(loaded.files[0], loaded.environment)
            let follower = try LedgerProcess(["project", "--follow", "--json"], environment: loaded.environment)
            try await Poll.until("the follower caught up") {
                try positions(database).checkpoint == positions(database).head
            }
            try ingest(loaded.files[1], loaded.environment)
            let head = try positions(database).head
            try await Poll.until("the follower applied the new events") { try positions(database).checkpoint == head }
            follower.send(signal)
            let output = follower.wait()
            #expect(output.status == 0, "\(output.standardError)")
            let reports = output.standardOutput.split(separator: "\n")
            #expect(reports.count >= 2)
            #expect(try rebuildDrift(loaded.environment) == 0)
        }
    }

    /// Three kills each land within 41 batches of one event; a history of several hundred events is
    /// enough for every kill to fall mid-catch-up (the test checks it did).
    @Test func projectKilledMidCatchUpConvergesOnTheNextRun() async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 30, months: 6)
            defer { loaded.remove() }
            try ingest(loaded.files[0], loaded.environment)
            let head = try positions(database).head
            for round in 0..<3 {
                let reached = try positions(database).checkpoint ?? 0
                let projector = try LedgerProcess(["project", "--batch-size", "1"], environment: loaded.environment)
                // Let it commit a few more batches, then kill it without a chance to clean up. The watcher
                // is a thread of its own: on the test pool it could be starved past the end of the run.
                let killer = BackgroundThread {
                    let connection = try database.connect()
                    let query = "SELECT coalesce((SELECT position FROM ledger.checkpoints), 0)"
                    while projector.isRunning {
                        if try connection.query(query)[0].decode(Int64.self, at: 0) > reached + Int64(round * 20) {
                            projector.send(SIGKILL)
                            return
                        }
                        usleep(1_000)
                    }
                }
                try await killer.value
                _ = projector.wait()
                let checkpoint = try #require(try positions(database).checkpoint)
                #expect(checkpoint < head, "the projector finished before it was killed; the test proved nothing")
            }
            let rerun = try runLedger(["project"], environment: loaded.environment)
            #expect(rerun.status == 0, "\(rerun.standardError)")
            #expect(try positions(database).checkpoint == head)
            #expect(try rebuildDrift(loaded.environment) == 0)
        }
    }

    /// Each kill lands at a seeded fraction of how long a whole rebuild took here, so the kills spread over
    /// the rebuild (start, replay, swap, exit) on a fast or a loaded machine alike, and a small history is
    /// enough.
    @Test func rebuildKilledAtAnyMomentLeavesTheOldOrTheNewTables() async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 40, months: 12)
            defer { loaded.remove() }
            try ingest(loaded.files[0], loaded.environment)
            let clock = ContinuousClock()
            let started = clock.now
            #expect(try rebuildDrift(loaded.environment) > 0)
            let rebuildTook = started.duration(to: clock.now)
            let connection = try database.connect()
            let sums = "SELECT count(*), coalesce(sum(amount_cents), 0) FROM subscriptions"
            func observed() throws -> [Int64] {
                let row = try connection.query(sums)[0]
                return [try row.decode(at: 0), try row.decode(at: 1)]
            }
            let clean = try observed()
            try connection.execute("UPDATE subscriptions SET amount_cents = amount_cents + 1")
            let tampered = try observed()
            let seed = TestSeed.value(default: 5)
            var generator = SeededGenerator(seed: seed)
            for _ in 0..<5 {
                let rebuild = try LedgerProcess(["rebuild"], environment: loaded.environment)
                // The kill lands at a chosen moment: the delay is the behaviour under test, not a wait.
                try await Task.sleep(for: rebuildTook * Double.random(in: 0.05...1.2, using: &generator))
                rebuild.send(SIGKILL)
                _ = rebuild.wait()
                let now = try observed()
                #expect(now == clean || now == tampered, "a killed rebuild left \(now) (seed \(seed))")
                if now == clean { try connection.execute("UPDATE subscriptions SET amount_cents = amount_cents + 1") }
            }
            #expect(try rebuildDrift(loaded.environment) > 0)
            #expect(try observed() == clean)
            #expect(try rebuildDrift(loaded.environment) == 0)
            // The dead writers' locks went with their connections.
            #expect(try runLedger(["project"], environment: loaded.environment).status == 0)
        }
    }
}
