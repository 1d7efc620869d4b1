import LedgerCore

/// Where a `ledger sync` stands, in `ledger.sync_cursors` (migration 015), over one connection.
///
/// Invariant: a cursor moves forward only, and only after the events it covers were committed by their
/// own append; a process killed in between finds the old cursor and lists those events again, which the
/// log answers as duplicates. So resuming never leaves a gap and never stores an event twice.
public struct SyncCursorStore {
    /// One sync's row.
    public struct Cursor: Sendable, Equatable {
        /// The connected account (`acct_…`), or "" for the platform's own.
        public var account: String
        public var mode: LedgerMode
        /// Every Stripe event created before this second (Unix seconds) is in the log.
        public var createdThrough: Int64
        public var eventsAppended: Int64
    }

    /// `$1` name; the row, if any.
    static let selectCursor = """
        SELECT account, mode, created_through, events_appended FROM ledger.sync_cursors WHERE name = $1
        """
    /// `$1` name, `$2` account, `$3` mode, `$4` created_through, `$5` events appended by this step.
    /// Creates the row or moves it forward; never back (`GREATEST`).
    static let upsertCursor = """
        INSERT INTO ledger.sync_cursors (name, account, mode, created_through, events_appended)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (name) DO UPDATE
        SET created_through = GREATEST(ledger.sync_cursors.created_through, EXCLUDED.created_through),
            events_appended = ledger.sync_cursors.events_appended + EXCLUDED.events_appended,
            updated_at = now()
        """
    /// `$1` source (`stripe`); `occurred_at` (Stripe's `created`) of the last appended event from that source.
    static let selectNewestSourceEvent = """
        SELECT extract(epoch FROM occurred_at)::bigint FROM ledger.events
        WHERE source = $1 ORDER BY position DESC LIMIT 1
        """

    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// The cursor named `name`, nil before the first sync.
    public func cursor(named name: String) throws -> Cursor? {
        guard let row = try connection.query(Self.selectCursor, [name]).first else { return nil }
        let modeText: String = try row.decode(at: 1)
        guard let mode = LedgerMode(rawValue: modeText) else {
            throw PostgresError(.protocolViolation, message: "ledger.sync_cursors.mode holds \(modeText)")
        }
        return Cursor(
            account: try row.decode(at: 0), mode: mode, createdThrough: try row.decode(at: 2),
            eventsAppended: try row.decode(at: 3))
    }

    /// Moves cursor `name` to `createdThrough` (creating it), adding `appended` to its count.
    public func advance(
        _ name: String, account: String, mode: LedgerMode, createdThrough: Int64, appended: Int
    ) throws {
        try connection.query(Self.upsertCursor, [name, account, mode.rawValue, createdThrough, Int64(appended)])
    }

    /// `created` (Unix seconds) of the last Stripe event appended to the log, nil when it holds none.
    public func newestStripeEventCreated() throws -> Int64? {
        try connection.query(Self.selectNewestSourceEvent, [EventSource.stripe]).first?.decode(at: 0)
    }
}
