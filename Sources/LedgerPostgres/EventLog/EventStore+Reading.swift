import Foundation
import LedgerCore

extension EventStore {
    static let eventColumns = """
        position, event_id, stream_id, stream_version, type, source, source_event_id,
        occurred_at, recorded_at, customer_id, body, metadata, hash
        """
    // The reads below are prepared once per connection (`cachedStatement`). Planned at each call, a read
    // whose values do not prune the log is planned over every partition; prepared, PostgreSQL may settle on
    // a generic plan, which prunes at run time. It does so only when the generic plan looks no dearer than
    // those made for the values: the stream read does, while `selectAfter`, whose LIMIT it cannot see, is
    // planned at each call (a bounded range, `selectRange`, is pruned by its values: `fixedMode()`).

    /// `$1` position to read after, `$2` most rows.
    static let selectAfter = "SELECT \(eventColumns) FROM ledger.events WHERE position > $1 ORDER BY position LIMIT $2"
    /// `$1` position to read after, `$2` last position to include, `$3` most rows.
    static let selectRange = """
        SELECT \(eventColumns) FROM ledger.events WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3
        """
    /// `$1` stream id, `$2` first version to read, `$3` most rows.
    static let selectStream = """
        SELECT \(eventColumns) FROM ledger.events
        WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version LIMIT $3
        """

    /// Events after `position`, in position order, at most `limit` (capped at ``Limits/readBatchEventsMax``).
    public func read(after position: Int64, through last: Int64? = nil, limit: Int = Limits.readBatchEventsMax) throws
        -> [RecordedEvent]
    {
        let limit = min(max(limit, 1), Limits.readBatchEventsMax)
        let rows =
            if let last {
                try connection.cachedStatement(Self.selectRange).run([position, last, limit], resultFormat: .binary)
            } else {
                try connection.cachedStatement(Self.selectAfter).run([position, limit], resultFormat: .binary)
            }
        return try rows.map(Self.decodeEvent)
    }

    /// Events of one stream from `version` on, in version order, at most `limit`.
    public func readStream(_ streamID: String, from version: Int64 = 1, limit: Int = Limits.readBatchEventsMax)
        throws -> [RecordedEvent]
    {
        let limit = min(max(limit, 1), Limits.readBatchEventsMax)
        return try connection.cachedStatement(Self.selectStream).run(
            [streamID, version, limit], resultFormat: .binary
        ).map(Self.decodeEvent)
    }

    /// The newest position and its chain hash (position 0 and zero hash for an empty log).
    public func head() throws -> ChainHead {
        let row = try connection.query("SELECT position, hash FROM ledger.head", resultFormat: .binary)[0]
        return ChainHead(position: try row.decode(at: 0), hash: try row.decode(at: 1))
    }

    /// The stored chain hash at `position`, if that event exists.
    public func hash(at position: Int64) throws -> [UInt8]? {
        if position == 0 { return ChainHead.genesis.hash }
        let rows = try connection.query(
            "SELECT hash FROM ledger.events WHERE position = $1", [position], resultFormat: .binary)
        return try rows.first?.decode([UInt8].self, at: 0)
    }

    /// The highest position stored in `ledger.events`, whatever `ledger.head` says.
    public func lastStoredPosition() throws -> Int64? {
        try connection.query("SELECT max(position) FROM ledger.events", resultFormat: .binary)[0].decode(at: 0)
    }

    static func decodeEvent(_ row: PostgresRow) throws -> RecordedEvent {
        RecordedEvent(
            position: try row.decode(at: 0), eventID: try row.decode(at: 1), streamID: try row.decode(at: 2),
            streamVersion: try row.decode(at: 3), type: try row.decode(at: 4), source: try row.decode(at: 5),
            sourceEventID: try row.decode(at: 6), occurredAt: try row.decode(at: 7),
            recordedAt: try row.decode(at: 8), customerID: try row.decode(at: 9), body: try row.decode(at: 10),
            metadata: try row.decode(at: 11), hash: try row.decode(at: 12))
    }
}

extension EventTime: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> EventTime {
        if cell.format == .binary { return EventTime(postgresMicroseconds: try cell.bigEndianInteger("EventTime")) }
        return EventTime(try Date.decode(from: cell))
    }
}
