import Testing

@testable import LedgerServer

/// The live projector's state machine without threads or a database; time is an instant the test moves.
@Suite("live projector state machine: follow, standby, outage, rebuild pause and stop without threads")
struct LiveProjectorStateMachineTests {
    let start = ContinuousClock.now
    let retry = ProjectorRetry(first: .milliseconds(250), longest: .seconds(1))

    @Test func theFirstAttemptFollowsAndCountsNoRestart() {
        var machine = LiveProjectorStateMachine(startedAt: start, retry: retry)
        #expect(machine.status.state == .retrying)
        #expect(machine.nextAttempt() == .start)
        machine.tookProjection()
        #expect(machine.status.state == .following)
        #expect(catchUp(&machine, through: 10, applied: 10) == .announceFollowing)
        #expect(catchUp(&machine, through: 12, applied: 2) == .none)
        #expect(machine.status.checkpoint == 12)
        #expect(machine.status.eventsApplied == 12)
        #expect(machine.status.lastCatchUpAt == "t")
        #expect(machine.status.restarts == 0)
    }

    @Test func anOutageIsAnnouncedOnceAsItBeginsAndOnceAsItEnds() {
        var machine = LiveProjectorStateMachine(startedAt: start, retry: retry)
        _ = machine.nextAttempt()
        machine.tookProjection()
        _ = catchUp(&machine, through: 5, applied: 5)
        let failures = (0..<4).map { _ in
            _ = machine.nextAttempt()
            return machine.attemptFailed(reason: "database unreachable", now: start)
        }
        #expect(failures.map(\.failure) == [.outageBegan, .outageContinues, .outageContinues, .outageContinues])
        #expect(failures.map(\.wait) == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(1)])
        #expect(machine.status.state == .retrying)
        #expect(machine.status.lastError == "database unreachable")
        #expect(machine.nextAttempt() == .start)
        machine.tookProjection()
        #expect(machine.status.restarts == 1)
        #expect(catchUp(&machine, through: 5, applied: 0) == .announceBack(failedAttempts: 4))
        #expect(machine.status.lastError == nil)
        // The next outage starts from the first wait again.
        _ = machine.nextAttempt()
        #expect(
            machine.attemptFailed(reason: "x", now: start) == .init(wait: .milliseconds(250), failure: .outageBegan))
    }

    @Test func anAttemptThatFailsBeforeItsFirstCatchUpDoesNotEndTheOutage() {
        var machine = LiveProjectorStateMachine(startedAt: start, retry: retry)
        _ = machine.nextAttempt()
        _ = machine.attemptFailed(reason: "x", now: start)
        _ = machine.nextAttempt()
        machine.tookProjection()
        #expect(machine.attemptFailed(reason: "x", now: start).failure == .outageContinues)
    }

    @Test func standbyForAnotherWriterIsAnnouncedOncePerStretchAndIsNoOutage() {
        var machine = LiveProjectorStateMachine(startedAt: start, retry: retry)
        _ = machine.nextAttempt()
        #expect(machine.projectionBusy(now: start) == .init(wait: .milliseconds(250), announce: true))
        #expect(machine.status.state == .standby)
        _ = machine.nextAttempt()
        #expect(machine.projectionBusy(now: start) == .init(wait: .milliseconds(500), announce: false))
        _ = machine.nextAttempt()
        machine.tookProjection()
        #expect(catchUp(&machine, through: 1, applied: 1) == .announceFollowing)
        _ = machine.nextAttempt()
        #expect(machine.projectionBusy(now: start).announce)
    }

    @Test func aRebuildPausesAndResumesTheFollowingProjector() {
        var machine = LiveProjectorStateMachine(startedAt: start, retry: retry)
        _ = machine.nextAttempt()
        machine.tookProjection()
        _ = catchUp(&machine, through: 3, applied: 3)
        machine.pausedForRebuild(now: start)
        #expect(machine.status.state == .standby)
        #expect(machine.status.lastError == "paused while `ledger rebuild` runs")
        machine.resumedAfterRebuild(now: start)
        #expect(machine.status.state == .following)
        #expect(machine.status.lastError == nil)
        #expect(machine.status.rebuildPauses == 1)
        #expect(machine.status.restarts == 0)
    }

    @Test func aStopEndsTheProjectorBeforeItsNextAttempt() {
        var machine = LiveProjectorStateMachine(startedAt: start, retry: retry)
        _ = machine.nextAttempt()
        _ = machine.attemptFailed(reason: "x", now: start)
        machine.stopRequested()
        #expect(machine.isStopping)
        #expect(machine.nextAttempt() == .stop)
        #expect(machine.status.state == .stopped)
    }

    @Test func onlyRepeatedFailuresWhileEventsWaitAreAStall() {
        let bound = Duration.seconds(60)
        var machine = LiveProjectorStateMachine(startedAt: start, retry: retry)
        _ = machine.nextAttempt()
        _ = machine.attemptFailed(reason: "x", now: start)
        let later = start + .seconds(61)
        #expect(machine.stall(checkpoint: 0, head: 0, now: later, bound: bound) == nil)
        #expect(machine.stall(checkpoint: 0, head: 5, now: later, bound: bound) == .seconds(61))
        // Standby (a long rebuild) is not failing.
        machine.pausedForRebuild(now: later)
        #expect(machine.stall(checkpoint: 0, head: 5, now: later + .seconds(120), bound: bound) == nil)
    }

    private func catchUp(_ machine: inout LiveProjectorStateMachine, through position: Int64, applied: Int64)
        -> LiveProjectorStateMachine.CatchUpAction
    {
        machine.caughtUp(through: position, eventsApplied: applied, now: start, wallClock: "t")
    }
}
