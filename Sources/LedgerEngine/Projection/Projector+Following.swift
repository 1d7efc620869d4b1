import LedgerCore
import LedgerPostgres

/// What happened to a following projector's lease, for its owner's status and logs.
public enum LeaseChange: Sendable, Equatable {
    /// A rebuild asked for the projection: the writer lock is given back until it is done.
    case steppedAside
    /// The rebuild is done and the writer lock is back; the state is restored from its checkpoint.
    case resumed
}

extension Projector {
    /// Catches up, then waits for new events (LISTEN/NOTIFY, polled every `pollInterval`) until
    /// `shouldStop` says so; `onCatchUp` gets each catch-up that applied or replayed events.
    ///
    /// Subscriptions parked for their license are rechecked when `licenses` notifies a change, and at
    /// least every `recheckInterval` while any wait (a NOTIFY can be missed); `onParkedRecheck` hears of
    /// each such recheck.
    ///
    /// When a `ledger rebuild` asks for the projection (``ProjectionLease``), it finishes the batch in
    /// flight, gives the writer lock back, waits until the rebuild is done and resumes from the
    /// checkpoint the rebuild left; `onLease` hears of both.
    public func follow(
        pollInterval: Duration = .milliseconds(250),
        recheckInterval: Duration = .seconds(Limits.parkedRecheckSecondsMax), shouldStop: () -> Bool,
        onCatchUp: (CatchUpReport) -> Void, onLease: (LeaseChange) -> Void = { _ in },
        onParkedRecheck: (ParkedRecheck) -> Void = { _ in }
    ) throws {
        let channels = [EventStore.notificationChannel, ProjectionLease.channel, LicenseLookup.notificationChannel]
        for channel in channels { try connection.listen(channel) }
        defer { for channel in channels { try? connection.unlisten(channel) } }
        var follower = ProjectionLease.Follower()
        var recheck: ParkedRecheck.Trigger?
        while !shouldStop() {
            let waitingBefore = subscriptionsWaitingForLicense
            let report = try catchUp(shouldStop: {
                // A broken connection here fails the next batch's read, which reports it.
                _ = try? receive(into: &follower, timeout: .zero)
                return shouldStop() || follower.pauseAsked
            })
            if report.eventsApplied > 0 || report.eventsReplayed > 0 { onCatchUp(report) }
            if let trigger = recheck, waitingBefore > 0 {
                onParkedRecheck(
                    ParkedRecheck(
                        trigger: trigger, waitingBefore: waitingBefore, waitingAfter: subscriptionsWaitingForLicense))
            }
            recheck = nil
            // A license committed while the catch-up ran notified after its lookup: its flag is still set.
            let recheckDue = ContinuousClock.now + recheckInterval
            while !shouldStop(), !follower.pauseAsked, !follower.takeAppended() {
                if follower.takeLicensesChanged() {
                    recheck = .licensesChanged
                    licensesChanged()
                    break
                }
                if subscriptionsWaitingForLicense > 0, ContinuousClock.now >= recheckDue {
                    recheck = .poll
                    licensesChanged()
                    break
                }
                try receive(into: &follower, timeout: pollInterval)
            }
            if follower.pauseAsked {
                try stepAsideForRebuild(&follower, pollInterval: pollInterval, shouldStop: shouldStop, onLease: onLease)
            }
        }
    }

    /// Gives the writer lock to a waiting rebuild and takes it back once it is done; returns at once when no
    /// rebuild waits (the request was stale), or when `shouldStop` says so while waiting.
    private func stepAsideForRebuild(
        _ follower: inout ProjectionLease.Follower, pollInterval: Duration, shouldStop: () -> Bool,
        onLease: (LeaseChange) -> Void
    ) throws {
        guard follower.observed(rebuildWaiting: try lease.rebuildIsWaiting()) == .release else { return }
        try lease.release()
        // The rebuild rewrites the tables and the checkpoint: what is in memory no longer matches them.
        discardState()
        logger.info("paused for a rebuild", metadata: ["checkpoint": "\(checkpoint)"])
        onLease(.steppedAside)
        while !shouldStop() {
            // A finishing rebuild notifies; without it (it was killed) the poll sees its lock gone.
            try receive(into: &follower, timeout: pollInterval)
            guard follower.observed(rebuildWaiting: try lease.rebuildIsWaiting()) == .tryTakingBack,
                follower.triedTakingBack(acquired: try lease.tryAcquire()) == .resume
            else { continue }
            logger.info("resuming after a rebuild")
            onLease(.resumed)
            return
        }
    }

    /// Waits up to `timeout` for a notification, then takes in every pending one.
    private func receive(into follower: inout ProjectionLease.Follower, timeout: Duration) throws {
        var next = try connection.nextNotification(timeout: timeout)
        while let notification = next {
            follower.received(channel: notification.channel, payload: notification.payload)
            next = try connection.nextNotification(timeout: .zero)
        }
    }
}
