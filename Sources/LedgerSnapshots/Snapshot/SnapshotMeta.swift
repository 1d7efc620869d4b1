import Foundation
import LedgerCore

/// The `snapshot_meta` row: what a snapshot holds and how to check it.
public struct SnapshotMeta: Sendable, Equatable, Codable {
    /// Layout version of the file.
    public var formatVersion: Int
    /// `ledger.identity.id` of the database whose log this state comes from.
    public var databaseID: UUID
    /// The log position the state is at: every event up to it is applied, none after.
    public var position: Int64
    /// The chain hash of the event at `position` (hex), proving which log prefix was applied.
    public var chainHash: String
    public var projectorVersion: Int
    public var subscriptionRows: Int
    public var paymentRows: Int
    public var parkedEvents: Int
    public var reducerRecords: Int
    /// Rows of `mrr_movements` (format 2).
    public var mrrMovements: Int
    /// SHA-256 (hex) over every table but `snapshot_meta`, in key order (see docs/snapshots.md).
    public var contentDigest: String
    /// When the snapshot was written (ISO 8601 UTC); informational, never used by a replay.
    public var createdAt: String
    public var ledgerVersion: String

    /// Every row of the file's tables (not counting `snapshot_meta`).
    public var totalRows: Int { subscriptionRows + paymentRows + parkedEvents + reducerRecords + mrrMovements }

    static let columns = """
        format_version, database_id, position, chain_hash, projector_version, subscription_rows, payment_rows,
        parked_events, reducer_records, content_digest, created_at, ledger_version, mrr_movements
        """

    var values: [SQLiteValue] {
        [
            .integer(Int64(formatVersion)), .uuid(databaseID), .integer(position), .text(chainHash),
            .integer(Int64(projectorVersion)), .integer(Int64(subscriptionRows)), .integer(Int64(paymentRows)),
            .integer(Int64(parkedEvents)), .integer(Int64(reducerRecords)), .text(contentDigest), .text(createdAt),
            .text(ledgerVersion), .integer(Int64(mrrMovements)),
        ]
    }

    init?(_ row: SQLiteRow) {
        guard row.columnCount == 13, let id = row.text(1).flatMap(UUID.init(uuidString:)),
            let chainHash = row.text(3), let digest = row.text(9), let createdAt = row.text(10),
            let ledgerVersion = row.text(11)
        else { return nil }
        formatVersion = Int(row.int64(0))
        databaseID = id
        position = row.int64(2)
        self.chainHash = chainHash
        projectorVersion = Int(row.int64(4))
        subscriptionRows = Int(row.int64(5))
        paymentRows = Int(row.int64(6))
        parkedEvents = Int(row.int64(7))
        reducerRecords = Int(row.int64(8))
        contentDigest = digest
        self.createdAt = createdAt
        self.ledgerVersion = ledgerVersion
        mrrMovements = Int(row.int64(12))
    }

    init(
        databaseID: UUID, position: Int64, chainHash: String, counts: (Int, Int, Int, Int, Int), contentDigest: String,
        createdAt: EventTime
    ) {
        formatVersion = SnapshotSchema.formatVersion
        self.databaseID = databaseID
        self.position = position
        self.chainHash = chainHash
        projectorVersion = ProjectionState.projectorVersion
        (subscriptionRows, paymentRows, parkedEvents, reducerRecords, mrrMovements) = counts
        self.contentDigest = contentDigest
        self.createdAt = createdAt.description
        ledgerVersion = LedgerVersion.current
    }
}
