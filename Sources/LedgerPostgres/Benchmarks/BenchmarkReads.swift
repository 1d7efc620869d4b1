import LedgerCore

/// What the benchmarks (`ledger-bench`) read around a measurement — to choose its inputs and to
/// check its outcome — never what they time.
public struct BenchmarkReads {
    /// `$1` how many, `$2` a stream-id prefix (``StreamID``): the ids of random streams of that kind.
    static let selectRandomStreams = """
        SELECT stream_id FROM ledger.events
        WHERE starts_with(stream_id, $2) AND stream_version = 1 ORDER BY random() LIMIT $1
        """
    /// The log's first and last `recorded_at` and its last position.
    static let selectLogExtent = "SELECT min(recorded_at), max(recorded_at), max(position) FROM ledger.events"
    /// The newest day with MRR data (days since 1970-01-01, NULL when none), the daily rows, the movements.
    static let selectMRRExtent = """
        SELECT (max(day) - DATE '1970-01-01'), (SELECT count(*) FROM mrr_daily), (SELECT count(*) FROM mrr_movements)
        FROM mrr_daily
        """
    /// `$1` customer id: how many events name that customer.
    static let selectCustomerEventCount = "SELECT count(*) FROM ledger.events WHERE customer_id = $1"
    /// Every event's `source_event_id` (NULL for an event that did not come from Stripe).
    static let selectSourceEventIDs = "SELECT source_event_id FROM ledger.events"

    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// The ids of up to `count` random streams whose id starts with `prefix`.
    public func randomStreams(prefix: String, count: Int) throws -> [String] {
        try connection.query(Self.selectRandomStreams, [count, prefix]).map { try $0.decode(String.self, at: 0) }
    }

    /// How many events name `customerID`: what a history of one of its objects replays.
    public func eventCount(ofCustomer customerID: String) throws -> Int64 {
        try connection.query(Self.selectCustomerEventCount, [customerID])[0].decode(Int64.self, at: 0)
    }

    /// When the log's first and last events were recorded, and its last position.
    public func logExtent() throws -> (first: EventTime, last: EventTime, head: Int64) {
        let row = try connection.query(Self.selectLogExtent, resultFormat: .binary)[0]
        return (try row.decode(at: 0), try row.decode(at: 1), try row.decode(at: 2))
    }

    /// The newest day in `mrr_daily` (nil when it is empty), and how many daily rows and movements there are.
    public func mrrExtent() throws -> (newest: UTCDay?, dailyRows: Int64, movements: Int64) {
        let row = try connection.query(Self.selectMRRExtent)[0]
        let newest = try row.decode(Int64?.self, at: 0).map { UTCDay(daysSinceEpoch: $0) }
        return (newest, try row.decode(at: 1), try row.decode(at: 2))
    }

    /// Every stored event's `source_event_id`, nil for events that did not come from Stripe.
    public func sourceEventIDs() throws -> [String?] {
        try connection.query(Self.selectSourceEventIDs).map { try $0.decode(String?.self, at: 0) }
    }
}
