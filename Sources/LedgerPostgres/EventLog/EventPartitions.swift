import Foundation
import LedgerCore

/// One partition of `ledger.events` (migration 018): the positions it holds and whether it is attached.
public struct EventPartition: Sendable, Equatable, Codable {
    /// The table's name in schema `ledger` (`events_p000001`, …).
    public var name: String
    /// The first position it holds.
    public var firstPosition: Int64
    /// The last position it can hold (its range is `firstPosition...lastPosition`).
    public var lastPosition: Int64
    /// Part of `ledger.events`: read by every reader, appended to when the head reaches it.
    public var attached: Bool
    /// Its table is still in the database (a detached partition's table stays until it is dropped).
    public var tableExists: Bool
    /// Events it holds: positions are gapless, so those of its range at or below the head.
    public var events: Int64
    /// The table's size on disk with its indexes and TOAST, in bytes; 0 when it is gone.
    public var bytes: Int64
}

/// A partition operation the log's state does not allow, with what to do instead.
public struct EventPartitionRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Lists, detaches and attaches the partitions of `ledger.events` (docs/0018-partitioned-log.md).
///
/// Partitions are created ahead by the append lock itself; an operator only moves old ones out of the
/// log (detach, archive to a file with ``EventPartitionStore/copyEvents(of:_:)``) and back (attach).
public struct EventPartitionStore {
    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// No parameters: every partition the log has had, oldest first, with its state and size.
    static let selectPartitions = """
        SELECT p.name, p.first_position, p.upper_position - 1,
               EXISTS (SELECT 1 FROM pg_inherits AS i
                        WHERE i.inhparent = 'ledger.events'::regclass AND i.inhrelid = c.oid),
               c.oid IS NOT NULL,
               GREATEST(0, LEAST(h.position, p.upper_position - 1) - p.first_position + 1),
               COALESCE(pg_total_relation_size(c.oid), 0)
          FROM ledger.event_partitions AS p
          CROSS JOIN ledger.head AS h
          LEFT JOIN pg_class AS c
            ON c.relname = p.name AND c.relnamespace = 'ledger'::regnamespace
         ORDER BY p.first_position
        """

    /// Every partition, oldest first.
    public func list() throws -> [EventPartition] {
        try connection.query(Self.selectPartitions, resultFormat: .binary).map { row in
            EventPartition(
                name: try row.decode(at: 0), firstPosition: try row.decode(at: 1), lastPosition: try row.decode(at: 2),
                attached: try row.decode(at: 3), tableExists: try row.decode(at: 4), events: try row.decode(at: 5),
                bytes: try row.decode(at: 6))
        }
    }

    /// The partition named `name`; throws ``EventPartitionRefusal`` when the log has none.
    public func partition(named name: String) throws -> EventPartition {
        guard let partition = try list().first(where: { $0.name == name }) else {
            throw EventPartitionRefusal("ledger.events has no partition \(name) (`ledger partition list` names them)")
        }
        return partition
    }

    /// The positions below the oldest attached partition: the detached prefix of the log, nil when none.
    public func detachedPrefix() throws -> ClosedRange<Int64>? {
        let partitions = try list()
        guard let oldestAttached = partitions.first(where: \.attached), oldestAttached.firstPosition > 1 else {
            return nil
        }
        return 1...(oldestAttached.firstPosition - 1)
    }

    /// Detaches the oldest attached partition `name` from `ledger.events`; its table stays, readable.
    ///
    /// Refused unless the partition is full and below the head (appends never reach it again), it is the
    /// oldest attached one (what stays attached is one unbroken range ending at the head), and a
    /// snapshot recorded in the log covers it (a rebuild starts from that snapshot, not from event 1).
    /// Takes an ACCESS EXCLUSIVE lock on `ledger.events` for the moment of the detach: it waits for
    /// running reads, and reads and appends wait for it.
    @discardableResult
    public func detach(_ name: String) throws -> EventPartition {
        let partition = try partition(named: name)
        guard partition.attached else { throw EventPartitionRefusal("\(name) is already detached") }
        let head = try EventStore(connection: connection).head()
        guard partition.lastPosition < head.position else {
            throw EventPartitionRefusal(
                "\(name) holds positions \(partition.firstPosition)…\(partition.lastPosition) and the head is at "
                    + "\(head.position): only a partition wholly below the head can be detached")
        }
        if let older = try list().first(where: { $0.attached && $0.firstPosition < partition.firstPosition }) {
            throw EventPartitionRefusal(
                "\(older.name) (positions \(older.firstPosition)…\(older.lastPosition)) is older and still attached: "
                    + "partitions are detached oldest first, so the attached log stays one unbroken range")
        }
        let covered = try EventStore(connection: connection).snapshotRecords().map { $0.record.position }.max() ?? 0
        guard covered >= partition.lastPosition else {
            throw EventPartitionRefusal(
                "no snapshot recorded in the log covers \(name) (its last position is \(partition.lastPosition), "
                    + "the newest snapshot record is at \(covered)): take one with `ledger snapshot create` first, "
                    + "so a rebuild can start after the detached events")
        }
        try connection.execute("ALTER TABLE ledger.events DETACH PARTITION \(try Self.qualified(name))")
        return try self.partition(named: name)
    }

    /// Attaches the detached partition `name` again, with the range it had; PostgreSQL reads the table
    /// once to check every row lies in it. `ledger verify` checks the chain through it afterwards.
    @discardableResult
    public func attach(_ name: String) throws -> EventPartition {
        let partition = try partition(named: name)
        guard !partition.attached else { throw EventPartitionRefusal("\(name) is already attached") }
        guard partition.tableExists else {
            throw EventPartitionRefusal(
                "the table of \(name) was dropped: there is nothing to attach (its archive file holds its events)")
        }
        try connection.execute(
            "ALTER TABLE ledger.events ATTACH PARTITION \(try Self.qualified(name)) "
                + "FOR VALUES FROM (\(partition.firstPosition)) TO (\(partition.lastPosition + 1))")
        return try self.partition(named: name)
    }

    /// Calls `body` with the binary COPY stream of every event in `partition`'s table (attached or not),
    /// in position order, with the columns of ``EventStore/eventColumns``, as PostgreSQL sends it.
    public func copyEvents(of partition: EventPartition, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        _ = try connection.copyOut(
            "COPY (SELECT \(EventStore.eventColumns) FROM \(try Self.qualified(partition.name)) ORDER BY position) "
                + "TO STDOUT (FORMAT binary)", body)
    }

    /// `ledger.<name>` for a partition name as migration 018 makes them; any other text is refused, so
    /// the name can be written into a statement (DDL takes no bind parameters).
    static func qualified(_ name: String) throws -> String {
        let digits = name.utf8.dropFirst("events_p".utf8.count)
        guard name.hasPrefix("events_p"), digits.count == 6, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw EventPartitionRefusal("\(name) is not a partition name (events_p followed by six digits)")
        }
        return "ledger.\(name)"
    }
}
