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
    /// `$1` the checkpoint: the event right after it, with its age on the database's clock.
    static let selectOldestUnapplied = """
        SELECT position, source_event_id, type, floor(extract(epoch FROM now() - recorded_at))::bigint
        FROM ledger.events WHERE position = $1 + 1
        """

    /// The oldest event after `checkpoint`, or nil when the projection has applied the whole log.
    public static func oldestUnapplied(after checkpoint: Int64, _ connection: PostgresConnection) throws
        -> UnappliedEvent?
    {
        try connection.query(selectOldestUnapplied, [checkpoint]).first.map { row in
            UnappliedEvent(
                position: try row.decode(at: 0), sourceEventID: try row.decode(at: 1), type: try row.decode(at: 2),
                waitingSeconds: try row.decode(at: 3))
        }
    }
}
