import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import Logging
import ServiceLifecycle
import Synchronization

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
public final class LiveProjector: Service, Sendable {
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

    /// Fed by the projector's thread, read by `/v1/status`, `/readyz` and `/metrics`.
    private let machine = Mutex(LiveProjectorStateMachine(startedAt: .now))

    private let connect: @Sendable () throws -> PostgresConnection
    private let snapshots: SnapshotPolicy?
    private let stallBound: Duration
    private let metrics: ServerMetrics
    private let logger: Logger

    /// - Parameters:
    ///   - snapshots: where the state is restored from on each (re)start, as `ledger project` does.
    ///   - stallBound: how long it may keep failing with events waiting before it counts as stalled.
    public init(
        connect: @escaping @Sendable () throws -> PostgresConnection, snapshots: SnapshotPolicy?,
        stallBound: Duration = .seconds(Limits.projectorStallSecondsDefault), metrics: ServerMetrics, logger: Logger
    ) {
        self.connect = connect
        self.stallBound = stallBound
        self.snapshots = snapshots
        self.metrics = metrics
        self.logger = logger
    }

    public var status: Status { machine.withLock { $0.status } }

    /// How long the projection has not moved while this projector keeps failing and events wait
    /// (nil when it is moving, waiting for the writer lock, or has nothing to do), given the
    /// checkpoint and head the database shows now; see ``ProjectorProgress``.
    func stall(checkpoint: Int64, head: Int64) -> Duration? {
        machine.withLock { $0.stall(checkpoint: checkpoint, head: head, now: .now, bound: stallBound) }
    }

    /// Runs the projector thread until graceful shutdown or cancellation, then waits for it to stop.
    public func run() async throws {
        let finished = DispatchGroup()
        finished.enter()
        _ = WorkerThread(name: "ledger.projector") { [self] in
            loop()
            finished.leave()
        }
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

    private func requestStop() { machine.withLock { $0.stopRequested() } }

    private var isStopping: Bool { machine.withLock { $0.isStopping } }

    /// Feeds the state machine one input, then shows its status in the metrics.
    private func transition<Action: Sendable>(_ input: (inout LiveProjectorStateMachine) -> Action) -> Action {
        let (action, status) = machine.withLock { machine in (input(&machine), machine.status) }
        metrics.projectorRunning.record(status.state == .following ? 1 : 0)
        if let checkpoint = status.checkpoint { metrics.projectorCheckpoint.record(checkpoint) }
        return action
    }

    private func loop() {
        while transition({ $0.nextAttempt() }) == .start {
            let wait: Duration
            do {
                try follow()
                continue
            } catch let busy as ProjectionBusy {
                let standby = transition { $0.projectionBusy(now: .now) }
                if standby.announce {
                    logger.info(
                        "projector in standby: another session holds the projection", metadata: ["holder": "\(busy)"])
                }
                wait = standby.wait
            } catch {
                // Shown unauthenticated at /readyz: libpq's words stay in the log.
                let reason = APIError.publicDescription(of: error)
                let retry = transition { $0.attemptFailed(reason: reason, now: .now) }
                retry.failure.log(
                    error, to: logger, outage: "projector lost the database; retrying until it is back",
                    attempt: "projector retry failed")
                wait = retry.wait
            }
            pause(wait)
        }
        logger.info("projector stopped", metadata: ["checkpoint": "\(status.checkpoint.map(String.init) ?? "none")"])
    }

    /// One attempt: takes the projection on a new connection, catches up and follows until stopped.
    private func follow() throws {
        let projector = try Projector(connect: connect, snapshots: snapshots, logger: logger, role: "ledger serve")
        transition { $0.tookProjection() }
        let first = try projector.catchUp(shouldStop: { isStopping })
        switch record(first) {
        case .announceBack(let failures):
            logger.info(
                "projector is back", metadata: ["failed_attempts": "\(failures)", "checkpoint": "\(first.position)"])
        case .announceFollowing:
            logger.info("projector following the log", metadata: ["checkpoint": "\(first.position)"])
        case .none:
            break
        }
        try projector.follow(
            shouldStop: { isStopping }, onCatchUp: { _ = record($0) }, onLease: leaseChanged,
            onParkedRecheck: parkedRechecked)
    }

    /// A late license (or the bounded poll) let the projector recheck its parked subscriptions.
    private func parkedRechecked(_ recheck: ParkedRecheck) {
        metrics.recordParkedRecheck(recheck.trigger)
        guard recheck.waitingAfter < recheck.waitingBefore else { return }
        logger.info(
            "parked subscriptions got their license",
            metadata: [
                "projected": "\(recheck.waitingBefore - recheck.waitingAfter)",
                "still_parked": "\(recheck.waitingAfter)",
                "trigger": "\(recheck.trigger.rawValue)",
            ])
    }

    private func leaseChanged(_ change: LeaseChange) {
        switch change {
        case .steppedAside: transition { $0.pausedForRebuild(now: .now) }
        case .resumed: transition { $0.resumedAfterRebuild(now: .now) }
        }
    }

    private func record(_ report: CatchUpReport) -> LiveProjectorStateMachine.CatchUpAction {
        let wallClock = EventTime(Date()).description
        let action = transition {
            $0.caughtUp(through: report.position, eventsApplied: report.eventsApplied, now: .now, wallClock: wallClock)
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
        return action
    }

    /// Sleeps up to `duration`, waking early when a stop is requested.
    private func pause(_ duration: Duration) {
        let deadline = ContinuousClock.now + duration
        while !isStopping, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
    }
}
