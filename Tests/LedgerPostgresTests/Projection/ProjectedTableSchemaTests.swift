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
    /// `format_type` of each kind, as PostgreSQL prints the column's type.
    static func typeName(_ kind: ProjectedColumn.Kind) -> String {
        switch kind {
        case .uuid: "uuid"
        case .boolean: "boolean"
        case .integer: "integer"
        case .timestamptz: "timestamp with time zone"
        case .jsonb: "jsonb"
        case .text: "text"
        case .varchar(let length): "character varying(\(length))"
        }
    }

    @Test(arguments: ProjectedTable.allCases)
    func columnsMatchTheCatalog(table: ProjectedTable) async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            try database.migrationRunner(connection).up()
            let catalog = try connection.query(
                """
                SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull
                FROM pg_attribute a
                WHERE a.attrelid = ('public.' || $1)::regclass AND a.attnum > 0 AND NOT a.attisdropped
                ORDER BY a.attnum
                """, [table.rawValue]
            ).map { row in
                "\(try row.decode(String.self, at: 0)) \(try row.decode(String.self, at: 1)) "
                    + (try row.decode(Bool.self, at: 2) ? "NULL" : "NOT NULL")
            }
            let defined = table.columns.map {
                "\($0.name) \(Self.typeName($0.kind)) \($0.nullable ? "NULL" : "NOT NULL")"
            }
            #expect(defined == catalog)
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
