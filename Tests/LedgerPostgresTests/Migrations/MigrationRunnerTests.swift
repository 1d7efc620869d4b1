import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("migration runner")
struct MigrationRunnerTests {
    @Test func downAllTheWayLeavesNoTablesThenUpSucceedsAgain() async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            let runner = try database.migrationRunner(connection)
            let count = try Repository.migrations().migrations.count
            #expect(try runner.up().count == count)
            #expect(try runner.down(steps: count).count == count)
            let leftovers = try connection.query(
                """
                SELECT c.relname FROM pg_class c
                WHERE c.relnamespace = 'public'::regnamespace AND c.relname <> 'schema_migrations'
                  AND c.relname NOT LIKE 'schema_migrations%'
                UNION ALL SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
                UNION ALL SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'
                """
            ).map { try $0.decode(String.self, at: 0) }
            #expect(leftovers == [])
            #expect(try runner.status().allSatisfy { $0.state == .pending })
            #expect(try runner.up().count == count)
            #expect(try runner.status().allSatisfy { $0.state == .applied })
        }
    }

    /// Rollbacks are tested, not trusted: down(N) must restore exactly the schema of up-to N-1.
    @Test func everyRollbackRestoresThePreviousSchemaExactly() async throws {
        // One database climbs the migrations in order (versions need not be contiguous: "the previous" is the
        // one before in order): each is applied, rolled back, compared, and applied again; the re-applied
        // schema must equal the first, so every step starts from the schema `up` alone would give.
        try await TestDatabase.with { database in
            let connection = try database.connect()
            let runner = try database.migrationRunner(connection)
            var before = try database.schemaDump()
            for migration in try Repository.migrations().migrations {
                try runner.up(to: migration.version)
                let applied = try database.schemaDump()
                #expect(applied != before, "\(migration.fileName) changed nothing")
                try runner.down(steps: 1)
                let after = try database.schemaDump()
                #expect(after == before, "\(migration.fileName): down does not undo up")
                try runner.up(to: migration.version)
                #expect(try database.schemaDump() == applied, "\(migration.fileName): up after down differs")
                before = applied
            }
        }
    }

    @Test func upToAndDryRunApplyExactlyWhatTheySay() async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            let runner = try database.migrationRunner(connection)
            let planned = try runner.up(to: 2, dryRun: true)
            #expect(planned.map(\.version) == [1, 2])
            #expect(try runner.status().allSatisfy { $0.state == .pending })
            #expect(try runner.up(to: 2).map(\.version) == [1, 2])
            let states = try runner.status().map { "\($0.version):\($0.state.rawValue)" }
            #expect(states.prefix(3) == ["1:applied", "2:applied", "3:pending"])
            #expect(try runner.down(steps: 1, dryRun: true).map(\.version) == [2])
            #expect(try runner.status()[1].state == .applied)
            #expect(throws: MigrationError.self) { try runner.up(to: 999) }
        }
    }

    @Test func changedChecksumIsRefusedNamingTheFile() async throws {
        try await TestDatabase.with { database in
            let folder = try copyOfMigrations()
            defer { try? FileManager.default.removeItem(at: folder) }
            let connection = try database.connect()
            let runner = try database.migrationRunner(connection, source: MigrationSource(directory: folder))
            try runner.up(to: 2)
            let file = folder.appendingPathComponent("002_affiliates.sql")
            try (String(contentsOf: file, encoding: .utf8) + "\n-- edited after applying\n")
                .write(to: file, atomically: true, encoding: .utf8)
            let edited = try database.migrationRunner(connection, source: MigrationSource(directory: folder))
            let error = try #require(throws: MigrationError.self) { try edited.up() }
            #expect(error.description.contains("002_affiliates.sql"))
            #expect(try edited.status().first { $0.version == 2 }?.state == .changed)
            #expect(try edited.status().first { $0.version == 3 }?.state == .pending)
        }
    }

    @Test func baselineMarksHandAppliedSchemaThenUpAppliesOnlyTheRest() async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            let source = try Repository.migrations()
            // The seed's production: 001 applied by hand, no bookkeeping.
            try connection.transaction { try connection.execute(source.migrations[0].upSQL) }
            let runner = try database.migrationRunner(connection)
            #expect(try runner.baseline(1).map(\.version) == [1])
            #expect(try runner.status()[0].state == .baselined)
            let applied = try runner.up()
            #expect(applied.map(\.version) == source.migrations.dropFirst().map(\.version))
        }
    }

    @Test func missingRollbackFileIsRejected() throws {
        let folder = try copyOfMigrations()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("003_analytics.down.sql"))
        let error = try #require(throws: MigrationError.self) { try MigrationSource(directory: folder) }
        #expect(error.description.contains("003_analytics.down.sql"))
    }

    @Test func failingMigrationLeavesNothingApplied() async throws {
        try await TestDatabase.with { database in
            let folder = try copyOfMigrations()
            defer { try? FileManager.default.removeItem(at: folder) }
            try "CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n"
                .write(to: folder.appendingPathComponent("999_broken.sql"), atomically: true, encoding: .utf8)
            try "DROP TABLE half_done;\n"
                .write(to: folder.appendingPathComponent("999_broken.down.sql"), atomically: true, encoding: .utf8)
            let connection = try database.connect()
            let runner = try database.migrationRunner(connection, source: MigrationSource(directory: folder))
            let error = try #require(throws: PostgresError.self) { try runner.up() }
            #expect(error.sqlState == "42P01")
            #expect(try runner.status().last?.state == .pending)
            #expect(try connection.query("SELECT to_regclass('half_done') IS NULL")[0].decode(Bool.self, at: 0))
        }
    }
}
