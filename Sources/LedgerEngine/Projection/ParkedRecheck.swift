/// A recheck of the subscriptions parked for their license, done by a following projector without a new
/// event (``Projector/follow(pollInterval:recheckInterval:shouldStop:onCatchUp:onLease:onParkedRecheck:)``).
public struct ParkedRecheck: Sendable, Equatable {
    /// What woke the projector.
    public enum Trigger: String, Sendable, CaseIterable {
        /// `licenses` notified a change (migration 012).
        case licensesChanged = "licenses_changed"
        /// No notification within ``Limits/parkedRecheckSecondsMax``: the bounded poll.
        case poll
    }

    public var trigger: Trigger
    /// Subscriptions waiting for their license before the recheck.
    public var waitingBefore: Int
    /// Subscriptions still waiting after it.
    public var waitingAfter: Int
}
