import Foundation
import LedgerCore

struct SourceKey: Hashable {
    var source: String
    var id: String
}

/// An event the log already holds, as far as an append needs to know it.
struct StoredEvent {
    /// What the stored body is known by: its SHA-256 when it was read from the log, the bytes themselves
    /// when an earlier batch of the same transaction is writing it.
    enum Body {
        case sha256Hex(String)
        case bytes([UInt8])
        /// In a detached partition: the delivery is answered as a duplicate, its bytes not compared.
        case archived

        /// Whether `other`, delivered by `source`, is not the stored event: not byte for byte the stored
        /// body, nor, for a Stripe event, another rendering of it (``StripeEventRendering``).
        func differs(from other: [UInt8], source: String) -> Bool {
            switch self {
            case .sha256Hex(let digest):
                return HexEncoding.sha256(other) != digest
            case .bytes(let bytes):
                guard bytes != other else { return false }
                return source != EventSource.stripe || !StripeEventRendering.sameEvent(bytes, other)
            case .archived:
                return false
            }
        }
    }

    var position: Int64
    var body: Body
}

/// What an append must know before it writes: already-stored events (by event id and by source
/// id) and each stream's current version.
struct AppendLookup {
    var byEventID: [UUID: StoredEvent] = [:]
    var bySourceID: [SourceKey: StoredEvent] = [:]
    var versions: [String: Int64] = [:]

    /// Positions of stored events that a Stripe delivery among `events` matches by id but not by SHA-256:
    /// their bodies must be read back to tell another rendering of the event from other content.
    func renderingsToCompare(_ events: [NewEvent]) -> [Int64] {
        var positions: Set<Int64> = []
        for event in events where event.source == EventSource.stripe {
            let match =
                byEventID[event.eventID]
                ?? event.sourceEventID.flatMap { bySourceID[SourceKey(source: event.source, id: $0)] }
            guard let match, case .sha256Hex(let digest) = match.body, HexEncoding.sha256(event.body) != digest
            else { continue }
            positions.insert(match.position)
        }
        return positions.sorted()
    }

    /// Replaces the stored events' digests by their bodies (position → bytes).
    mutating func useBodies(_ bodies: [Int64: [UInt8]]) {
        for (key, stored) in byEventID {
            if let bytes = bodies[stored.position] { byEventID[key]?.body = .bytes(bytes) }
        }
        for (key, stored) in bySourceID {
            if let bytes = bodies[stored.position] { bySourceID[key]?.body = .bytes(bytes) }
        }
    }
}

/// A delivery whose id is already stored with another body: kept in `ledger.rejected_inputs`.
struct ConflictingDuplicate: Equatable {
    var source: String
    var origin: String
    /// The id the delivery was recognised by (Stripe's `evt_…`, else the event id).
    var identifier: String
    /// The position of the stored event it collides with.
    var storedPosition: Int64
    /// The delivered body, kept as received.
    var body: [UInt8]

    var reason: String {
        "conflicting duplicate: \(identifier) is already stored at position \(storedPosition) with a different body; "
            + "this delivery was not appended"
    }
}

/// Decides, batch by batch, what one append transaction writes: pure, no I/O.
struct AppendPlan {
    private(set) var head: ChainHead
    private var stored: AppendLookup
    private(set) var newEvents: [RecordedEvent] = []
    /// Duplicates whose bytes differ from the stored event, to keep in the same transaction.
    private(set) var conflicts: [ConflictingDuplicate] = []

    init(head: ChainHead, lookup: AppendLookup) {
        self.head = head
        self.stored = lookup
    }

    func storedEvent(of event: NewEvent) -> StoredEvent? {
        if let stored = stored.byEventID[event.eventID] { return stored }
        guard let sourceEventID = event.sourceEventID else { return nil }
        return stored.bySourceID[SourceKey(source: event.source, id: sourceEventID)]
    }

    mutating func add(_ batch: AppendBatch, recordedAt: EventTime) -> Result<[AppendOutcome], VersionConflict> {
        let hasNewEvents = batch.events.contains { storedEvent(of: $0) == nil }
        if hasNewEvents {
            // Expectations are checked against the stream as it stands before this batch.
            for (streamID, expected) in batch.expectations.sorted(by: { $0.key < $1.key }) {
                let current = stored.versions[streamID] ?? 0
                if !expected.isSatisfied(byCurrentVersion: current) {
                    return .failure(VersionConflict(streamID: streamID, expected: expected, actual: current))
                }
            }
        }
        var outcomes: [AppendOutcome] = []
        outcomes.reserveCapacity(batch.events.count)
        for (index, event) in batch.events.enumerated() {
            if let existing = storedEvent(of: event) {
                let conflicting = existing.body.differs(from: event.body, source: event.source)
                if conflicting {
                    conflicts.append(
                        ConflictingDuplicate(
                            source: event.source, origin: batch.origin(at: index),
                            identifier: event.sourceEventID ?? "event \(event.eventID.uuidString.lowercased())",
                            storedPosition: existing.position, body: event.body))
                }
                outcomes.append(.duplicate(position: existing.position, conflicting: conflicting))
                continue
            }
            outcomes.append(append(event, recordedAt: recordedAt))
        }
        return .success(outcomes)
    }

    /// Chains `event` after the head and remembers it, so a later copy in the same transaction is a duplicate.
    private mutating func append(_ event: NewEvent, recordedAt: EventTime) -> AppendOutcome {
        let version = (stored.versions[event.streamID] ?? 0) + 1
        var recorded = RecordedEvent(
            position: head.position + 1, eventID: event.eventID, streamID: event.streamID,
            streamVersion: version, type: event.type, source: event.source,
            sourceEventID: event.sourceEventID, occurredAt: event.occurredAt, recordedAt: recordedAt,
            customerID: event.customerID, body: event.body, metadata: event.metadata, hash: [])
        recorded.hash = EventHash.compute(previous: head.hash, event: recorded)
        head = ChainHead(position: recorded.position, hash: recorded.hash)
        stored.versions[event.streamID] = version
        let written = StoredEvent(position: recorded.position, body: .bytes(event.body))
        stored.byEventID[event.eventID] = written
        if let sourceEventID = event.sourceEventID {
            stored.bySourceID[SourceKey(source: event.source, id: sourceEventID)] = written
        }
        newEvents.append(recorded)
        return .appended(position: recorded.position, streamVersion: version)
    }
}
