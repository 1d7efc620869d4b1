import Foundation
import LedgerCore
import LedgerPostgres

/// The outcome of recomputing the hash chain.
public struct ChainVerification: Sendable, Equatable, Codable {
    /// The first event that does not match, and why.
    public struct Failure: Error, Sendable, Equatable, Codable {
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
    /// The log's head (`ledger.head`) when the pass started: how far it had to verify.
    public var headPosition: Int64 = 0
    /// The hash this pass computed at the position passed as `recomputingAt`; nil when the pass did not
    /// reach it. Proven from the trusted head only when no failure precedes that position.
    public var recomputed: ChainHead?
    public var isValid: Bool { failure == nil }

    enum CodingKeys: String, CodingKey {
        case trustedFrom, eventsChecked, verifiedThrough, failure, headPosition
    }
}

/// Recomputes the chain from a trusted head and names the first position that does not match.
///
/// Long logs are split into contiguous position ranges verified at once on their own
/// connections: a range starts from the stored hash at its lower boundary, and the range
/// before it recomputes that very hash, so the ranges together check exactly what one pass
/// from the trusted head would (the seam is checked where the earlier range ends). Each
/// range is one binary COPY, so the server sends the next rows while this side hashes; a
/// range is a span of positions, so it reads only the partitions it covers.
public struct ChainVerifier: Sendable {
    /// Segments shorter than this are not worth a second connection.
    public static let segmentEventsMin: Int64 = 50_000

    let connect: @Sendable () throws -> PostgresConnection

    /// - Parameter connect: opens a connection for each segment.
    public init(connect: @escaping @Sendable () throws -> PostgresConnection) {
        self.connect = connect
    }

    /// Verifies every event after `trusted`; `progress` gets the number of events checked so far.
    ///
    /// - Parameter recomputingAt: a position whose recomputed hash the result keeps in
    ///   ``ChainVerification/recomputed`` (to compare with a digest taken earlier) without a second read.
    public func verify(
        from trusted: ChainHead = .genesis, recomputingAt target: Int64? = nil, segments requested: Int = 2,
        segmentEventsMin: Int64 = ChainVerifier.segmentEventsMin,
        progress: @escaping @Sendable (Int64) -> Void = { _ in }
    ) throws -> ChainVerification {
        try verify(from: trusted, recomputingAt: target, progress: progress) { head in
            Self.evenBoundaries(after: trusted.position, through: head, segments: requested, minimum: segmentEventsMin)
        }
    }

    /// Verifies like ``verify(from:recomputingAt:segments:segmentEventsMin:progress:)`` with a segment
    /// starting after `trusted` and after each of the positions `boundaries` gives for the head's position.
    func verify(
        from trusted: ChainHead, recomputingAt target: Int64?, progress: @escaping @Sendable (Int64) -> Void,
        boundaries: (_ head: Int64) -> [Int64]
    ) throws -> ChainVerification {
        let store = EventStore(connection: try connect())
        var result = ChainVerification(
            trustedFrom: trusted.position, eventsChecked: 0, verifiedThrough: trusted.position, failure: nil)
        let head = try store.head()
        result.headPosition = head.position
        if target == trusted.position { result.recomputed = trusted }
        if let failure = try checkTrusted(trusted, store) {
            result.failure = failure
            return result
        }
        let starts = try segmentStarts(from: trusted, at: boundaries(head.position), store)
        let ends = starts.dropFirst().map(\.position) + [head.position]
        let counter = ProgressCounter(report: progress)
        let outcomes = try WorkerThread.map(Array(zip(starts, ends)), name: "ledger.verify") { start, end in
            try Segment(store: EventStore(connection: try connect()), start: start, end: end, recomputingAt: target)
                .verify(counter)
        }
        for outcome in outcomes {
            result.eventsChecked += outcome.eventsChecked
            result.recomputed = result.recomputed ?? outcome.recomputed
            // Segments are in log order: the first failure is the one to report.
            guard result.failure == nil else { continue }
            result.verifiedThrough = outcome.verifiedThrough
            result.failure = outcome.failure
        }
        if result.failure == nil, let last = try store.lastStoredPosition(), last != head.position {
            result.failure = .init(
                position: min(last, head.position) + 1,
                reason: "ledger.head is at position \(head.position) but the log ends at \(last): "
                    + "events at the end are missing or the head was altered")
        }
        return result
    }

    func checkTrusted(_ trusted: ChainHead, _ store: EventStore) throws -> ChainVerification.Failure? {
        guard trusted.position > 0 else { return nil }
        guard let stored = try store.hash(at: trusted.position) else {
            return .init(position: trusted.position, reason: "the trusted position is not in the log")
        }
        guard stored == trusted.hash else {
            return .init(
                position: trusted.position,
                reason: "stored hash \(HexEncoding.encode(stored)) differs from the trusted digest")
        }
        return nil
    }

    /// Positions splitting (after, through] into up to `segments` equal ranges of at least `minimum` events.
    static func evenBoundaries(after: Int64, through last: Int64, segments: Int, minimum: Int64) -> [Int64] {
        let span = last - after
        let count = Int(max(1, min(Int64(segments), span / max(minimum, 1))))
        return (1..<max(count, 1)).map { after + span * Int64($0) / Int64(count) }
    }

    /// Where each segment starts: the trusted head, then the stored heads at `boundaries` (ascending, each
    /// after `trusted` and before the head).
    func segmentStarts(from trusted: ChainHead, at boundaries: [Int64], _ store: EventStore) throws -> [ChainHead] {
        var starts = [trusted]
        for boundary in boundaries where boundary > starts[starts.count - 1].position {
            // A missing boundary event is found by the segment before it; start after it.
            if let hash = try store.hash(at: boundary) { starts.append(ChainHead(position: boundary, hash: hash)) }
        }
        return starts
    }
}

/// One contiguous range (start.position, end] checked in order from `start`.
struct Segment {
    /// Events between progress reports (one lock and one callback each).
    static let progressEvents: Int64 = 10_000

    let store: EventStore
    let start: ChainHead
    let end: Int64
    /// The position whose recomputed hash the result keeps, if it is in this segment.
    var recomputingAt: Int64? = nil

    /// Ends the range's COPY at the first failure: nothing after it is reported.
    private struct Stop: Error {}

    func verify(_ counter: ProgressCounter) throws -> ChainVerification {
        var result = ChainVerification(
            trustedFrom: start.position, eventsChecked: 0, verifiedThrough: start.position, failure: nil)
        var previous = start
        var failure: ChainVerification.Failure?
        var unreported: Int64 = 0
        do {
            try store.copyStoredEvents(after: start.position, through: end) { event, hash in
                if let problem = Self.advance(&previous, to: event, storedHash: hash) {
                    failure = problem
                    throw Stop()
                }
                if previous.position == recomputingAt { result.recomputed = previous }
                result.eventsChecked += 1
                unreported += 1
                if unreported == Self.progressEvents {
                    counter.add(unreported)
                    unreported = 0
                }
            }
        } catch is Stop {}
        counter.add(unreported)
        result.verifiedThrough = previous.position
        if let failure {
            result.failure = failure
        } else if previous.position < end {
            result.failure = .init(
                position: previous.position + 1,
                reason: "position \(previous.position + 1) is missing: ledger.head says the log reaches \(end), "
                    + "so events at the end were deleted or the head was altered")
        }
        return result
    }

    /// Moves `previous` on to `event` when the event comes next and its stored hash is the one recomputed
    /// from `previous`; otherwise leaves it and says what does not match.
    static func advance(
        _ previous: inout ChainHead, to event: EventFieldBytes, storedHash hash: UnsafeRawBufferPointer
    ) -> ChainVerification.Failure? {
        let position = event.position
        if position != previous.position + 1 {
            return .init(
                position: previous.position + 1,
                reason: "position \(previous.position + 1) is missing (the next stored event is \(position))")
        }
        let computed = previous.hash.withUnsafeBytes { EventHash.compute(previous: $0, fields: event) }
        if !computed.elementsEqual(hash) {
            let eventID = UUID(uuid: event.eventID.loadUnaligned(as: uuid_t.self)).uuidString.lowercased()
            let streamID = String(decoding: event.streamID, as: UTF8.self)
            return .init(
                position: position,
                reason: "stored hash does not match the event's contents and the previous hash "
                    + "(event \(eventID), stream \(streamID))")
        }
        previous = ChainHead(position: position, hash: computed)
        return nil
    }
}

/// Sums events checked across segments and reports the running total (once per read, not per event).
struct ProgressCounter: Sendable {
    private let total = Locked<Int64>(0)
    private let report: @Sendable (Int64) -> Void

    init(report: @escaping @Sendable (Int64) -> Void) { self.report = report }

    func add(_ count: Int64) {
        let now = total.withLock {
            $0 += count
            return $0
        }
        report(now)
    }
}
