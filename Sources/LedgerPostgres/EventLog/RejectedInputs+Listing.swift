import LedgerCore

/// `ledger.rejected_inputs` as a list: what `ledger rejected` prints and `GET /v1/rejected` answers.
public struct RejectedInputList: Sendable, Equatable, Codable {
    /// One rejected input, without its body (kept in the table; it may be anything a sender sent).
    public struct Input: Sendable, Equatable, Codable {
        public var id: Int64
        /// When the ledger received it (ISO 8601, UTC).
        public var receivedAt: String
        /// `stripe` (file ingest, webhook) or another source name.
        public var source: String
        /// Where it came from: a file and line, or the webhook endpoint.
        public var origin: String
        public var reason: String
        public var bodyBytes: Int64
        /// For a conflicting duplicate (a stored event id with a different body): the stored event's position.
        public var conflictsWithPosition: Int64?
    }

    /// The lower bound asked for (`received_at >= since`), if any.
    public var since: String?
    /// Rejected inputs received since then; ``inputs`` lists the oldest ``Limits/rejectedInputsListedMax``.
    public var total: Int
    /// Oldest first; when fewer than ``total``, ask again with `since` at the last one's `received_at`.
    public var inputs: [Input]

    /// `$1` lower bound (timestamptz, NULL for all), `$2` row limit.
    static let selectInputs = """
        SELECT id, received_at, source, origin, reason, octet_length(body), conflicts_with_position
        FROM ledger.rejected_inputs WHERE $1::timestamptz IS NULL OR received_at >= $1::timestamptz
        ORDER BY received_at, id LIMIT $2
        """
    /// `$1` lower bound (timestamptz, NULL for all).
    static let countInputs = """
        SELECT count(*) FROM ledger.rejected_inputs WHERE $1::timestamptz IS NULL OR received_at >= $1::timestamptz
        """

    /// Reads the rejected inputs received at or after `since` (all when nil).
    public static func read(_ connection: PostgresConnection, since: EventTime? = nil) throws -> RejectedInputList {
        let bound: String? = since?.description
        let inputs = try connection.query(selectInputs, [bound, Limits.rejectedInputsListedMax]).map { row in
            Input(
                id: try row.decode(at: 0), receivedAt: try row.decode(EventTime.self, at: 1).description,
                source: try row.decode(at: 2), origin: try row.decode(at: 3), reason: try row.decode(at: 4),
                bodyBytes: try row.decode(at: 5), conflictsWithPosition: try row.decode(at: 6))
        }
        let total: Int = try connection.query(countInputs, [bound])[0].decode(at: 0)
        return RejectedInputList(since: since?.description, total: total, inputs: inputs)
    }
}

extension Limits {
    /// Rejected inputs `ledger rejected` and `GET /v1/rejected` list at once; the total is always exact.
    public static let rejectedInputsListedMax = 1_000
}
