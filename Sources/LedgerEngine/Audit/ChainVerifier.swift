import LedgerCore
import LedgerPostgres

/// The outcome of recomputing the hash chain.
public struct ChainVerification: Sendable, Equatable, Codable {
    /// The first event that does not match, and why.
    public struct Failure: Sendable, Equatable, Codable {
        public var position: Int64
        public var reason: String
    }

    /// The trusted starting point (position 0 unless `--from` was given).
    public var trustedFrom: Int64
    /// Events whose hash was recomputed.
    public var eventsChecked: Int64
    /// The last position that verified.
    public var verifiedThrough: Int64
    public var failure: Failure?
    public var isValid: Bool { failure == nil }
}

/// Recomputes the chain from a trusted head and names the first position that does not match.
public struct ChainVerifier {
    let store: EventStore

    public init(store: EventStore) {
        self.store = store
    }

    /// Verifies every event after `trusted`, in bounded batches; `progress` gets the position reached.
    public func verify(
        from trusted: ChainHead = .genesis, progress: (Int64) -> Void = { _ in }
    ) throws -> ChainVerification {
        var result = ChainVerification(
            trustedFrom: trusted.position, eventsChecked: 0, verifiedThrough: trusted.position, failure: nil)
        if trusted.position > 0 {
            guard let stored = try store.hash(at: trusted.position) else {
                result.failure = .init(position: trusted.position, reason: "the trusted position is not in the log")
                return result
            }
            guard stored == trusted.hash else {
                result.failure = .init(
                    position: trusted.position,
                    reason: "stored hash \(HexEncoding.encode(stored)) differs from the trusted digest")
                return result
            }
        }
        var previous = trusted
        while true {
            let batch = try store.read(after: previous.position)
            if batch.isEmpty { break }
            for event in batch {
                if let failure = Self.check(event, after: previous) {
                    result.failure = failure
                    return result
                }
                previous = ChainHead(position: event.position, hash: event.hash)
                result.eventsChecked += 1
                result.verifiedThrough = event.position
            }
            progress(previous.position)
        }
        let head = try store.head()
        if head != previous {
            result.failure = .init(
                position: max(previous.position + 1, head.position),
                reason: "ledger.head is at \(head.digest) but the log ends at \(previous.digest): "
                    + "events at the end are missing or the head was altered")
        }
        return result
    }

    static func check(_ event: RecordedEvent, after previous: ChainHead) -> ChainVerification.Failure? {
        if event.position != previous.position + 1 {
            return .init(
                position: previous.position + 1,
                reason: "position \(previous.position + 1) is missing (the next stored event is \(event.position))")
        }
        let expected = EventHash.compute(previous: previous.hash, event: event)
        if expected != event.hash {
            return .init(
                position: event.position,
                reason: "stored hash does not match the event's contents and the previous hash "
                    + "(event \(event.eventID.uuidString.lowercased()), stream \(event.streamID))")
        }
        return nil
    }
}
