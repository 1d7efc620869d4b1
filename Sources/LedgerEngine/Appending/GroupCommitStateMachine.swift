import LedgerCore
import LedgerPostgres

/// What ``GroupCommitAppender`` knows between threads, as a value: the queue of waiting callers, the
/// round in flight, whether it is closing, and its counters. Each input returns what to do next; the
/// appender performs it (resumes callers, wakes or stops its writer) and holds the lock.
///
/// Invariants: every accepted request is answered exactly once, in the round that holds it, and in
/// the order it was queued; a round never exceeds ``Limits/appendBatchEventsMax`` events or
/// ``Limits/appendBatchBytesMax`` bytes unless it is a single request (none starves); at most
/// ``Limits/appendQueueRequestsMax`` callers wait; after `close()` nothing new is accepted but
/// everything queued is still written.
///
/// `Reply` is how a caller is answered (a continuation in the appender, a plain value in tests).
struct GroupCommitStateMachine<Reply> {
    /// One caller's batch, waiting or in flight.
    struct Request {
        var batch: AppendBatch
        /// The batch's body bytes, counted against ``Limits/appendBatchBytesMax``.
        var bytes: Int
        var reply: Reply

        init(batch: AppendBatch, reply: Reply) {
            self.batch = batch
            self.bytes = batch.events.reduce(0) { $0 + $1.body.count }
            self.reply = reply
        }
    }

    enum AppendAction {
        /// The request is queued: wake the writer.
        case wakeWriter
        /// Answer the caller at once with this error; nothing was queued.
        case reject(Reply, GroupCommitAppender.Unavailable)
    }

    enum WriterAction {
        /// Append these requests' batches in one transaction, then report how it ended.
        case write([Request])
        /// Nothing queued: sleep until woken.
        case wait
        /// Closed and drained: close the connection and stop.
        case stop
    }

    enum CloseAction {
        /// Wake the writer so it drains the queue and stops.
        case wakeWriter
        /// Already closing.
        case none
    }

    private var queue: [Request] = []
    private var inFlight: [Request]?
    private(set) var isClosed = false
    /// The writer has stopped; ``GroupCommitAppender/shutdown()`` waits for this.
    private(set) var isFinished = false
    private(set) var statistics = GroupCommitAppender.Statistics()

    /// Callers waiting for a round (not counting the round in flight).
    var queuedRequests: Int { queue.count }

    /// A caller asks to append.
    mutating func appendRequested(_ request: Request) -> AppendAction {
        if isClosed {
            return .reject(request.reply, .init(description: "the appender is shut down"))
        }
        if queue.count >= Limits.appendQueueRequestsMax {
            return .reject(request.reply, .init(description: "append queue is full; retry later"))
        }
        queue.append(request)
        return .wakeWriter
    }

    /// The writer is free: takes the oldest requests that fit in one round.
    mutating func writerReady() -> WriterAction {
        precondition(inFlight == nil, "the writer asked for a round before reporting the last one")
        if queue.isEmpty { return isClosed ? .stop : .wait }
        var count = 0
        var events = 0
        var bytes = 0
        for request in queue {
            // Always take at least one request, however large, so none starves.
            if count > 0
                && (events + request.batch.events.count > Limits.appendBatchEventsMax
                    || bytes + request.bytes > Limits.appendBatchBytesMax)
            {
                break
            }
            count += 1
            events += request.batch.events.count
            bytes += request.bytes
        }
        let round = Array(queue.prefix(count))
        queue.removeFirst(count)
        inFlight = round
        return .write(round)
    }

    /// The round committed with one result per request, in order; returns the requests to answer with them.
    mutating func batchCommitted(_ results: [Result<[AppendOutcome], VersionConflict>]) -> [Request] {
        let round = takeInFlight()
        precondition(results.count == round.count, "one result per request of the round")
        statistics.transactions += 1
        statistics.requestsAnswered += round.count
        statistics.largestRequestsPerTransaction = max(statistics.largestRequestsPerTransaction, round.count)
        for case .success(let outcomes) in results {
            statistics.eventsWritten += outcomes.filter { if case .appended = $0 { true } else { false } }.count
        }
        return round
    }

    /// The round failed as a whole; returns the requests to answer with its error (nothing of it is stored).
    mutating func batchFailed() -> [Request] {
        takeInFlight()
    }

    /// Stop taking appends; what is queued is still written.
    mutating func close() -> CloseAction {
        if isClosed { return .none }
        isClosed = true
        return .wakeWriter
    }

    /// The writer has stopped (after ``WriterAction/stop``).
    mutating func writerStopped() {
        precondition(isClosed && queue.isEmpty && inFlight == nil, "the writer stopped with requests unanswered")
        isFinished = true
    }

    private mutating func takeInFlight() -> [Request] {
        guard let round = inFlight else { preconditionFailure("no round in flight") }
        inFlight = nil
        return round
    }
}
