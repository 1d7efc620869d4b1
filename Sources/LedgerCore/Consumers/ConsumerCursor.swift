/// Where a consumer group of the event feed stands, and the rules that move it: a value, no I/O.
///
/// `acknowledged` is the cursor: the group has processed every event at or below it. `delivered`
/// is the lease: the highest position ever handed to the group. A consume delivers the events
/// after the cursor (not after the lease), so a batch that was never acknowledged is delivered
/// again: at least once. An acknowledgement moves the cursor forward, never back and never past
/// the lease; only an explicit reset moves it anywhere, taking the lease with it.
public struct ConsumerCursor: Sendable, Equatable {
    public var acknowledged: Int64
    public var delivered: Int64

    public init(acknowledged: Int64 = 0, delivered: Int64 = 0) {
        precondition(acknowledged >= 0 && delivered >= acknowledged, "the lease is never behind the cursor")
        self.acknowledged = acknowledged
        self.delivered = delivered
    }

    /// The positions the next consume delivers: after the cursor, at most `eventsMax`, not past `head`.
    public func nextBatch(head: Int64, eventsMax: Int64) -> (after: Int64, through: Int64) {
        (acknowledged, max(acknowledged, min(head, acknowledged + eventsMax)))
    }

    /// Records that every position through `position` was handed to the group.
    public mutating func deliver(through position: Int64) {
        delivered = max(delivered, position)
    }

    /// What an acknowledgement did.
    public enum Acknowledgement: Sendable, Equatable {
        /// The cursor moved forward from `from` to `to`.
        case moved(from: Int64, to: Int64)
        /// The position was at or below the cursor: nothing changed (a repeated or late ack).
        case alreadyAcknowledged(cursor: Int64)
        /// The position was never delivered to the group: refused, nothing changed.
        case beyondDelivered(delivered: Int64)
    }

    /// Moves the cursor to `position` if that is forward and within what was delivered.
    public mutating func acknowledge(_ position: Int64) -> Acknowledgement {
        if position <= acknowledged { return .alreadyAcknowledged(cursor: acknowledged) }
        if position > delivered { return .beyondDelivered(delivered: delivered) }
        defer { acknowledged = position }
        return .moved(from: acknowledged, to: position)
    }

    /// Puts the cursor at `position`, backwards (a replay) or forwards (a skip); the lease goes with
    /// it, so an acknowledgement of a batch delivered before the reset cannot move the cursor past it.
    public mutating func reset(to position: Int64) {
        precondition(position >= 0, "positions are 0 or more")
        acknowledged = position
        delivered = position
    }
}

/// A consumer group's name: 1 to ``Limits/consumerGroupNameBytesMax`` characters of `a-z`, `0-9`,
/// `.`, `_`, `-`, starting with a letter or digit (migration 009 checks the same).
public struct ConsumerGroupName: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init(_ name: String) throws(InvalidConsumerGroupName) {
        let bytes = Array(name.utf8)
        func isLetterOrDigit(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        guard let first = bytes.first, bytes.count <= Limits.consumerGroupNameBytesMax, isLetterOrDigit(first),
            bytes.allSatisfy({
                isLetterOrDigit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
            })
        else { throw InvalidConsumerGroupName(name: name) }
        rawValue = name
    }

    public var description: String { rawValue }
}

/// A group name `ledger consume` does not accept.
public struct InvalidConsumerGroupName: Error, Sendable, Equatable, CustomStringConvertible {
    public var name: String

    public var description: String {
        "invalid consumer group name \"\(name)\": use 1–\(Limits.consumerGroupNameBytesMax) characters of "
            + "a-z, 0-9, '.', '_' and '-', starting with a letter or digit"
    }
}
