import Foundation
import LedgerCore
import LedgerPostgres

/// Appends ingest batches on its own thread, so reading and validating the next
/// batch overlaps with PostgreSQL storing the previous one.
///
/// At most one batch waits while one is written (double buffering), so memory
/// stays bounded. A batch PostgreSQL refuses for its data is halved until the
/// refused event is alone, which is rejected with the server's message while
/// the rest is stored: one document never costs the others. Any other error
/// (connection, disk) stops the worker; it is rethrown to the producer at its
/// next `submit` or at `drain`.
final class AppendWorker: @unchecked Sendable {
    struct Job {
        var events: [NewEvent]
        /// `FILE:LINE` of each event, in the same order, for a rejection the database makes.
        var origins: [String]
        var rejections: [RejectedInputs.Entry]
    }

    struct Counts {
        var appended = 0
        var duplicates = 0
        /// Events PostgreSQL refused (and that went to `ledger.rejected_inputs`).
        var refused = 0
        /// The first of them, for the report.
        var refusals: [IngestReport.Rejection] = []
    }

    private let connection: PostgresConnection
    private let clock: () -> EventTime
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var queued: Job?
    private var busy = false
    private var stopped = false
    private var failure: (any Error)?
    private var counts = Counts()

    init(connection: PostgresConnection, clock: @escaping () -> EventTime) {
        self.connection = connection
        self.clock = clock
        let thread = Thread { [self] in run() }
        thread.name = "ledger.ingest-append"
        thread.start()
    }

    /// Hands over a batch, waiting while the previous one is still queued.
    func submit(_ job: Job) throws {
        condition.lock()
        defer { condition.unlock() }
        while queued != nil && failure == nil { condition.wait() }
        if let failure { throw failure }
        precondition(!stopped, "submit after drain: an ingestor is finished once")
        queued = job
        condition.broadcast()
    }

    /// Waits until every submitted batch is written, then stops the thread; returns the counts.
    func drain() throws -> Counts {
        condition.lock()
        defer { condition.unlock() }
        while (queued != nil || busy) && failure == nil { condition.wait() }
        stopped = true
        condition.broadcast()
        if let failure { throw failure }
        return counts
    }

    /// The counts so far, for progress reports.
    var currentCounts: Counts { condition.withLock { counts } }

    private func run() {
        while let job = next() {
            do {
                var batchCounts = Counts()
                var rejections = job.rejections
                if !job.events.isEmpty {
                    try append(job.events[...], origins: job.origins[...], counts: &batchCounts, refused: &rejections)
                }
                if !rejections.isEmpty {
                    try RejectedInputs(connection: connection).record(
                        rejections, source: "stripe", receivedAt: clock())
                }
                finish(adding: batchCounts, failure: nil)
            } catch {
                finish(adding: Counts(), failure: error)
            }
        }
    }

    /// Appends `events` in one transaction; on a refusal of their data, each half on its own, down to one event.
    ///
    /// Invariant: every event ends appended, a duplicate, or in `refused` with the database's reason —
    /// never lost with its batch. The ingestor validates events first, so this is the last line.
    private func append(
        _ events: ArraySlice<NewEvent>, origins: ArraySlice<String>, counts: inout Counts,
        refused: inout [RejectedInputs.Entry]
    ) throws {
        do {
            for outcome in try EventStore(connection: connection).append(
                AppendBatch(events: Array(events), origins: Array(origins)), recordedAt: clock())
            {
                if case .appended = outcome { counts.appended += 1 } else { counts.duplicates += 1 }
            }
        } catch let error as PostgresError where error.isDataRefusal {
            guard events.count > 1 else {
                let index = events.startIndex
                let rejection = IngestReport.Rejection(
                    origin: origins[index], reason: "PostgreSQL refused the event: \(error)")
                refused.append(.init(origin: rejection.origin, reason: rejection.reason, body: events[index].body))
                counts.refused += 1
                if counts.refusals.count < StripeIngestor.reportedRejectionsMax { counts.refusals.append(rejection) }
                return
            }
            let middle = events.startIndex + events.count / 2
            try append(events[..<middle], origins: origins[..<middle], counts: &counts, refused: &refused)
            try append(events[middle...], origins: origins[middle...], counts: &counts, refused: &refused)
        }
    }

    private func next() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while queued == nil && !stopped && failure == nil { condition.wait() }
        guard failure == nil, let job = queued else { return nil }
        queued = nil
        busy = true
        condition.broadcast()
        return job
    }

    private func finish(adding batch: Counts, failure error: (any Error)?) {
        condition.lock()
        defer { condition.unlock() }
        counts.appended += batch.appended
        counts.duplicates += batch.duplicates
        counts.refused += batch.refused
        let room = StripeIngestor.reportedRejectionsMax - counts.refusals.count
        counts.refusals += batch.refusals.prefix(max(room, 0))
        if let error, failure == nil { failure = error }
        busy = false
        condition.broadcast()
    }
}
