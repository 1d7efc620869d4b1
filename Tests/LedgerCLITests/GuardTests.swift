import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// The guards on commands that destroy: what they refuse, what they say they would do, what they did.
@Suite("guards on destructive commands")
struct GuardTests {
    /// A migrated database whose log holds `events` notes.
    func migratedWithEvents(_ database: TestDatabase, _ events: Int) throws -> [String: String] {
        let environment = ["DATABASE_URL": database.url]
        let up = try runLedger(["migrate", "up"], environment: environment)
        #expect(up.status == 0, "\(up.standardError)")
        for index in 0..<events {
            let appended = try runLedger(
                ["append", "--stream", "note:guard", "--type", "note.recorded", "--data", #"{"n":\#(index)}"#],
                environment: environment)
            #expect(appended.status == 0, "\(appended.standardError)")
        }
        return environment
    }

    func eventCount(_ database: TestDatabase) throws -> Int64 {
        try database.connect().query("SELECT count(*) FROM ledger.events")[0].decode(Int64.self, at: 0)
    }

    /// `--steps` that reverts every migration above 003, so 004_event_log is the last one reverted.
    func stepsDownTo003() throws -> String { "\(try Repository.migrations().migrations.count - 3)" }

    func appliedVersions(_ database: TestDatabase) throws -> [Int] {
        try database.connect().query("SELECT version FROM public.schema_migrations ORDER BY version")
            .map { try $0.decode(Int.self, at: 0) }
    }

    @Test func rollingBackTheEventLogIsRefusedAndLeavesEverythingInPlace() async throws {
        try await TestDatabase.with { database in
            let environment = try migratedWithEvents(database, 3)
            let before = try appliedVersions(database)
            let refused = try runLedger(
                ["migrate", "down", "--steps", try stepsDownTo003()], environment: environment)
            #expect(refused.status == 1)
            #expect(refused.standardError.contains("004_event_log.sql"), "\(refused.standardError)")
            #expect(refused.standardError.contains("3 event(s)"), "\(refused.standardError)")
            #expect(refused.standardError.contains("--drop-event-log"), "\(refused.standardError)")
            // Refused before anything was rolled back: not even the migrations above 004.
            #expect(try appliedVersions(database) == before)
            #expect(try eventCount(database) == 3)
            #expect(try runLedger(["head"], environment: environment).status == 0)
        }
    }

    @Test func dropEventLogLetsTheRollbackProceedAndSaysWhatItReverted() async throws {
        try await TestDatabase.with { database in
            let environment = try migratedWithEvents(database, 2)
            let down = try runLedger(
                ["migrate", "down", "--steps", try stepsDownTo003(), "--drop-event-log"], environment: environment)
            #expect(down.status == 0, "\(down.standardError)")
            #expect(down.standardOutput.contains("reverted 004_event_log.sql"), "\(down.standardOutput)")
            #expect(down.standardOutput.contains("reverted 010_head_follows_log.sql"), "\(down.standardOutput)")
            #expect(try appliedVersions(database) == [1, 2, 3])
            let ledgerSchema = try database.connect().query("SELECT to_regnamespace('ledger') IS NULL")
            #expect(try ledgerSchema[0].decode(Bool.self, at: 0))
        }
    }

    @Test func anEmptyEventLogNeedsNoFlag() async throws {
        try await TestDatabase.with { database in
            let environment = try migratedWithEvents(database, 0)
            let down = try runLedger(["migrate", "down", "--steps", try stepsDownTo003()], environment: environment)
            #expect(down.status == 0, "\(down.standardError)")
            #expect(try appliedVersions(database) == [1, 2, 3])
        }
    }

    @Test func dryRunNamesEachMigrationItsTablesAndTheEventsLost() async throws {
        try await TestDatabase.with { database in
            let environment = try migratedWithEvents(database, 4)
            let before = try appliedVersions(database)
            let migrations = try Repository.migrations().migrations
            let dry = try runLedger(
                ["migrate", "down", "--steps", try stepsDownTo003(), "--dry-run"], environment: environment)
            #expect(dry.status == 0, "\(dry.standardError)")
            let lines = dry.standardOutput.split(separator: "\n").map(String.init)
            #expect(lines.count == migrations.count - 3, "\(dry.standardOutput)")
            #expect(lines.first?.hasPrefix("would revert \(try #require(migrations.last).fileName)") == true)
            let eventLog = try #require(lines.first { $0.hasPrefix("would revert 004_event_log.sql") })
            #expect(eventLog.contains("ledger.events"))
            #expect(eventLog.contains("ledger.head"))
            #expect(eventLog.contains("4 events would be lost"))
            let consumers = try #require(lines.first { $0.hasPrefix("would revert 009_consumers.sql") })
            #expect(consumers.contains("drops ledger.consumers"))
            #expect(!consumers.contains("lost"))
            #expect(try appliedVersions(database) == before)
            #expect(try eventCount(database) == 4)
        }
    }

    @Test func pruneKeepZeroIsRefusedAndPruneSaysWhatItDeleted() async throws {
        try await TestDatabase.with { database in
            let environment = try migratedWithEvents(database, 1)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("guard-\(UUID())")
            defer { try? FileManager.default.removeItem(at: directory) }
            let dir = ["--snapshot-dir", directory.path]
            #expect(try runLedger(["snapshot", "create"] + dir, environment: environment).status == 0)
            _ = try migratedWithEvents(database, 1)
            #expect(try runLedger(["snapshot", "create"] + dir, environment: environment).status == 0)
            func files() throws -> [String] {
                try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sqlite") }
                    .sorted()
            }
            #expect(try files().count == 2)

            let refused = try runLedger(["snapshot", "prune", "--keep", "0"] + dir, environment: environment)
            #expect(refused.status == 2)
            #expect(refused.standardError.contains("--keep must be at least 1"), "\(refused.standardError)")
            #expect(try files().count == 2)

            let oldest = try #require(try files().first)
            let pruned = try runLedger(["snapshot", "prune", "--keep", "1"] + dir, environment: environment)
            #expect(pruned.status == 0, "\(pruned.standardError)")
            #expect(pruned.standardOutput.contains("deleted 1 snapshot(s): \(oldest)"), "\(pruned.standardOutput)")
            #expect(try files().count == 1)
        }
    }
}
