import Foundation
import LedgerCore

/// Writes a projection state to a snapshot file, crash-safely.
///
/// The file is written under a temporary name in the target directory in one transaction
/// with prepared statements, its digest computed from the rows read back, fsynced, then
/// renamed into place and the directory fsynced. A crash at any moment leaves either no
/// new file or the complete one; temporary names are never read as snapshots.
public struct SnapshotWriter {
    /// Where the log stands at the state's position.
    public struct Origin: Sendable {
        public var databaseID: UUID
        public var position: Int64
        /// The chain hash of the event at `position` (32 bytes).
        public var chainHash: [UInt8]

        public init(databaseID: UUID, position: Int64, chainHash: [UInt8]) {
            self.databaseID = databaseID
            self.position = position
            self.chainHash = chainHash
        }
    }

    public let directory: SnapshotDirectory

    public init(directory: SnapshotDirectory) {
        self.directory = directory
    }

    /// Writes `state` (every event through `origin.position` applied) and returns the new file.
    public func write(_ state: LedgerProjections, origin: Origin, createdAt: EventTime) throws -> SnapshotFile {
        try directory.create()
        let final = directory.url(databaseID: origin.databaseID, position: origin.position)
        let staged = StagedPath(final: final)
        staged.discard()  // a temporary left by an earlier process of the same id
        do {
            let meta = try fill(staged.temporary, state: state, origin: origin, createdAt: createdAt)
            try staged.commit()
            // Checked again where it now lives: it opens as a snapshot and says what was written.
            let written = try SnapshotFile.open(final)
            guard written.meta == meta else {
                try? FileManager.default.removeItem(at: final)
                throw SnapshotProblem.unreadable("metadata differs after writing")
            }
            return written
        } catch {
            staged.discard()
            throw error
        }
    }

    private func fill(_ url: URL, state projections: LedgerProjections, origin: Origin, createdAt: EventTime) throws
        -> SnapshotMeta
    {
        let state = projections.billing
        let database = try SQLiteDatabase(path: url.path)
        defer { database.close() }
        // No rollback journal: the file is not visible under its real name until it is complete.
        try database.execute(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 8192; PRAGMA cache_size = -65536;")
        return try database.transaction {
            try database.execute(SnapshotSchema.create)
            // Inserted in key order (the key is the first value, a lower-case UUID), so pages fill sequentially.
            let subscriptions = state.subscriptionRows().map(SnapshotSchema.values).sorted(by: Self.firstValueOrder)
            try insert(subscriptions, into: "subscriptions", columns: 18, database)
            let payments = state.paymentRows().map(SnapshotSchema.values).sorted(by: Self.firstValueOrder)
            try insert(payments, into: "payment_transactions", columns: 14, database)
            let parked = state.parked.map { key, event -> [SQLiteValue] in
                [
                    .text(key.snapshotKey), .integer(event.position), .text(event.eventType),
                    .text(event.reason.description),
                ]
            }
            try insert(parked, into: "parked", columns: 4, database)
            let records = state.reducerRecords()
            try insert(
                records.map { [.text($0.kind.rawValue), .text($0.key), .blob($0.state)] }, into: "reducer_state",
                columns: 3, database)
            // Already in key order (log order).
            let movements = projections.mrr.movements
            try insert(movements.map(SnapshotSchema.values), into: "mrr_movements", columns: 9, database)
            let meta = SnapshotMeta(
                databaseID: origin.databaseID, position: origin.position,
                chainHash: HexEncoding.encode(origin.chainHash),
                counts: (subscriptions.count, payments.count, parked.count, records.count, movements.count),
                contentDigest: try ContentDigest.compute(database), createdAt: createdAt)
            try database.prepare("INSERT INTO snapshot_meta (\(SnapshotMeta.columns)) VALUES (\(placeholders(13)))")
                .run(meta.values)
            return meta
        }
    }

    private func insert(_ rows: [[SQLiteValue]], into table: String, columns: Int, _ database: SQLiteDatabase) throws {
        let statement = try database.prepare("INSERT INTO \(table) VALUES (\(placeholders(columns)))")
        for row in rows { try statement.run(row) }
    }

    private static func firstValueOrder(_ a: [SQLiteValue], _ b: [SQLiteValue]) -> Bool {
        guard case .text(let left) = a[0], case .text(let right) = b[0] else { return false }
        return left < right
    }

    private func placeholders(_ count: Int) -> String {
        (1...count).map { "?\($0)" }.joined(separator: ", ")
    }
}
