import LedgerCore

extension SnapshotFile {
    /// Calls `body` with every row of a projected table as the file holds it, columns in ``ProjectedTable``
    /// order (the snapshot's own), in key order; a rebuild takes the rows of objects the tail left alone from here.
    public func forEachRow(of table: ProjectedTable, _ body: (SQLiteRow) throws -> Void) throws {
        let database = try SQLiteDatabase(path: url.path, readOnly: true)
        defer { database.close() }
        let columns = table.columns.map(\.name).joined(separator: ", ")
        try database.prepare("SELECT \(columns) FROM \(table.rawValue) ORDER BY id").forEachRow { try body($0) }
    }
}

extension SubscriptionRow {
    /// The row's values as a snapshot file stores them (``SnapshotFile/forEachRow(of:_:)`` reads them back).
    public var snapshotValues: [SQLiteValue] { SnapshotSchema.values(self) }
}

extension PaymentTransactionRow {
    /// The row's values as a snapshot file stores them.
    public var snapshotValues: [SQLiteValue] { SnapshotSchema.values(self) }
}
