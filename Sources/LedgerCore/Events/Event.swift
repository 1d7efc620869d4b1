import Foundation

/// An event a caller asks the log to store; the log assigns position, version, time and hash.
public struct NewEvent: Sendable, Equatable {
    /// Unique forever; a second append of the same id is answered with the first one's position.
    public var eventID: UUID
    /// The stream the event belongs to, e.g. `subscription:sub_123`.
    public var streamID: String
    /// The stored type string, e.g. `customer.subscription.updated`; stable, never a Swift type name.
    public var type: String
    /// Where it came from: `stripe`, `ledger`, ….
    public var source: String
    /// The source's own id (Stripe's `evt_…`), also an idempotency key.
    public var sourceEventID: String?
    /// When the fact happened (Stripe's `created`).
    public var occurredAt: EventTime
    /// The customer the event concerns, when known (for audits by customer).
    public var customerID: String?
    /// The body exactly as received.
    public var body: [UInt8]
    /// A JSON object, stored byte for byte.
    public var metadata: String

    public init(
        eventID: UUID, streamID: String, type: String, source: String, sourceEventID: String? = nil,
        occurredAt: EventTime, customerID: String? = nil, body: [UInt8], metadata: String = "{}"
    ) {
        self.eventID = eventID
        self.streamID = streamID
        self.type = type
        self.source = source
        self.sourceEventID = sourceEventID
        self.occurredAt = occurredAt
        self.customerID = customerID
        self.body = body
        self.metadata = metadata
    }
}

/// An event as the log stores it.
public struct RecordedEvent: Sendable, Equatable {
    /// Global, gapless, in commit order, from 1.
    public var position: Int64
    public var eventID: UUID
    public var streamID: String
    /// 1 for the first event of a stream, then +1 per event.
    public var streamVersion: Int64
    public var type: String
    public var source: String
    public var sourceEventID: String?
    public var occurredAt: EventTime
    /// When the log stored it (the appender's clock).
    public var recordedAt: EventTime
    public var customerID: String?
    public var body: [UInt8]
    public var metadata: String
    /// SHA-256 chaining this event to the previous one; see ``EventHash``.
    public var hash: [UInt8]

    public init(
        position: Int64, eventID: UUID, streamID: String, streamVersion: Int64, type: String, source: String,
        sourceEventID: String?, occurredAt: EventTime, recordedAt: EventTime, customerID: String?,
        body: [UInt8], metadata: String, hash: [UInt8]
    ) {
        self.position = position
        self.eventID = eventID
        self.streamID = streamID
        self.streamVersion = streamVersion
        self.type = type
        self.source = source
        self.sourceEventID = sourceEventID
        self.occurredAt = occurredAt
        self.recordedAt = recordedAt
        self.customerID = customerID
        self.body = body
        self.metadata = metadata
        self.hash = hash
    }
}

/// What a writer expects a stream's version to be before its append.
public enum ExpectedVersion: Sendable, Equatable, CustomStringConvertible {
    /// No check.
    case any
    /// The stream must not exist yet.
    case noStream
    /// The stream's current version must be exactly this.
    case exact(Int64)

    /// True when a stream at `current` (0 = no stream) satisfies the expectation.
    public func isSatisfied(byCurrentVersion current: Int64) -> Bool {
        switch self {
        case .any: true
        case .noStream: current == 0
        case .exact(let version): current == version
        }
    }

    public var description: String {
        switch self {
        case .any: "any"
        case .noStream: "no stream"
        case .exact(let version): "version \(version)"
        }
    }
}

/// A log position and the chain hash up to and including it: a digest to keep elsewhere.
public struct ChainHead: Sendable, Equatable, Codable {
    public var position: Int64
    public var hash: [UInt8]

    public init(position: Int64, hash: [UInt8]) {
        self.position = position
        self.hash = hash
    }

    /// The head of an empty log: position 0, 32 zero bytes.
    public static let genesis = ChainHead(position: 0, hash: [UInt8](repeating: 0, count: 32))

    /// `POS:HEX`, the form `ledger head` prints and `--from` accepts.
    public var digest: String { "\(position):\(HexEncoding.encode(hash))" }

    /// Parses `POS:HEX` (64 hex digits).
    public init?(digest: String) {
        let parts = digest.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let position = Int64(parts[0]), position >= 0,
            let hash = HexEncoding.decode(String(parts[1])), hash.count == 32
        else { return nil }
        self.init(position: position, hash: hash)
    }
}
