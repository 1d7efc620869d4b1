import LedgerCore

/// The oldest event a projection has not applied yet, and how long ago it was recorded.
public struct UnappliedEvent: Sendable, Equatable, Encodable {
    public var position: Int64
    /// Stripe's `evt_…` id, nil for a native event.
    public var sourceEventID: String?
    public var type: String
    /// Seconds between the event's `recorded_at` and now, on the database's clock (so no host clock skews it).
    public var waitingSeconds: Int64
}

extension LedgerStatus {
    /// `$1` the checkpoint; `$2`, `$3`, `$4` a snapshot record's stream, type and source: the first event
    /// after the checkpoint that is not a snapshot record, with its age on the database's clock (a scan of
    /// the primary key from the checkpoint).
    static let selectOldestUnapplied = """
        SELECT position, source_event_id, type, floor(extract(epoch FROM now() - recorded_at))::bigint
        FROM ledger.events WHERE position > $1 AND NOT (stream_id = $2 AND type = $3 AND source = $4)
        ORDER BY position LIMIT 1
        """

    /// The oldest event after `checkpoint` that the projection must still apply, or nil when there is none.
    ///
    /// Snapshot records (``SnapshotRecord``) do not count: they change no row, and a `project` or `rebuild`
    /// that writes a snapshot at its last position leaves the record after its checkpoint, where it would
    /// otherwise look like an event waiting since the run ended.
    public static func oldestUnapplied(after checkpoint: Int64, _ connection: PostgresConnection) throws
        -> UnappliedEvent?
    {
        let parameters: [any PostgresEncodable] = [
            checkpoint, SnapshotRecord.streamID, SnapshotRecord.type, SnapshotRecord.source,
        ]
        return try connection.query(selectOldestUnapplied, parameters).first.map { row in
            UnappliedEvent(
                position: try row.decode(at: 0), sourceEventID: try row.decode(at: 1), type: try row.decode(at: 2),
                waitingSeconds: try row.decode(at: 3))
        }
    }
}
