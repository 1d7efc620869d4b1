import Foundation
import LedgerPostgres
import LedgerTestSupport
import Logging

extension TestDatabase {
    /// A runner over the checkout's migrations (or `source`) on this database.
    func migrationRunner(
        _ connection: PostgresConnection, source: MigrationSource? = nil
    ) throws -> MigrationRunner {
        MigrationRunner(
            connection: connection, source: try source ?? Repository.migrations(),
            logger: .quiet)
    }

    /// `pg_dump --schema-only` of this database, minus the migration bookkeeping table.
    func schemaDump() throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // A fixed restrict key: pg_dump otherwise writes a random one into every dump.
        process.arguments = [
            "pg_dump", "--schema-only", "--no-owner", "--exclude-table=public.schema_migrations",
            "--restrict-key=ledgertest", "--dbname=\(url)",
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestSupportError("pg_dump failed: \(errorText)") }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A writable copy of the checkout's migrations, for tests that edit files.
func copyOfMigrations() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: Repository.migrationsDirectory, to: folder)
    return folder
}
