import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("ledger snapshot")
struct SnapshotCommandTests {
    func sqlite3(_ file: String, _ sql: String) throws -> (status: Int32, output: String) {
        let result = try runSQLite(file, sql, readOnly: true)
        return (result.status, result.standardOutput)
    }

    func listing(_ environment: [String: String]) throws -> [[String: Any]] {
        let output = try runLedger(["snapshot", "list", "--json"], environment: environment)
        #expect(output.status == 0, "\(output.standardError)")
        return try #require(
            try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [[String: Any]])
    }

    @Test func createListVerifyPruneAndTheDocumentedQueriesRunInTheSQLiteShell() async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 30, months: 6, firstPart: 0.5)
            defer { loaded.remove() }
            var environment = loaded.environment
            environment["LEDGER_SNAPSHOT_DIR"] = loaded.directory.appendingPathComponent("snapshots").path
            try ingest(loaded.files[0], environment)
            let first = try runLedger(["snapshot", "create"], environment: environment)
            #expect(first.status == 0, "\(first.standardError)")
            try ingest(loaded.files[1], environment)
            let second = try runLedger(["snapshot", "create", "--json"], environment: environment)
            #expect(second.status == 0, "\(second.standardError)")
            let meta = try #require(
                try JSONSerialization.jsonObject(with: Data(second.standardOutput.utf8)) as? [String: Any])
            // The snapshot's record in the log is the event after it.
            #expect(meta["position"] as? Int == Int(try positions(database).head) - 1)

            let listed = try listing(environment)
            #expect(listed.count == 2)
            #expect(listed.allSatisfy { $0["valid"] as? Bool == true })
            #expect(try runLedger(["snapshot", "verify"], environment: environment).status == 0)
            let newest = try #require(listed.first?["path"] as? String)

            // Every query docs/snapshots.md shows runs against the file in the sqlite3 shell.
            let documentation = try String(
                contentsOf: Repository.root.appendingPathComponent("docs/snapshots.md"), encoding: .utf8)
            let block = try #require(
                documentation.components(separatedBy: "```sql").dropFirst().first?
                    .components(separatedBy: "```").first)
            let queries = block.components(separatedBy: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .filter { !$0.isEmpty }
            #expect(queries.count >= 4)
            for query in queries {
                let result = try sqlite3(newest, query)
                #expect(result.status == 0 && !result.output.isEmpty, "\(query)")
            }
            let counted = try sqlite3(
                newest, "SELECT subscription_rows = (SELECT count(*) FROM subscriptions) FROM snapshot_meta")
            #expect(counted.output.trimmingCharacters(in: .whitespacesAndNewlines) == "1")

            let pruned = try runLedger(["snapshot", "prune", "--keep", "1"], environment: environment)
            #expect(pruned.status == 0)
            #expect(try listing(environment).count == 1)
            #expect(
                try runLedger(["rebuild"], environment: environment).standardOutput.contains("from the snapshot at"))
        }
    }

    /// The kills at any moment land at a seeded fraction of how long a whole `snapshot create` took here, so
    /// they spread over the writer's run on a fast or a loaded machine alike; the others land while the file
    /// is being written. The file format's own crash safety is proved in LedgerSnapshotsTests.
    @Test func aWriterKilledAtAnyMomentNeverLeavesAnUsableHalfFile() async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 60, months: 12)
            defer { loaded.remove() }
            var environment = loaded.environment
            let directory = loaded.directory.appendingPathComponent("snapshots")
            environment["LEDGER_SNAPSHOT_DIR"] = directory.path
            try ingest(loaded.files[0], environment)
            let clock = ContinuousClock()
            let started = clock.now
            #expect(try runLedger(["snapshot", "create"], environment: environment).status == 0)
            let writerTook = started.duration(to: clock.now)
            let good = try listing(environment)
            #expect(good.count == 1)
            let seed = TestSeed.value(default: 68)
            var generator = SeededGenerator(seed: seed)
            var killedMidWrite = 0
            @Sendable func writing() throws -> Bool {
                try FileManager.default.contentsOfDirectory(atPath: directory.path).contains { $0.hasPrefix(".") }
            }
            // At least 8 rounds, and more (up to 40) until one kill has landed mid-write: on a loaded machine
            // the random moments can all miss the write, which proves nothing either way.
            var round = 0
            while round < 8 || (killedMidWrite == 0 && round < 40) {
                defer { round += 1 }
                let writer = try LedgerProcess(["snapshot", "create", "--from-scratch"], environment: environment)
                if round.isMultiple(of: 2) {
                    // At any moment, replay included.
                    try await Task.sleep(for: writerTook * Double.random(in: 0...1.1, using: &generator))
                } else {
                    // While the file is being written: as soon as the temporary file appears, plus a little;
                    // watched from a thread of its own so a busy test pool cannot make it miss the window.
                    let delay = UInt32.random(in: 0...30_000, using: &generator)
                    try await BackgroundThread {
                        while writer.isRunning, try !writing() { usleep(500) }
                        usleep(delay)
                    }.value
                }
                writer.send(SIGKILL)
                _ = writer.wait()
                let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                if names.contains(where: { $0.hasPrefix(".") }) { killedMidWrite += 1 }
                // Whatever was left: every listed snapshot is complete and valid, the old one is still there.
                let listed = try listing(environment)
                #expect(listed.allSatisfy { $0["valid"] as? Bool == true }, "seed \(seed): \(listed)")
                #expect(listed.contains { $0["path"] as? String == good[0]["path"] as? String })
            }
            #expect(killedMidWrite > 0, "no kill landed while a file was being written")
            let rebuilt = try runLedger(["rebuild", "--json"], environment: environment)
            #expect(rebuilt.status == 0, "\(rebuilt.standardError)")
            // Abandoned temporary files are removed by the next writer.
            #expect(try runLedger(["snapshot", "create"], environment: environment).status == 0)
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            #expect(!names.contains { $0.hasPrefix(".") }, "\(names)")
        }
    }
}
