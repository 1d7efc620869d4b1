import LedgerCore

/// Snapshot records: the log's own account of every snapshot written (``SnapshotRecord``).
extension EventStore {
    /// Appends the record through `ledger.record_snapshot` (migration 011). `$1` snapshot position,
    /// `$2` chain hash at it (hex), `$3` projector version, `$4` format version, `$5` content digest
    /// (hex); returns the record's position (the existing one when the same record is stored already).
    static let recordSnapshotStatement = "SELECT ledger.record_snapshot($1, decode($2, 'hex'), $3, $4, $5)"

    /// Every snapshot record, oldest first: `$1` stream, `$2` type, `$3` source. One stream, read
    /// through its (stream_id, stream_version) index; one record per snapshot ever written.
    static let selectSnapshotRecords = """
        SELECT position, body FROM ledger.events
         WHERE stream_id = $1 AND type = $2 AND source = $3 ORDER BY stream_version
        """

    /// Records `record` in the log and returns the record's position. The function builds and
    /// chains the event itself under the append lock, so the caller needs only EXECUTE on it.
    ///
    /// Throws ``SnapshotNotRecorded`` when the role may not call it.
    public func recordSnapshot(_ record: SnapshotRecord) throws -> Int64 {
        do {
            let rows = try connection.query(
                Self.recordSnapshotStatement,
                [
                    record.position, record.chainHash, record.projectorVersion, record.formatVersion,
                    record.contentDigest,
                ])
            return try rows[0].decode(at: 0)
        } catch let error as PostgresError where error.sqlState == "42501" || error.sqlState == "42883" {
            throw SnapshotNotRecorded(underlying: error)
        }
    }

    /// Every snapshot record in the log with its position, oldest first; a body that is no record is skipped.
    public func snapshotRecords() throws -> [(position: Int64, record: SnapshotRecord)] {
        var records: [(position: Int64, record: SnapshotRecord)] = []
        let rows = try connection.query(
            Self.selectSnapshotRecords, [SnapshotRecord.streamID, SnapshotRecord.type, SnapshotRecord.source],
            resultFormat: .binary)
        for row in rows {
            guard let record = SnapshotRecord(body: try row.decode([UInt8].self, at: 1)) else { continue }
            records.append((try row.decode(Int64.self, at: 0), record))
        }
        return records
    }
}

/// The role may not record snapshots in the log (or the database lacks migration 011).
public struct SnapshotNotRecorded: Error, CustomStringConvertible, Sendable {
    public var underlying: PostgresError

    public var description: String {
        if underlying.sqlState == "42883" {
            return "cannot record the snapshot in the log: ledger.record_snapshot() is missing; run `ledger migrate up`"
        }
        return "cannot record the snapshot in the log: permission denied for ledger.record_snapshot(); "
            + "run it as a member of the projector role (docs/operations.md)"
    }
}
