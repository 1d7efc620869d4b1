import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import Logging
import ServiceLifecycle

/// The catch-up projector of `ledger serve`: ``Projector/follow`` on a thread of its own, woken by
/// every append's NOTIFY, for the life of the server.
///
/// It never stops the server: when the database goes away (a restart, a cut) or another projector
/// holds the writer lock it waits (at most ``Limits/projectorRetrySecondsMax`` between attempts) and
/// starts again on a new connection, restoring its state from the checkpoint; an outage is logged
/// once as a warning and its end at info. A `ledger rebuild` asks it to pause (``ProjectionLease``):
/// it stands by until the rebuild is done and resumes from the rebuild's checkpoint. Its state is
/// shown at `/v1/status` and `/metrics`. On graceful shutdown it stops at a batch boundary
/// (everything committed so far is kept).
public final class LiveProjector: Service, @unchecked Sendable {
    /// What the projector is doing.
    public enum State: String, Sendable, Codable {
        /// Restoring its state or catching up, then waiting for appends.
        case following
        /// Another writer holds the projection lock (`ledger project --follow`), or it paused for a
        /// `ledger rebuild`.
        case standby
        /// The last attempt failed (database unreachable, …); retrying.
        case retrying
        case stopped
    }

    /// A copy of the projector's state for `/v1/status`.
    public struct Status: Sendable, Codable {
        public var state: State
        /// The checkpoint this projector committed last (nil before its first catch-up).
        public var checkpoint: Int64?
        public var eventsApplied: Int64
        public var lastCatchUpAt: String?
        /// Why it is in standby or retrying.
        public var lastError: String?
        /// How often it had to start again.
        public var restarts: Int
        /// How often it paused for a `ledger rebuild` and resumed.
        public var rebuildPauses: Int = 0
    }

    // Guarded by `lock`.
    private let lock = NSLock()
    private var current = Status(state: .retrying, eventsApplied: 0, restarts: 0)
    private var stopRequested = false
    private var progress = ProjectorProgress(startedAt: .now)

    private let connect: @Sendable () throws -> PostgresConnection
    private let snapshots: SnapshotPolicy?
    private let metrics: ServerMetrics
    private let logger: Logger

    /// - Parameter snapshots: where the state is restored from on each (re)start, as `ledger project` does.
    public init(
        connect: @escaping @Sendable () throws -> PostgresConnection, snapshots: SnapshotPolicy?,
        metrics: ServerMetrics, logger: Logger
    ) {
        self.connect = connect
        self.snapshots = snapshots
        self.metrics = metrics
        self.logger = logger
    }

    public var status: Status { lock.withLock { current } }

    /// How long the projection has not moved while this projector keeps failing and events wait
    /// (nil when it is moving, waiting for the writer lock, or has nothing to do), given the
    /// checkpoint and head the database shows now; see ``ProjectorProgress``.
    func stall(checkpoint: Int64, head: Int64, bound: Duration = .seconds(Limits.projectorStallSecondsMax))
        -> Duration?
    {
        lock.withLock { progress.sample(checkpoint: checkpoint, head: head, now: .now, bound: bound) }
    }

    /// Runs the projector thread until graceful shutdown or cancellation, then waits for it to stop.
    public func run() async throws {
        let finished = DispatchGroup()
        finished.enter()
        let thread = Thread { [self] in
            loop()
            finished.leave()
        }
        thread.name = "ledger.projector"
        thread.start()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withCheckedContinuation { continuation in
                    finished.notify(queue: .global()) { continuation.resume() }
                }
            } onGracefulShutdown: {
                self.requestStop()
            }
        } onCancel: {
            self.requestStop()
        }
    }

    private func requestStop() { lock.withLock { stopRequested = true } }

    private var isStopping: Bool { lock.withLock { stopRequested } }

    private func update(_ change: (inout Status) -> Void) {
        let status = lock.withLock {
            change(&current)
            return current
        }
        metrics.projectorRunning.record(status.state == .following ? 1 : 0)
        if let checkpoint = status.checkpoint { metrics.projectorCheckpoint.record(checkpoint) }
    }

    private func loop() {
        var retry = ProjectorRetry()
        var attempts = 0
        while !isStopping {
            attempts += 1
            let wait: Duration
            do {
                try follow(restart: attempts > 1, retry: &retry)
                continue
            } catch let busy as ProjectionBusy {
                if status.state != .standby {
                    logger.info(
                        "projector in standby: another session holds the projection", metadata: ["holder": "\(busy)"])
                }
                lock.withLock { progress.standby(at: .now) }
                update {
                    $0.state = .standby
                    // Shown unauthenticated at /readyz: who holds it (host, pid, address) stays in the log.
                    $0.lastError = "another projector or a rebuild holds the projection; the log names it"
                }
                wait = retry.waitForWriter()
            } catch {
                let (delay, failure) = retry.failed()
                if failure == .outageBegan {
                    logger.warning(
                        "projector lost the database; retrying until it is back",
                        metadata: ["error": "\(error)", "retry_max_s": "\(Limits.projectorRetrySecondsMax)"])
                } else {
                    logger.debug("projector retry failed", metadata: ["error": "\(error)"])
                }
                lock.withLock { progress.failed(at: .now) }
                update {
                    $0.state = .retrying
                    // Shown unauthenticated at /readyz: libpq's words stay in the log above.
                    $0.lastError = APIError.publicDescription(of: error)
                }
                wait = delay
            }
            pause(wait)
        }
        update { $0.state = .stopped }
        logger.info("projector stopped", metadata: ["checkpoint": "\(status.checkpoint.map(String.init) ?? "none")"])
    }

    /// One attempt: takes the projection on a new connection, catches up and follows until stopped.
    private func follow(restart: Bool, retry: inout ProjectorRetry) throws {
        let projector = try Projector(connect: connect, snapshots: snapshots, logger: logger, role: "ledger serve")
        update {
            $0.state = .following
            if restart { $0.restarts += 1 }
        }
        let first = try projector.catchUp(shouldStop: { isStopping })
        record(first)
        if let failures = retry.succeeded() {
            logger.info(
                "projector is back", metadata: ["failed_attempts": "\(failures)", "checkpoint": "\(first.position)"])
        } else {
            logger.info("projector following the log", metadata: ["checkpoint": "\(first.position)"])
        }
        try projector.follow(shouldStop: { isStopping }, onCatchUp: { record($0) }, onLease: leaseChanged)
    }

    private func leaseChanged(_ change: LeaseChange) {
        switch change {
        case .steppedAside:
            lock.withLock { progress.standby(at: .now) }
            update {
                $0.state = .standby
                $0.lastError = "paused while `ledger rebuild` runs"
            }
        case .resumed:
            lock.withLock { progress.succeeded(at: .now) }
            update {
                $0.state = .following
                $0.lastError = nil
                $0.rebuildPauses += 1
            }
        }
    }

    private func record(_ report: CatchUpReport) {
        let now = EventTime(Date()).description
        lock.withLock { progress.succeeded(at: .now) }
        update {
            $0.checkpoint = report.position
            $0.eventsApplied += report.eventsApplied
            $0.lastCatchUpAt = now
            $0.lastError = nil
        }
        // Snapshots are an optimisation: one that could not be written is a warning and a count,
        // and projection has already gone on without it (issue 13 point 7).
        for failure in report.snapshotFailures {
            logger.warning("snapshot not written; projection goes on", metadata: ["error": "\(failure)"])
            metrics.snapshotWriteFailures.increment()
        }
        if report.eventsApplied > 0 {
            logger.debug(
                "projected", metadata: ["events": "\(report.eventsApplied)", "checkpoint": "\(report.position)"])
        }
    }

    /// Sleeps up to `duration`, waking early when a stop is requested.
    private func pause(_ duration: Duration) {
        let deadline = ContinuousClock.now + duration
        while !isStopping, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
    }
}
