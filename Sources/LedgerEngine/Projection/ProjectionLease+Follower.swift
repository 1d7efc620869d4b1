import LedgerPostgres

extension ProjectionLease {
    /// What a following projector does about the lease, as a value: fed what it received and observed,
    /// it says what to do next;
    /// ``Projector/follow(pollInterval:recheckInterval:shouldStop:onCatchUp:onLease:onParkedRecheck:)``
    /// performs it.
    ///
    /// Invariant: a follower gives the writer lock up only while a rebuild is waiting for it (a stray or
    /// stale pause request is ignored), and takes it back only once no rebuild is waiting.
    public struct Follower: Equatable, Sendable {
        public enum Phase: Equatable, Sendable {
            case writing
            case steppedAside
        }

        public enum Step: Equatable, Sendable {
            /// Go on writing.
            case keepWriting
            /// Give the writer lock back now (at a batch boundary) and wait.
            case release
            /// A rebuild still waits or runs: keep waiting.
            case waitAside
            /// No rebuild waits: try to take the writer lock back.
            case tryTakingBack
            /// The lock is back: restore the state from the rebuild's checkpoint and go on.
            case resume
        }

        public private(set) var phase = Phase.writing
        /// A pause was asked while writing and is not answered yet.
        public private(set) var pauseAsked = false
        /// An append was announced since the last ``takeAppended()``.
        public private(set) var appended = false
        /// `licenses` announced a change since the last ``takeLicensesChanged()``.
        public private(set) var licensesChanged = false

        public init() {}

        /// Takes in one notification of the event log's or the lease's channel.
        public mutating func received(channel: String, payload: String) {
            if channel == ProjectionLease.channel {
                if payload == ProjectionLease.pausePayload, phase == .writing { pauseAsked = true }
            } else if channel == LicenseLookup.notificationChannel {
                licensesChanged = true
            } else {
                appended = true
            }
        }

        /// True when an append was announced since the last call.
        public mutating func takeAppended() -> Bool {
            defer { appended = false }
            return appended
        }

        /// True when `licenses` announced a change since the last call.
        public mutating func takeLicensesChanged() -> Bool {
            defer { licensesChanged = false }
            return licensesChanged
        }

        /// What to do given whether a rebuild holds the rebuild lock (asked after a pause request while
        /// writing, and on every poll while stepped aside).
        public mutating func observed(rebuildWaiting: Bool) -> Step {
            switch phase {
            case .writing:
                pauseAsked = false
                guard rebuildWaiting else { return .keepWriting }
                phase = .steppedAside
                return .release
            case .steppedAside:
                return rebuildWaiting ? .waitAside : .tryTakingBack
            }
        }

        /// What to do after trying to take the writer lock back (another projector may have taken it).
        public mutating func triedTakingBack(acquired: Bool) -> Step {
            guard phase == .steppedAside, acquired else { return .waitAside }
            phase = .writing
            // The catch-up after resuming reads up to the head anyway.
            appended = false
            return .resume
        }
    }
}
