import Foundation
import LedgerCore
import LedgerPostgres

/// Appends ingest batches on its own thread, so reading and validating the next
/// batch overlaps with PostgreSQL storing the previous one.
///
/// At most one batch waits while one is written (double buffering), so memory
/// stays bounded. The first error stops the worker; it is rethrown to the
/// producer at its next `submit` or at `drain`.
final class AppendWorker: @unchecked Sendable {
    struct Job {
        var events: [NewEvent]
        var rejections: [RejectedInputs.Entry]
    }

    struct Counts {
        var appended = 0
        var duplicates = 0
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
                if !job.events.isEmpty {
                    for outcome in try EventStore(connection: connection).append(
                        AppendBatch(events: job.events), recordedAt: clock())
                    {
                        if case .appended = outcome { batchCounts.appended += 1 } else { batchCounts.duplicates += 1 }
                    }
                }
                if !job.rejections.isEmpty {
                    try RejectedInputs(connection: connection).record(
                        job.rejections, source: "stripe", receivedAt: clock())
                }
                finish(adding: batchCounts, failure: nil)
            } catch {
                finish(adding: Counts(), failure: error)
            }
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
        if let error, failure == nil { failure = error }
        busy = false
        condition.broadcast()
    }
}
