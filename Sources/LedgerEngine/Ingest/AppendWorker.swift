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
final class AppendWorker {
    struct Job {
        var events: [ValidatedEvent]
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

        mutating func add(_ batch: Counts) {
            appended += batch.appended
            duplicates += batch.duplicates
            refused += batch.refused
            let room = StripeIngestor.reportedRejectionsMax - refusals.count
            refusals += batch.refusals.prefix(max(room, 0))
        }
    }

    private let queue = BoundedQueue<Job>(capacity: 1)
    private let counts = Locked(Counts())
    private let thread: WorkerThread

    init(connection: PostgresConnection, clock: @escaping () -> EventTime) {
        // The ingestor uses `connection` again only after `drain()` has joined the thread, and never calls `clock`.
        let writer = Handover(Writer(connection: connection, clock: clock))
        let (queue, counts) = (queue, counts)
        thread = WorkerThread(name: "ledger.ingest-append") {
            do {
                while let job = try queue.receive() {
                    let batch = try writer.value.write(job)
                    counts.withLock { $0.add(batch) }
                }
            } catch {
                queue.fail(error)
                throw error
            }
        }
    }

    /// Hands over a batch, waiting while the previous one is still queued.
    func submit(_ job: Job) throws {
        try queue.send(job)
    }

    /// Waits until every submitted batch is written, then stops the thread; returns the counts.
    func drain() throws -> Counts {
        queue.finish()
        try thread.join()
        return counts.current
    }

    /// The counts so far, for progress reports.
    var currentCounts: Counts { counts.current }
}

extension AppendWorker {
    /// The worker thread's side: its connection and clock.
    private struct Writer {
        let connection: PostgresConnection
        let clock: () -> EventTime

        /// Appends the job's events, then records its rejections; the batch's counts.
        func write(_ job: Job) throws -> Counts {
            var batchCounts = Counts()
            var rejections = job.rejections
            if !job.events.isEmpty {
                try append(job.events[...], origins: job.origins[...], counts: &batchCounts, refused: &rejections)
            }
            if !rejections.isEmpty {
                try RejectedInputs(connection: connection).record(
                    rejections, source: EventSource.stripe, receivedAt: clock())
            }
            return batchCounts
        }

        /// Appends `events` in one transaction; on a refusal of their data, each half on its own, down to one event.
        ///
        /// Invariant: every event ends appended, a duplicate, or in `refused` with the database's reason —
        /// never lost with its batch. The ingestor validates events first, so this is the last line.
        private func append(
            _ events: ArraySlice<ValidatedEvent>, origins: ArraySlice<String>, counts: inout Counts,
            refused: inout [RejectedInputs.Entry]
        ) throws {
            do {
                for outcome in try EventStore(connection: connection).append(
                    AppendBatch(validated: Array(events), origins: Array(origins)), recordedAt: clock())
                {
                    if case .appended = outcome { counts.appended += 1 } else { counts.duplicates += 1 }
                }
            } catch let error as PostgresError where error.isDataRefusal {
                guard events.count > 1 else {
                    let index = events.startIndex
                    let rejection = IngestReport.Rejection(
                        origin: origins[index], reason: "PostgreSQL refused the event: \(error)")
                    let body = events[index].event.body
                    refused.append(.init(origin: rejection.origin, reason: rejection.reason, body: body))
                    counts.refused += 1
                    if counts.refusals.count < StripeIngestor.reportedRejectionsMax {
                        counts.refusals.append(rejection)
                    }
                    return
                }
                let middle = events.startIndex + events.count / 2
                try append(events[..<middle], origins: origins[..<middle], counts: &counts, refused: &refused)
                try append(events[middle...], origins: origins[middle...], counts: &counts, refused: &refused)
            }
        }
    }
}
