import Foundation
import LedgerCore

/// The consumer groups' cursors in `ledger.consumers` (migration 009), over one connection.
///
/// Every change happens with the group's row locked (`FOR UPDATE`) inside the caller's
/// transaction, so two processes of one group serialise on it: neither can move the cursor
/// on the strength of a state the other has already changed. Times are the database's clock,
/// the one all consumers share.
public struct ConsumerStore {
    /// `$1` group name; creates the group at position 0 unless it exists.
    static let insertGroup = """
        INSERT INTO ledger.consumers (group_name) VALUES ($1) ON CONFLICT (group_name) DO NOTHING
        """
    /// `$1` group name; the cursor and the lease, the row locked until the transaction ends.
    static let selectGroupForUpdate = """
        SELECT position, delivered FROM ledger.consumers WHERE group_name = $1 FOR UPDATE
        """
    /// `$1` group name, `$2` the new lease; a consume (which may have found nothing new).
    static let updateDelivered = """
        UPDATE ledger.consumers
        SET delivered = $2, delivered_at = CASE WHEN $2 > position THEN now() ELSE delivered_at END,
            updated_at = now()
        WHERE group_name = $1
        """
    /// `$1` group name, `$2` the new cursor; an acknowledgement.
    static let updateAcknowledged = """
        UPDATE ledger.consumers SET position = $2, acked_at = now(), updated_at = now() WHERE group_name = $1
        """
    /// `$1` group name, `$2` the position both cursor and lease are put at.
    static let updateReset = """
        UPDATE ledger.consumers SET position = $2, delivered = $2, updated_at = now() WHERE group_name = $1
        """
    /// No parameters; every group with its times.
    static let selectGroups = """
        SELECT group_name, position, delivered, created_at, updated_at, delivered_at, acked_at
        FROM ledger.consumers ORDER BY group_name
        """

    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Creates `group` at position 0 if it does not exist yet.
    public func create(_ group: ConsumerGroupName) throws {
        try mapMissingTable { _ = try connection.query(Self.insertGroup, [group.rawValue]) }
    }

    /// The group's cursor, its row locked until the surrounding transaction ends; nil for an unknown group.
    public func lock(_ group: ConsumerGroupName) throws -> ConsumerCursor? {
        precondition(connection.isInTransaction, "a cursor is locked inside a transaction")
        return try mapMissingTable {
            guard
                let row = try connection.query(Self.selectGroupForUpdate, [group.rawValue], resultFormat: .binary)
                    .first
            else { return nil }
            return ConsumerCursor(acknowledged: try row.decode(at: 0), delivered: try row.decode(at: 1))
        }
    }

    /// Stores the lease after a consume.
    public func recordDelivery(_ group: ConsumerGroupName, delivered: Int64) throws {
        try connection.query(Self.updateDelivered, [group.rawValue, delivered])
    }

    /// Stores the cursor after an acknowledgement that moved it.
    public func recordAcknowledgement(_ group: ConsumerGroupName, position: Int64) throws {
        try connection.query(Self.updateAcknowledged, [group.rawValue, position])
    }

    /// Stores a reset: cursor and lease at `position`.
    public func recordReset(_ group: ConsumerGroupName, position: Int64) throws {
        try connection.query(Self.updateReset, [group.rawValue, position])
    }

    /// One group as stored.
    public struct Group: Sendable, Equatable {
        public var name: String
        public var cursor: ConsumerCursor
        public var createdAt: EventTime
        public var updatedAt: EventTime
        public var deliveredAt: EventTime?
        public var acknowledgedAt: EventTime?
    }

    /// Every group, by name.
    public func groups() throws -> [Group] {
        try mapMissingTable {
            try connection.query(Self.selectGroups, resultFormat: .binary).map { row in
                Group(
                    name: try row.decode(at: 0),
                    cursor: ConsumerCursor(acknowledged: try row.decode(at: 1), delivered: try row.decode(at: 2)),
                    createdAt: try row.decode(at: 3), updatedAt: try row.decode(at: 4),
                    deliveredAt: try row.decode(at: 5), acknowledgedAt: try row.decode(at: 6))
            }
        }
    }

    /// A database without migration 009 says what to do instead of "relation does not exist".
    private func mapMissingTable<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError where error.sqlState == "42P01" {
            throw MissingConsumersTable()
        }
    }
}

/// Consumer cursors live in `ledger.consumers`, which migration 009 creates.
public struct MissingConsumersTable: Error, CustomStringConvertible, Sendable {
    public var description: String {
        "this database has no ledger.consumers (migration 009), where consumer cursors are kept; run `ledger migrate up`"
    }
}
