import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

/// The reducer's definition of the projected tables (``ProjectedTable``) against the migrated database's
/// catalogs: a migration that changes a column's type, length or nullability, or adds a CHECK, fails here
/// until the reducer checks what PostgreSQL will refuse.
@Suite("projected tables: the reducer's limits are the schema's")
struct ProjectedTableSchemaTests {
    /// A column as `information_schema.columns` describes it: `data_type`, then the length of a varchar.
    static func typeName(_ kind: ProjectedColumn.Kind) -> String {
        switch kind {
        case .uuid: "uuid"
        case .boolean: "boolean"
        case .integer: "integer"
        case .timestamptz: "timestamp with time zone"
        case .jsonb: "jsonb"
        case .text: "text"
        case .varchar(let length): "character varying \(length)"
        }
    }

    /// The one check of the column list every writer, audit, export and snapshot derives from: names,
    /// types, lengths, nullability and order equal the migrated table's.
    @Test(arguments: ProjectedTable.allCases)
    func columnsMatchTheCatalog(table: ProjectedTable) async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            try database.migrationRunner(connection).up()
            let catalog = try connection.query(
                """
                SELECT column_name, data_type, character_maximum_length, is_nullable = 'YES'
                FROM information_schema.columns
                WHERE table_schema = 'public' AND table_name = $1
                ORDER BY ordinal_position
                """, [table.rawValue]
            ).map { row in
                let length = try row.decode(Int?.self, at: 2).map { " \($0)" } ?? ""
                return "\(try row.decode(String.self, at: 0)) \(try row.decode(String.self, at: 1))\(length) "
                    + (try row.decode(Bool.self, at: 3) ? "NULL" : "NOT NULL")
            }
            let defined = table.columns.map {
                "\($0.name) \(Self.typeName($0.kind)) \($0.nullable ? "NULL" : "NOT NULL")"
            }
            #expect(defined == catalog)
            #expect(!catalog.isEmpty)
        }
    }

    @Test(arguments: ProjectedTable.allCases)
    func everyCheckConstraintHasAReducerRule(table: ProjectedTable) async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            try database.migrationRunner(connection).up()
            let checks = try connection.query(
                "SELECT conname FROM pg_constraint WHERE conrelid = ('public.' || $1)::regclass AND contype = 'c'",
                [table.rawValue]
            ).map { try $0.decode(String.self, at: 0) }
            #expect(Set(checks) == Set(table.checkConstraints.keys))
        }
    }
}
