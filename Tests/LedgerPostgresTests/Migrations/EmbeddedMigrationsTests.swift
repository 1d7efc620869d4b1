import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// The migrations compiled into the binary (the EmbedFiles build plugin) against `db/migrations`.
@Suite("built-in migrations")
struct EmbeddedMigrationsTests {
    /// Same versions, names and text: a recorded checksum made from the files matches the built-in
    /// migrations, so databases migrated either way agree.
    @Test func theBuiltInMigrationsAreTheRepositoryFilesByteForByte() throws {
        let embedded = try MigrationSource.embedded()
        let files = try Repository.migrations()
        #expect(embedded.migrations.map(\.fileName) == files.migrations.map(\.fileName))
        #expect(embedded.migrations.map(\.checksum) == files.migrations.map(\.checksum))
        #expect(embedded.migrations == files.migrations)
    }

    @Test func theBuiltInMigrationsAreUsedUnlessADirectoryIsGiven() throws {
        let folder = try copyOfMigrations()
        defer { try? FileManager.default.removeItem(at: folder) }
        let newest = try #require(try MigrationSource.embedded().migrations.last)
        try FileManager.default.removeItem(at: folder.appendingPathComponent(newest.fileName))
        try FileManager.default.removeItem(
            at: folder.appendingPathComponent("\(newest.fileName.dropLast(4)).down.sql"))

        let builtIn = try MigrationSource.locate(explicit: nil, environment: ["LEDGER_MIGRATIONS_DIR": ""])
        #expect(builtIn.origin == "the migrations built into ledger")
        #expect(builtIn.migrations.last == newest)
        let given = try MigrationSource.locate(explicit: folder.path, environment: [:])
        #expect(given.origin == folder.path)
        #expect(given.migrations.count == builtIn.migrations.count - 1)
        let configured = try MigrationSource.locate(explicit: nil, environment: ["LEDGER_MIGRATIONS_DIR": folder.path])
        #expect(configured.migrations == given.migrations)
    }

    /// A database a newer ledger migrated is refused with what to do, not with a missing file.
    @Test func aDatabaseMigratedByANewerLedgerIsRefusedWithWhy() async throws {
        try await TestDatabase.with { database in
            let folder = try copyOfMigrations()
            defer { try? FileManager.default.removeItem(at: folder) }
            try "CREATE TABLE newer_feature (id int);\n"
                .write(to: folder.appendingPathComponent("999_newer_feature.sql"), atomically: true, encoding: .utf8)
            try "DROP TABLE newer_feature;\n"
                .write(
                    to: folder.appendingPathComponent("999_newer_feature.down.sql"), atomically: true, encoding: .utf8)
            let connection = try database.connect()
            try database.migrationRunner(connection, source: MigrationSource(directory: folder)).up()

            let builtIn = try database.migrationRunner(connection, source: MigrationSource.embedded())
            let error = try #require(throws: MigrationError.self) { try builtIn.up() }
            #expect(error.description.contains("migration 999 (newer_feature)"))
            #expect(error.description.contains("not in the migrations built into ledger"))
            #expect(error.description.contains("newer ledger"))
        }
    }
}
