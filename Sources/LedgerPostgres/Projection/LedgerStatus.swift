import LedgerCore

/// Where the log and each projection stand: what `ledger status` prints.
public struct LedgerStatus: Sendable, Equatable, Codable {
    /// One projection's checkpoint.
    public struct Projection: Sendable, Equatable, Codable {
        public var name: String
        public var projectorVersion: Int
        public var position: Int64
        /// Events in the log the projection has not applied yet.
        public var lag: Int64
        /// Events parked by this projection (they could not become valid rows).
        public var parked: Int
    }

    public var headPosition: Int64
    public var headHash: String
    public var projections: [Projection]
    public var parkedEvents: Int
    public var rejectedInputs: Int
    /// Of the rejected inputs, deliveries of a stored event id with a different body (migration 011).
    public var conflictingDuplicates: Int
    /// The ledger's mode and the position of the event that fixed it; nil until an event states one.
    public var mode: FixedMode?

    /// `$1`-free: each checkpoint with its count of parked events.
    static let selectProjections = """
        SELECT c.projection, c.projector_version, c.position,
               (SELECT count(*) FROM ledger.parked p WHERE p.projection = c.projection)
        FROM ledger.checkpoints c ORDER BY c.projection
        """
    static let selectCounts = """
        SELECT (SELECT count(*) FROM ledger.parked), (SELECT count(*) FROM ledger.rejected_inputs),
               (SELECT count(*) FROM ledger.rejected_inputs WHERE conflicts_with_position IS NOT NULL)
        """

    /// Reads the status from the database.
    public static func read(_ connection: PostgresConnection) throws -> LedgerStatus {
        let head = try EventStore(connection: connection).head()
        let projections = try connection.query(selectProjections).map { row in
            let position: Int64 = try row.decode(at: 2)
            return Projection(
                name: try row.decode(at: 0), projectorVersion: try row.decode(at: 1), position: position,
                lag: max(head.position - position, 0), parked: try row.decode(at: 3))
        }
        let counts = try connection.query(selectCounts)[0]
        return LedgerStatus(
            headPosition: head.position, headHash: HexEncoding.encode(head.hash), projections: projections,
            parkedEvents: try counts.decode(at: 0), rejectedInputs: try counts.decode(at: 1),
            conflictingDuplicates: try counts.decode(at: 2), mode: try EventStore(connection: connection).fixedMode())
    }
}
