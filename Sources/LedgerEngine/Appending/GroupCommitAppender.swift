import Foundation
import LedgerCore
import LedgerPostgres
import Logging

/// Coalesces concurrent appends into one transaction per round (group commit).
///
/// One writer thread owns the connection and the write path. Callers enqueue
/// their batch and suspend; the writer takes everything queued (up to
/// ``Limits/appendBatchEventsMax`` events), appends it in one transaction, and
/// answers each caller only after the commit that holds its events. With
/// `synchronous_commit=on` many callers then share one WAL flush.
public final class GroupCommitAppender: @unchecked Sendable {
    /// Appends cannot be taken right now; the caller should retry later (HTTP 503).
    public struct Unavailable: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    typealias Reply = CheckedContinuation<[AppendOutcome], any Error>

    private struct Request {
        var batch: AppendBatch
        var bytes: Int
        var reply: Reply
    }

    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var pending: [Request] = []
    private var isClosed = false
    private var isFinished = false
    private var statistics = Statistics()

    private let connect: @Sendable () throws -> PostgresConnection
    private let clock: @Sendable () -> EventTime
    private let logger: Logger
    private let onCommit: (@Sendable (_ requests: Int, _ events: Int) -> Void)?

    /// Counters for metrics and benchmarks.
    public struct Statistics: Sendable, Equatable {
        public var transactions = 0
        public var eventsWritten = 0
        public var requestsAnswered = 0
        public var largestRequestsPerTransaction = 0
    }

    /// Starts the writer thread.
    ///
    /// - Parameters:
    ///   - connect: opens the writer's connection (again after it is lost).
    ///   - clock: the time recorded on appended events.
    ///   - onCommit: told, on the writer thread, how many requests and events each committed
    ///     transaction carried (for metrics); it must return quickly.
    public init(
        connect: @escaping @Sendable () throws -> PostgresConnection,
        clock: @escaping @Sendable () -> EventTime = { EventTime(Date()) },
        logger: Logger,
        onCommit: (@Sendable (_ requests: Int, _ events: Int) -> Void)? = nil
    ) {
        self.connect = connect
        self.clock = clock
        self.logger = logger
        self.onCommit = onCommit
        let thread = Thread { [self] in writerLoop() }
        thread.name = "ledger.group-commit"
        thread.start()
    }

    /// Appends `batch` atomically and returns once it is committed.
    ///
    /// Throws ``VersionConflict`` if an expectation fails, ``InvalidEvent`` for
    /// an event the log refuses, ``Unavailable`` when closed or overloaded, or
    /// the database error that stopped the commit (nothing of the batch is then
    /// stored unless the commit succeeded and only its acknowledgement was
    /// lost: a retry is answered as a duplicate).
    public func append(_ batch: AppendBatch) async throws -> [AppendOutcome] {
        for event in batch.events { try EventStore.validate(event) }
        let bytes = batch.events.reduce(0) { $0 + $1.body.count }
        return try await withCheckedThrowingContinuation { (reply: Reply) in
            condition.lock()
            defer { condition.unlock() }
            if isClosed {
                reply.resume(throwing: Unavailable(description: "the appender is shut down"))
            } else if pending.count >= Limits.appendQueueRequestsMax {
                reply.resume(throwing: Unavailable(description: "append queue is full; retry later"))
            } else {
                pending.append(Request(batch: batch, bytes: bytes, reply: reply))
                condition.signal()
            }
        }
    }

    /// Stops taking appends, finishes those queued, and waits for the writer to stop.
    public func shutdown() {
        condition.lock()
        isClosed = true
        condition.broadcast()
        while !isFinished { condition.wait() }
        condition.unlock()
    }

    /// A copy of the counters.
    public var currentStatistics: Statistics {
        condition.lock()
        defer { condition.unlock() }
        return statistics
    }

    private func nextRound() -> [Request]? {
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty && !isClosed { condition.wait() }
        if pending.isEmpty { return nil }
        var round: [Request] = []
        var events = 0
        var bytes = 0
        while let request = pending.first {
            let count = request.batch.events.count
            // Always take at least one request, however large, so none starves.
            if !round.isEmpty
                && (events + count > Limits.appendBatchEventsMax || bytes + request.bytes > Limits.appendBatchBytesMax)
            {
                break
            }
            round.append(pending.removeFirst())
            events += count
            bytes += request.bytes
        }
        return round
    }

    private func writerLoop() {
        var connection: PostgresConnection?
        while let round = nextRound() {
            do {
                let live = try connection ?? connect()
                connection = live
                let results = try EventStore(connection: live).appendGroups(
                    round.map(\.batch), recordedAt: clock())
                record(round: round, results: results)
                for (request, result) in zip(round, results) { request.reply.resume(with: result) }
            } catch {
                logger.error("group commit failed", metadata: ["requests": "\(round.count)", "error": "\(error)"])
                if connection?.isOpen != true { connection = nil }
                for request in round { request.reply.resume(throwing: error) }
            }
        }
        connection?.close()
        condition.lock()
        isFinished = true
        condition.broadcast()
        condition.unlock()
    }

    private func record(round: [Request], results: [Result<[AppendOutcome], VersionConflict>]) {
        onCommit?(round.count, round.reduce(0) { $0 + $1.batch.events.count })
        condition.lock()
        defer { condition.unlock() }
        statistics.transactions += 1
        statistics.requestsAnswered += round.count
        statistics.largestRequestsPerTransaction = max(statistics.largestRequestsPerTransaction, round.count)
        for result in results {
            if case .success(let outcomes) = result {
                statistics.eventsWritten += outcomes.filter { if case .appended = $0 { true } else { false } }.count
            }
        }
    }
}
