import LedgerCore

/// One row of `ledger.parked`: an event a projection could not turn into a valid row.
public struct ParkedRecord: Sendable, Equatable, Codable {
    public var objectID: String
    public var position: Int64
    public var eventType: String
    public var reason: String

    public init(objectID: String, position: Int64, eventType: String, reason: String) {
        self.objectID = objectID
        self.position = position
        self.eventType = eventType
        self.reason = reason
    }
}

/// `ledger.checkpoints` and `ledger.parked`, written with the projected rows.
public struct ProjectionBookkeeping {
    /// `$1` projection, `$2` projector version, `$3` position, `$4` time (timestamptz).
    static let upsertCheckpoint = """
        INSERT INTO ledger.checkpoints (projection, projector_version, position, updated_at)
        VALUES ($1, $2, $3, $4::timestamptz)
        ON CONFLICT (projection) DO UPDATE
        SET projector_version = EXCLUDED.projector_version, position = EXCLUDED.position, updated_at = EXCLUDED.updated_at
        """
    static let copyParked = """
        COPY ledger.parked (projection, position, object_id, event_type, reason) FROM STDIN (FORMAT binary)
        """

    /// `$1` projection name.
    static let selectParked = """
        SELECT object_id, position, event_type, reason FROM ledger.parked
        WHERE projection = $1 ORDER BY position, object_id
        """

    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Replaces the projection's parked events and moves its checkpoint (inside the caller's transaction).
    public func replace(
        parked: [ParkedRecord], projection: String, projectorVersion: Int, checkpoint: Int64, at time: EventTime
    ) throws {
        try replaceParked(parked, projection: projection)
        try moveCheckpoint(of: projection, projectorVersion: projectorVersion, to: checkpoint, at: time)
    }

    /// Replaces the projection's parked events with `parked`.
    public func replaceParked(_ parked: [ParkedRecord], projection: String) throws {
        try connection.query("DELETE FROM ledger.parked WHERE projection = $1", [projection])
        try connection.copyIn(Self.copyParked, format: .binary) { writer in
            for record in parked {
                try writer.writeBinaryRow([
                    .text(projection), .int64(record.position), .text(record.objectID), .text(record.eventType),
                    .text(record.reason),
                ])
            }
        }
    }

    /// Records that the projection's rows reflect the log through `position`.
    public func moveCheckpoint(of projection: String, projectorVersion: Int, to position: Int64, at time: EventTime)
        throws
    {
        try connection.query(Self.upsertCheckpoint, [projection, projectorVersion, position, time.description])
    }

    /// The projection's checkpoint and the projector version that wrote it, if it has run.
    public func checkpoint(of projection: String) throws -> (position: Int64, projectorVersion: Int)? {
        let rows = try connection.query(
            "SELECT position, projector_version FROM ledger.checkpoints WHERE projection = $1", [projection])
        guard let row = rows.first else { return nil }
        return (try row.decode(at: 0), try row.decode(at: 1))
    }

    /// The parked events of `projection`, in position order.
    public func parked(of projection: String) throws -> [ParkedRecord] {
        let rows = try connection.query(Self.selectParked, [projection])
        return try rows.map {
            ParkedRecord(
                objectID: try $0.decode(at: 0), position: try $0.decode(at: 1), eventType: try $0.decode(at: 2),
                reason: try $0.decode(at: 3))
        }
    }
}
