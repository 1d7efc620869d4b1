import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// `TestDatabase.withMigrated` copies a template migrated once per test process; a copy must be the
/// database the migration runner makes, or every test built on it would test something else.
@Suite("migrated template")
struct MigratedTemplateTests {
    @Test func aTemplateCopyEqualsAFreshlyMigratedDatabase() async throws {
        try await TestDatabase.withFreshlyMigrated { fresh in
            try await TestDatabase.withMigrated { copy in
                let (freshSchema, copySchema) = (try fresh.schemaDump(), try copy.schemaDump())
                let differing = zip(freshSchema.split(separator: "\n"), copySchema.split(separator: "\n"))
                    .filter { $0 != $1 }.prefix(5)
                #expect(freshSchema.contains("CREATE TABLE ledger.events"))
                #expect(freshSchema == copySchema, "first differing lines (fresh, copy): \(Array(differing))")
                let freshConnection = try fresh.connect()
                let copyConnection = try copy.connect()
                defer {
                    freshConnection.close()
                    copyConnection.close()
                }
                #expect(try contents(freshConnection) == contents(copyConnection))
            }
        }
    }

    /// Without a fresh identity both copies would carry the template's (migration 006 writes it once).
    @Test func eachCopyHasALedgerIdentityOfItsOwn() async throws {
        try await TestDatabase.withMigrated { first in
            try await TestDatabase.withMigrated { second in
                let ids = try [first, second].map { database -> [String] in
                    let connection = try database.connect()
                    defer { connection.close() }
                    return try connection.query("SELECT id::text FROM ledger.identity").map { try $0.decode(at: 0) }
                }
                #expect(ids[0].count == 1 && ids[1].count == 1)
                #expect(ids[0] != ids[1])
            }
        }
    }

    /// Every table's row count and the rows the migrations write themselves (their bookkeeping and the
    /// log's head), for a data-level comparison; the identity is random by design and compared by count.
    func contents(_ connection: PostgresConnection) throws -> [String] {
        let tables = try connection.query(
            """
            SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables
            WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
            ORDER BY 1
            """
        ).map { row -> String in try row.decode(at: 0) }
        var lines = try tables.map { table -> String in
            // Table names come from the catalog, quoted by format('%I').
            let count: Int64 = try connection.query("SELECT count(*) FROM \(table)")[0].decode(at: 0)
            return "\(table) \(count)"
        }
        lines += try connection.query(
            "SELECT version::text || ' ' || name || ' ' || checksum FROM public.schema_migrations ORDER BY version"
        ).map { try $0.decode(at: 0) }
        lines += try connection.query("SELECT position::text || ' ' || encode(hash, 'hex') FROM ledger.head").map {
            try $0.decode(at: 0)
        }
        return lines
    }
}
