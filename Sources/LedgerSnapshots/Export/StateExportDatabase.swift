import Foundation
import LedgerCore

/// The SQLite file of `ledger export state --format sqlite`: the projected rows at a position for
/// analytics tools (the `sqlite3` shell, Python's `sqlite3`, pandas, DuckDB's `sqlite` extension).
///
/// `subscriptions` and `payment_transactions` have the snapshot layout's columns and values
/// (``SnapshotSchema``), as ordinary rowid tables: DuckDB's SQLite scanner splits a scan by rowid,
/// and older versions of it cannot read `WITHOUT ROWID` tables at all. `export_meta` holds one row
/// (``StateExportMeta``). Nothing of the reducer's private state is in it: it is a product, not
/// a snapshot a replay can start from.
public enum StateExportDatabase {
    static let createMeta = """
        CREATE TABLE export_meta (
            format_version INTEGER NOT NULL,
            database_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            chain_hash TEXT NOT NULL,
            as_of TEXT,
            projector_version INTEGER NOT NULL,
            subscription_rows INTEGER NOT NULL,
            payment_rows INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            ledger_version TEXT NOT NULL
        );
        CREATE TABLE subscriptions (\(SnapshotSchema.subscriptionsColumns));
        CREATE TABLE payment_transactions (\(SnapshotSchema.paymentTransactionsColumns));
        """

    /// Writes a new file at `path` (which must not exist: the caller stages it) and checks it by reading it back.
    public static func write(
        subscriptions: [SubscriptionRow], payments: [PaymentTransactionRow], meta: StateExportMeta, to path: String
    ) throws {
        let database = try SQLiteDatabase(path: path)
        defer { database.close() }
        // No journal: the caller renames the file into place only once it is complete.
        try database.execute("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;")
        try database.transaction {
            try database.execute(createMeta)
            try insert(subscriptions.map(SnapshotSchema.values), into: "subscriptions", database)
            try insert(payments.map(SnapshotSchema.values), into: "payment_transactions", database)
            try insert([metaValues(meta)], into: "export_meta", database)
        }
        try check(database, meta: meta)
    }

    static func metaValues(_ meta: StateExportMeta) -> [SQLiteValue] {
        zip(meta.columnValues, StateExportTable.meta.columns).map { cell, column in
            guard let value = cell.value else { return .null }
            switch column.kind {
            case .integer: return Int64(value).map(SQLiteValue.integer) ?? .text(value)
            case .boolean: return .integer(value == "true" ? 1 : 0)
            case .text, .json: return .text(value)
            }
        }
    }

    /// Inserts rows in key order (the key is the first value), so the id index fills sequentially.
    private static func insert(_ rows: [[SQLiteValue]], into table: String, _ database: SQLiteDatabase) throws {
        guard let width = rows.first?.count else { return }
        let keyed = rows.map { row -> (key: String, row: [SQLiteValue]) in
            guard case .text(let key) = row[0] else { return ("", row) }
            return (key, row)
        }
        let placeholders = (1...width).map { "?\($0)" }.joined(separator: ", ")
        let statement = try database.prepare("INSERT INTO \(table) VALUES (\(placeholders))")
        for entry in keyed.sorted(by: { $0.key < $1.key }) { try statement.run(entry.row) }
    }

    /// The file opens, passes `quick_check`, and holds the rows `meta` counts.
    private static func check(_ database: SQLiteDatabase, meta: StateExportMeta) throws {
        let counts = try database.prepare(
            """
            SELECT (SELECT group_concat(quick_check) FROM pragma_quick_check), (SELECT count(*) FROM subscriptions),
                   (SELECT count(*) FROM payment_transactions), (SELECT position FROM export_meta)
            """
        ).rows()
        guard counts.count == 1,
            counts[0] == [
                .text("ok"), .integer(Int64(meta.subscriptionRows)), .integer(Int64(meta.paymentRows)),
                .integer(meta.position),
            ]
        else {
            throw SQLiteError(
                code: 1, message: "the export file reads back differently from what was written: \(counts)")
        }
    }
}
