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
/// document, one append batch (bounded by ``Limits/appendBatchEventsMax``
/// and ``Limits/appendBatchBytesMax``) and one batch of rejections (bounded by
/// ``Limits/ingestRejectedBytesBufferedMax``) at a time. Input that is not a valid
/// event is never appended; it is stored in `ledger.rejected_inputs` with its
/// raw bytes, origin (`FILE:LINE`) and reason, and the rest of the input goes on:
/// every document is stored or rejected on its own. Batches are written by an
/// ``AppendWorker`` while the next one is being validated.
public final class StripeIngestor {
    /// Most rejections kept in the report itself; the table keeps them all.
    public static let reportedRejectionsMax = 100

    private let store: EventStore
    private let worker: AppendWorker
    private var report = IngestReport()
    private var batch: [ValidatedEvent] = []
    private var batchOrigins: [String] = []
    private var batchBytes = 0
    private var pendingRejections: [RejectedInputs.Entry] = []
    private var pendingRejectionBytes = 0

    /// - Parameters:
    ///   - connection: where batches are written; used only by the ingestor's worker thread.
    ///   - clock: the time recorded on appended events and rejections.
    public init(connection: PostgresConnection, clock: @escaping () -> EventTime = { EventTime(Date()) }) {
        self.store = EventStore(connection: connection)
        self.worker = AppendWorker(connection: connection, clock: clock)
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
        progress(withCounts(worker.currentCounts))
    }

    /// Waits for the last batch, then returns the totals of every input, with the head after it.
    public func finish() throws -> IngestReport {
        try flush()
        var final = withCounts(try worker.drain())
        final.headPosition = try store.head().position
        return final
    }

    private func withCounts(_ counts: AppendWorker.Counts) -> IngestReport {
        var current = report
        current.appended = counts.appended
        current.duplicates = counts.duplicates
        current.rejected += counts.refused
        let room = Self.reportedRejectionsMax - current.rejections.count
        current.rejections += counts.refusals.prefix(max(room, 0))
        return current
    }

    private func drain(_ framer: inout JSONDocumentFramer, origin: String, progress: (IngestReport) -> Void) throws {
        while let item = framer.next() {
            switch item {
            case .malformed(let bytes, let line, let reason):
                reject(origin: "\(origin):\(line)", reason: reason, bytes: bytes)
                try flushIfRejectionsFull(progress: progress)
            case .document(let bytes, let line):
                // Invariant: a batch holds only events the schema accepts, so one document can
                // never make PostgreSQL refuse (and the ingest lose) the whole batch.
                switch ValidatedEvent.stripe(bytes) {
                case .failure(let invalid):
                    reject(origin: "\(origin):\(line)", reason: invalid.reason, bytes: bytes)
                    try flushIfRejectionsFull(progress: progress)
                case .success(let event):
                    batch.append(event)
                    batchOrigins.append("\(origin):\(line)")
                    batchBytes += bytes.count
                    if batch.count >= Limits.appendBatchEventsMax || batchBytes >= Limits.appendBatchBytesMax {
                        try flush()
                        progress(withCounts(worker.currentCounts))
                    }
                }
            }
        }
    }

    private func reject(origin: String, reason: String, bytes: ArraySlice<UInt8>) {
        report.rejected += 1
        if report.rejections.count < Self.reportedRejectionsMax {
            report.rejections.append(.init(origin: origin, reason: reason))
        }
        pendingRejections.append(.init(origin: origin, reason: reason, body: Array(bytes)))
        pendingRejectionBytes += bytes.count
    }

    /// Writes the held rejections once they reach their bound, even if no valid event comes:
    /// invariant — memory is bounded by ``Limits/ingestRejectedBytesBufferedMax`` however much
    /// of the input is invalid.
    private func flushIfRejectionsFull(progress: (IngestReport) -> Void) throws {
        guard
            pendingRejectionBytes >= Limits.ingestRejectedBytesBufferedMax
                || pendingRejections.count >= Limits.ingestRejectedInputsBufferedMax
        else { return }
        try flush()
        progress(withCounts(worker.currentCounts))
    }

    private func flush() throws {
        guard !batch.isEmpty || !pendingRejections.isEmpty else { return }
        try worker.submit(.init(events: batch, origins: batchOrigins, rejections: pendingRejections))
        batch.removeAll(keepingCapacity: true)
        batchOrigins.removeAll(keepingCapacity: true)
        batchBytes = 0
        pendingRejections.removeAll()
        pendingRejectionBytes = 0
    }
}
