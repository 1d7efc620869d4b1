/// What ``LiveProjector`` knows between its thread and its readers, as a value: the status it shows,
/// the retry backoff, whether it is moving (``ProjectorProgress``) and whether a stop was asked. Each
/// input returns what to do next (start an attempt, announce, wait); the projector performs it (the
/// database work, the logs, the sleeps) and holds the lock.
///
/// Invariants: an outage is announced once as it begins and once as it ends (``ProjectorRetry``);
/// standby for another writer is announced once per stretch; a stop asked at any point ends the
/// projector before its next attempt, and its state then reads stopped.
struct LiveProjectorStateMachine: Sendable {
    /// The next step of the projector's thread.
    enum AttemptAction: Equatable, Sendable {
        /// Take the projection on a new connection, catch up and follow.
        case start
        /// A stop was asked: the projector is stopped.
        case stop
    }

    /// What the first catch-up of an attempt announces (later ones announce nothing).
    enum CatchUpAction: Equatable, Sendable {
        /// The first catch-up since the server started, or since a standby.
        case announceFollowing
        /// It ended an outage of this many failed attempts.
        case announceBack(failedAttempts: Int)
        /// Not the first catch-up of this attempt.
        case none
    }

    /// Another writer holds the projection: wait before trying again.
    struct StandbyAction: Equatable, Sendable {
        var wait: Duration
        /// The standby begins now (it was not in standby): say so once.
        var announce: Bool
    }

    /// The attempt failed: wait before trying again, and log as `failure` says.
    struct RetryAction: Equatable, Sendable {
        var wait: Duration
        var failure: ProjectorRetry.Failure
    }

    private(set) var status = LiveProjector.Status(state: .retrying, eventsApplied: 0, restarts: 0)
    private(set) var isStopping = false
    private var retry: ProjectorRetry
    private var progress: ProjectorProgress
    private var attempts = 0
    private var awaitingFirstCatchUp = false

    init(startedAt: ContinuousClock.Instant, retry: ProjectorRetry = ProjectorRetry()) {
        self.retry = retry
        progress = ProjectorProgress(startedAt: startedAt)
    }

    /// Graceful shutdown or cancellation: the thread stops at its next batch boundary or wait.
    mutating func stopRequested() { isStopping = true }

    /// The thread is ready for its next attempt.
    mutating func nextAttempt() -> AttemptAction {
        if isStopping {
            status.state = .stopped
            return .stop
        }
        attempts += 1
        return .start
    }

    /// The attempt took the projection; it now restores its state and catches up.
    mutating func tookProjection() {
        status.state = .following
        if attempts > 1 { status.restarts += 1 }
        awaitingFirstCatchUp = true
    }

    /// A catch-up committed through `position`, applying `eventsApplied` events, at `now` (`wallClock` is
    /// shown as the time of the last catch-up).
    mutating func caughtUp(
        through position: Int64, eventsApplied: Int64, now: ContinuousClock.Instant, wallClock: String
    ) -> CatchUpAction {
        progress.succeeded(at: now)
        status.checkpoint = position
        status.eventsApplied += eventsApplied
        status.lastCatchUpAt = wallClock
        status.lastError = nil
        guard awaitingFirstCatchUp else { return .none }
        awaitingFirstCatchUp = false
        return retry.succeeded().map { .announceBack(failedAttempts: $0) } ?? .announceFollowing
    }

    /// The attempt found the projection held by another writer (`ledger project --follow`, a rebuild).
    mutating func projectionBusy(now: ContinuousClock.Instant) -> StandbyAction {
        let announce = status.state != .standby
        progress.standby(at: now)
        status.state = .standby
        // Shown unauthenticated at /readyz: who holds it (host, pid, address) stays in the log.
        status.lastError = "another projector or a rebuild holds the projection; the log names it"
        return StandbyAction(wait: retry.waitForWriter(), announce: announce)
    }

    /// The attempt failed; `reason` is what readers may be shown (the full error goes to the log only).
    mutating func attemptFailed(reason: String, now: ContinuousClock.Instant) -> RetryAction {
        let (wait, failure) = retry.failed()
        progress.failed(at: now)
        status.state = .retrying
        status.lastError = reason
        return RetryAction(wait: wait, failure: failure)
    }

    /// A `ledger rebuild` asked for the projection and it was given back.
    mutating func pausedForRebuild(now: ContinuousClock.Instant) {
        progress.standby(at: now)
        status.state = .standby
        status.lastError = "paused while `ledger rebuild` runs"
    }

    /// The rebuild is done and the projection is back.
    mutating func resumedAfterRebuild(now: ContinuousClock.Instant) {
        progress.succeeded(at: now)
        status.state = .following
        status.lastError = nil
        status.rebuildPauses += 1
    }

    /// How long the projection has not moved while the projector keeps failing; see ``ProjectorProgress``.
    mutating func stall(checkpoint: Int64, head: Int64, now: ContinuousClock.Instant, bound: Duration) -> Duration? {
        progress.sample(checkpoint: checkpoint, head: head, now: now, bound: bound)
    }
}
