import Foundation
import LedgerCore
import LedgerPostgres

/// The event feed for analytics jobs with durable cursors (`ledger consume`, `ledger consumers`).
///
/// The protocol, per group: a consume delivers the events after the group's cursor (at most a
/// batch) and records the lease (the highest position delivered); the job loads them and
/// acknowledges the batch's last position, which moves the cursor. A batch not acknowledged —
/// the job crashed, the load failed — is delivered again by the next consume: at least once.
/// Each operation is one transaction with the group's row locked (``ConsumerStore``), so
/// concurrent processes of one group cannot corrupt the cursor; they may both receive a batch.
public struct ConsumerFeed {
    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// What a consume delivered.
    public struct Delivery: Sendable, Equatable, Codable {
        public var group: String
        /// The positions delivered (empty when the group is caught up).
        public var range: EventRange
        /// The group's cursor before (and after) the consume.
        public var cursor: Int64
        /// The log's head when the batch was chosen.
        public var head: Int64
    }

    /// Writes the next batch after `group`'s cursor to `output` (creating the group at position 0 on
    /// its first consume) and records the lease. The row stays locked until the batch is written,
    /// so a concurrent consume of the group waits and then gets the same batch.
    public func consume(
        _ group: ConsumerGroupName, eventsMax: Int64, encoder: EventRecordEncoder, to output: ExportOutput
    ) throws -> Delivery {
        let store = ConsumerStore(connection: connection)
        try store.create(group)
        return try connection.transaction {
            var cursor = try lockedCursor(group, store)
            let head = try EventStore(connection: connection).head().position
            let batch = cursor.nextBatch(head: head, eventsMax: eventsMax)
            let range = EventRange(after: batch.after, through: batch.through)
            try EventExport(connection: connection).write(range, encoder: encoder, to: output)
            cursor.deliver(through: range.through)
            try store.recordDelivery(group, delivered: cursor.delivered)
            return Delivery(group: group.rawValue, range: range, cursor: cursor.acknowledged, head: head)
        }
    }

    /// Moves `group`'s cursor to `position`: forward within what was delivered; at or below the
    /// cursor nothing changes (a repeated ack succeeds); past the lease it is refused
    /// (``AcknowledgementBeyondDelivery``).
    public func acknowledge(_ group: ConsumerGroupName, through position: Int64) throws
        -> ConsumerCursor.Acknowledgement
    {
        let store = ConsumerStore(connection: connection)
        let outcome = try connection.transaction {
            var cursor = try lockedCursor(group, store)
            let outcome = cursor.acknowledge(position)
            if case .moved = outcome { try store.recordAcknowledgement(group, position: cursor.acknowledged) }
            return outcome
        }
        if case .beyondDelivered(let delivered) = outcome {
            throw AcknowledgementBeyondDelivery(group: group.rawValue, position: position, delivered: delivered)
        }
        return outcome
    }

    /// Puts `group`'s cursor (and lease) at `position`, backwards to replay or forwards to skip;
    /// creates the group there if it is new. `position` may not be beyond the head.
    public func reset(_ group: ConsumerGroupName, to position: Int64) throws -> (from: Int64, to: Int64) {
        let store = ConsumerStore(connection: connection)
        try store.create(group)
        return try connection.transaction {
            var cursor = try lockedCursor(group, store)
            let head = try EventStore(connection: connection).head().position
            guard position <= head else { throw PositionBeyondHead(position: position, head: head) }
            let previous = cursor.acknowledged
            cursor.reset(to: position)
            try store.recordReset(group, position: position)
            return (previous, position)
        }
    }

    /// One group as `ledger consumers` lists it.
    public struct GroupStatus: Sendable, Equatable, Codable {
        public var group: String
        /// Every event at or below it is acknowledged.
        public var cursor: Int64
        /// The highest position delivered; beyond the cursor, a batch is pending acknowledgement.
        public var delivered: Int64
        /// Delivered but not acknowledged.
        public var pending: Int64
        /// Events in the log after the cursor.
        public var lag: Int64
        public var createdAt: String
        /// The last consume, acknowledgement or reset.
        public var lastActivity: String
        public var lastDeliveryAt: String?
        public var lastAcknowledgementAt: String?
    }

    /// Every group with its lag behind the head.
    public func groups() throws -> (head: Int64, groups: [GroupStatus]) {
        let groups = try ConsumerStore(connection: connection).groups()
        let head = try EventStore(connection: connection).head().position
        return (
            head,
            groups.map { group in
                GroupStatus(
                    group: group.name, cursor: group.cursor.acknowledged, delivered: group.cursor.delivered,
                    pending: group.cursor.delivered - group.cursor.acknowledged,
                    lag: max(head - group.cursor.acknowledged, 0), createdAt: group.createdAt.description,
                    lastActivity: group.updatedAt.description, lastDeliveryAt: group.deliveredAt?.description,
                    lastAcknowledgementAt: group.acknowledgedAt?.description)
            }
        )
    }

    private func lockedCursor(_ group: ConsumerGroupName, _ store: ConsumerStore) throws -> ConsumerCursor {
        guard let cursor = try store.lock(group) else { throw UnknownConsumerGroup(group: group.rawValue) }
        return cursor
    }
}

/// An acknowledgement of a position the group was never given: refused, the cursor did not move.
public struct AcknowledgementBeyondDelivery: Error, Sendable, Equatable, CustomStringConvertible {
    public var group: String
    public var position: Int64
    public var delivered: Int64

    public var description: String {
        "cannot acknowledge position \(position) for group \(group): only positions through \(delivered) "
            + "have been delivered to it; acknowledge the last position of a batch `ledger consume` printed"
    }
}

/// A group that has never consumed (nor been reset).
public struct UnknownConsumerGroup: Error, Sendable, Equatable, CustomStringConvertible {
    public var group: String

    public var description: String {
        "no consumer group \(group): it is created by its first `ledger consume --group \(group)` "
            + "(or `--reset-to`); `ledger consumers` lists the groups"
    }
}
