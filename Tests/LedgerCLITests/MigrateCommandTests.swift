import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("ledger migrate")
struct MigrateCommandTests {
    @Test func concurrentMigrateUpProcessesApplyEachMigrationOnce() async throws {
        try await TestDatabase.with { database in
            let count = try Repository.migrations().migrations.count
            let outputs = try await withThrowingTaskGroup(of: ProcessOutput.self) { group in
                for _ in 0..<4 {
                    group.addTask { try runLedger(["migrate", "up", "--database-url", database.url]) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for output in outputs { #expect(output.status == 0, "\(output.standardError)") }
            let appliedLines = outputs.flatMap { $0.standardOutput.split(separator: "\n") }
                .filter { $0.hasPrefix("applied ") }
            #expect(appliedLines.count == count)
            #expect(Set(appliedLines).count == count)
            let connection = try database.connect()
            let recorded = try connection.query("SELECT count(*), count(DISTINCT version) FROM schema_migrations")[0]
            #expect(try recorded.decode(Int.self, at: 0) == count)
            #expect(try recorded.decode(Int.self, at: 1) == count)
        }
    }

    @Test func statusJSONListsEveryMigrationFromAnyWorkingDirectory() async throws {
        try await TestDatabase.with { database in
            let elsewhere = FileManager.default.temporaryDirectory
            let up = try runLedger(
                ["migrate", "up", "--to", "2"], environment: ["DATABASE_URL": database.url], workingDirectory: elsewhere
            )
            #expect(up.status == 0, "\(up.standardError)")
            let status = try runLedger(
                ["migrate", "status", "--json"], environment: ["DATABASE_URL": database.url],
                workingDirectory: elsewhere)
            #expect(status.status == 0, "\(status.standardError)")
            let entries = try #require(
                try JSONSerialization.jsonObject(with: Data(status.standardOutput.utf8)) as? [[String: Any]])
            #expect(entries.prefix(3).map { $0["version"] as? Int } == [1, 2, 3])
            #expect(entries.prefix(3).map { $0["state"] as? String } == ["applied", "applied", "pending"])
            #expect(entries.count == (try Repository.migrations().migrations.count))
            #expect(entries[0]["checksum"] as? String != nil)
            #expect(entries[0]["duration_milliseconds"] as? Int != nil)
        }
    }

    @Test func usageErrorsExitTwoAndDatabaseErrorsExitOne() throws {
        let usage = try runLedger(["migrate", "down", "--steps", "0"])
        #expect(usage.status == 2)
        #expect(usage.standardError.contains("--steps"))
        let unknown = try runLedger(["migrate", "sideways"])
        #expect(unknown.status == 2)
        let unreachable = try runLedger(["migrate", "status", "--database-url", "postgresql://nobody@127.0.0.1:1/none"])
        #expect(unreachable.status == 1)
        #expect(unreachable.standardError.contains("could not connect"))
        let help = try runLedger(["migrate", "--help"])
        #expect(help.status == 0)
        #expect(help.standardOutput.contains("baseline"))
    }
}
