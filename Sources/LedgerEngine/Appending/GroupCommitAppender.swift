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
///
/// `@unchecked Sendable`: `machine` is read and written only with `condition` held; the writer and
/// `shutdown()` wait on that condition, which ``Locked`` cannot do.
public final class GroupCommitAppender: @unchecked Sendable {
    /// Appends cannot be taken right now; the caller should retry later (HTTP 503).
    public struct Unavailable: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    typealias Reply = CheckedContinuation<[AppendOutcome], any Error>

    /// Guarded by `condition`; the writer waits on it for requests, `shutdown()` for the writer to stop.
    private let condition = NSCondition()
    private var machine = GroupCommitStateMachine<Reply>()

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
        // Not joined: `shutdown()` waits for the state machine to say the writer stopped.
        _ = WorkerThread(name: "ledger.group-commit") { [self] in writerLoop() }
    }

    /// Appends `batch` atomically and returns once it is committed.
    ///
    /// The batch's events were validated when it was made (``AppendBatch``). Throws
    /// ``VersionConflict`` if an expectation fails, ``Unavailable`` when closed or overloaded, or
    /// the database error that stopped the commit (nothing of the batch is then
    /// stored unless the commit succeeded and only its acknowledgement was
    /// lost: a retry is answered as a duplicate).
    public func append(_ batch: AppendBatch) async throws -> [AppendOutcome] {
        return try await withCheckedThrowingContinuation { (reply: Reply) in
            let request = GroupCommitStateMachine.Request(batch: batch, reply: reply)
            condition.lock()
            defer { condition.unlock() }
            switch machine.appendRequested(request) {
            case .wakeWriter: condition.signal()
            case .reject(let reply, let error): reply.resume(throwing: error)
            }
        }
    }

    /// Stops taking appends, finishes those queued, and waits for the writer to stop.
    public func shutdown() {
        condition.lock()
        defer { condition.unlock() }
        switch machine.close() {
        case .wakeWriter: condition.broadcast()
        case .none: break
        }
        while !machine.isFinished { condition.wait() }
    }

    /// A copy of the counters.
    public var currentStatistics: Statistics { condition.withLock { machine.statistics } }

    private func writerLoop() {
        var connection: PostgresConnection?
        while let round = nextRound() {
            do {
                let live = try connection ?? connect()
                connection = live
                let results = try EventStore(connection: live).appendGroups(
                    round.map(\.batch), recordedAt: clock())
                let answered = condition.withLock { machine.batchCommitted(results) }
                onCommit?(answered.count, answered.reduce(0) { $0 + $1.batch.events.count })
                for (request, result) in zip(answered, results) { request.reply.resume(with: result) }
            } catch {
                logger.error("group commit failed", metadata: ["requests": "\(round.count)", "error": "\(error)"])
                if connection?.isOpen != true { connection = nil }
                let failed = condition.withLock { machine.batchFailed() }
                for request in failed { request.reply.resume(throwing: error) }
            }
        }
        connection?.close()
        condition.withLock {
            machine.writerStopped()
            condition.broadcast()
        }
    }

    /// Waits for the next round; nil once closed and drained.
    private func nextRound() -> [GroupCommitStateMachine<Reply>.Request]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            switch machine.writerReady() {
            case .write(let round): return round
            case .wait: condition.wait()
            case .stop: return nil
            }
        }
    }
}
