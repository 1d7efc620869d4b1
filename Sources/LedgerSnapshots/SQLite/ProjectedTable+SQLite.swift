import LedgerCore

extension ProjectedTable {
    /// The table's column definitions in snapshot and `ledger export state` files, derived from the schema's
    /// columns (``ProjectedTable``) so a file always has PostgreSQL's columns in PostgreSQL's order.
    ///
    /// SQLite types: integers and booleans (0/1) are INTEGER, everything else (UUIDs in lower case, ISO 8601
    /// times, JSON) TEXT. `id` is the key, the Stripe id is unique, and a column is NOT NULL wherever every
    /// projected row has a value, which is stricter than PostgreSQL (``filledByEveryRow``).
    var sqliteColumnDefinitions: String {
        let filled = Set(filledByEveryRow.map(\.name))
        return columns.map { column in
            let type = column.kind == .integer || column.kind == .boolean ? "INTEGER" : "TEXT"
            let constraint =
                if column == primaryKey {
                    " PRIMARY KEY"
                } else if column == stripeIDColumn {
                    " NOT NULL UNIQUE"
                } else if !column.nullable || filled.contains(column.name) {
                    " NOT NULL"
                } else {
                    ""
                }
            return "\(column.name) \(type)\(constraint)"
        }.joined(separator: ",\n")
    }
}
