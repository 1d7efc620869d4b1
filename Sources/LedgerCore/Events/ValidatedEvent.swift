/// An event the log's schema accepts, checked once where it enters the ledger.
///
/// Only ``init(_:)`` makes one, so the stages after it (group commit, the event store, the
/// ingest worker) take this type and never check again. Invariant: every check here mirrors a
/// CHECK of `ledger.events`, so one event can never make PostgreSQL refuse a whole batch.
public struct ValidatedEvent: Sendable, Equatable {
    /// The event, unchanged.
    public let event: NewEvent

    /// Refuses an event the schema would reject, naming the field.
    public init(_ event: NewEvent) throws(InvalidEvent) {
        func check(_ condition: Bool, _ reason: @autoclosure () -> String) throws(InvalidEvent) {
            if !condition { throw InvalidEvent(reason: reason()) }
        }
        try check(
            (1...Limits.streamIDBytesMax).contains(event.streamID.utf8.count),
            "stream id must be 1…\(Limits.streamIDBytesMax) bytes")
        try check(
            (1...Limits.eventTypeBytesMax).contains(event.type.utf8.count),
            "type must be 1…\(Limits.eventTypeBytesMax) bytes")
        try check(Self.isSourceName(event.source), "source must be a lower-case word (got \(event.source))")
        if let sourceEventID = event.sourceEventID {
            try check(
                (1...Limits.sourceEventIDBytesMax).contains(sourceEventID.utf8.count),
                "source event id must be 1…\(Limits.sourceEventIDBytesMax) bytes")
        }
        try check(
            Self.hasNoNUL(event.streamID) && Self.hasNoNUL(event.type) && Self.hasNoNUL(event.metadata)
                && Self.hasNoNUL(event.sourceEventID) && Self.hasNoNUL(event.customerID),
            "text fields cannot contain NUL bytes")
        self.event = event
    }

    /// Whether `text` (if any) has no NUL byte, which PostgreSQL's `text` cannot hold; scans the
    /// string's UTF-8 in place, as this runs for every event.
    static func hasNoNUL(_ text: String?) -> Bool {
        guard let text else { return true }
        return !text.utf8.contains(0)
    }

    /// `^[a-z][a-z0-9_]{0,31}$`, as the schema checks it; by hand because this runs for every event.
    static func isSourceName(_ source: String) -> Bool {
        let bytes = source.utf8
        guard let first = bytes.first, (0x61...0x7A).contains(first), bytes.count <= 32 else { return false }
        return bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
    }
}

/// An event the log refuses before writing anything (bad stream id, type, a body that is not a Stripe event, …).
public struct InvalidEvent: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { "invalid event: \(reason)" }
}
