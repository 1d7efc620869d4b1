import Foundation
import LedgerCore
import LedgerPostgres
import Logging

/// What one ingest run did.
public struct IngestReport: Sendable, Codable, Equatable {
    /// One input that was not appended, and why.
    public struct Rejection: Sendable, Codable, Equatable {
        /// `FILE:LINE` (or `-:LINE` for standard input).
        public var origin: String
        public var reason: String
    }

    public var appended = 0
    public var duplicates = 0
    public var rejected = 0
    /// Bytes of input read.
    public var bytesRead = 0
    /// The first rejections, for the report (all of them are in `ledger.rejected_inputs`).
    public var rejections: [Rejection] = []
    /// The log's head position after the run.
    public var headPosition: Int64 = 0

    public init() {}
}

/// Streams Stripe events from files into the log: frame, validate, append in batches.
///
/// Memory stays constant whatever the input size: one read chunk, one framed
/// document and one append batch (bounded by ``Limits/appendBatchEventsMax``
/// and ``Limits/appendBatchBytesMax``) at a time. Input that is not a valid
/// event is never appended; it is stored in `ledger.rejected_inputs` with its
/// raw bytes, origin and reason, and the rest of the input goes on.
public final class StripeIngestor {
    /// Most rejections kept in the report itself; the table keeps them all.
    public static let reportedRejectionsMax = 100

    private let store: EventStore
    private let connection: PostgresConnection
    private let clock: () -> EventTime
    private var report = IngestReport()
    private var batch: [NewEvent] = []
    private var batchBytes = 0
    private var pendingRejections: [(origin: String, reason: String, bytes: ArraySlice<UInt8>)] = []

    public init(connection: PostgresConnection, clock: @escaping () -> EventTime = { EventTime(Date()) }) {
        self.connection = connection
        self.store = EventStore(connection: connection)
        self.clock = clock
    }

    /// Ingests one input, read chunk by chunk until `readChunk` returns nil.
    ///
    /// - Parameters:
    ///   - origin: the name rejections carry (a file path, or `-`).
    ///   - progress: called after every append batch with the totals so far.
    public func ingest(
        origin: String, readChunk: () throws -> [UInt8]?, progress: (IngestReport) -> Void = { _ in }
    ) throws {
        var framer = JSONDocumentFramer()
        while let chunk = try readChunk() {
            report.bytesRead += chunk.count
            framer.feed(chunk)
            try drain(&framer, origin: origin, progress: progress)
        }
        framer.finish()
        try drain(&framer, origin: origin, progress: progress)
        try flush()
        progress(report)
    }

    /// The totals of every input ingested so far, with the head after the last append.
    public func finish() throws -> IngestReport {
        try flush()
        report.headPosition = try store.head().position
        return report
    }

    private func drain(_ framer: inout JSONDocumentFramer, origin: String, progress: (IngestReport) -> Void) throws {
        while let item = framer.next() {
            switch item {
            case .malformed(let bytes, let line, let reason):
                reject(origin: "\(origin):\(line)", reason: reason, bytes: bytes)
            case .document(let bytes, let line):
                switch StripeEventEnvelope.scan(bytes) {
                case .failure(let rejection):
                    reject(origin: "\(origin):\(line)", reason: rejection.reason, bytes: bytes)
                case .success(let envelope):
                    batch.append(Self.event(from: envelope, body: Array(bytes)))
                    batchBytes += bytes.count
                    if batch.count >= Limits.appendBatchEventsMax || batchBytes >= Limits.appendBatchBytesMax {
                        try flush()
                        progress(report)
                    }
                }
            }
        }
    }

    /// The log event for a validated Stripe event: its id derives from `evt_…`, so a
    /// redelivery is the same event by event id as well as by source id.
    static func event(from envelope: StripeEventEnvelope, body: [UInt8]) -> NewEvent {
        NewEvent(
            eventID: UUID(version5Name: "stripe:\(envelope.id)"), streamID: envelope.streamID, type: envelope.type,
            source: "stripe", sourceEventID: envelope.id, occurredAt: EventTime(secondsSinceEpoch: envelope.created),
            customerID: envelope.customerID, body: body)
    }

    private func reject(origin: String, reason: String, bytes: ArraySlice<UInt8>) {
        report.rejected += 1
        if report.rejections.count < Self.reportedRejectionsMax {
            report.rejections.append(.init(origin: origin, reason: reason))
        }
        pendingRejections.append((origin, reason, bytes))
    }

    private func flush() throws {
        if !batch.isEmpty {
            let outcomes = try store.append(AppendBatch(events: batch), recordedAt: clock())
            for outcome in outcomes {
                switch outcome {
                case .appended: report.appended += 1
                case .duplicate: report.duplicates += 1
                }
            }
            batch.removeAll(keepingCapacity: true)
            batchBytes = 0
        }
        if !pendingRejections.isEmpty {
            try RejectedInputs(connection: connection).record(
                pendingRejections.map { .init(origin: $0.origin, reason: $0.reason, body: Array($0.bytes)) },
                source: "stripe", receivedAt: clock())
            pendingRejections.removeAll()
        }
    }
}
