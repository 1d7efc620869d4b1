import Foundation
import LedgerCore

/// The bounds of waiting for a read database to replay a position (`--replica-wait-seconds`, the read
/// API's `Ledger-Min-Position`).
extension Limits {
    /// How long a read waits for the position it asked for when not told otherwise.
    public static let replicaWaitSecondsDefault = 5
    /// The longest wait that may be asked for.
    public static let replicaWaitSecondsMax = 300
    /// The pause between two looks at the replica's head while waiting (a standby cannot LISTEN).
    public static let replicaPollMilliseconds = 20
}

/// A read asked for a position the read database has not replayed, and the bounded wait ran out: the
/// read is refused rather than answered from an older state.
public struct ReplicaBehind: Error, CustomStringConvertible, Sendable, Equatable {
    /// The position asked for.
    public var position: Int64
    /// The read database's head when the wait ran out.
    public var replayed: Int64
    /// How long the read waited, in whole seconds.
    public var waitedSeconds: Int64

    public init(position: Int64, replayed: Int64, waitedSeconds: Int64) {
        self.position = position
        self.replayed = replayed
        self.waitedSeconds = waitedSeconds
    }

    public var description: String {
        "the read database has replayed the log through position \(replayed), not \(position), after waiting "
            + "\(waitedSeconds) s: retry, wait longer, or read from the primary"
    }
}

/// Waiting, bounded, until the read database's head reaches a position: the decision as a value, so the
/// CLI's blocking loop (``wait(reading:)``) and the server's suspending one take the same steps.
public struct ReplicaWait: Sendable, Equatable {
    /// What to do after one look at the head.
    public enum Step: Sendable, Equatable {
        /// The head has reached the position: read now.
        case ready
        /// Look again after this pause.
        case poll(after: Duration)
        /// The wait ran out.
        case refuse(ReplicaBehind)
    }

    /// The position the read needs.
    public var position: Int64
    /// The longest wait.
    public var timeout: Duration

    public init(position: Int64, timeout: Duration) {
        self.position = position
        self.timeout = timeout
    }

    /// The step after seeing `replayed` as the head, `waited` after the first look.
    public func step(replayed: Int64, waited: Duration) -> Step {
        if replayed >= position { return .ready }
        guard waited < timeout else {
            return .refuse(
                ReplicaBehind(position: position, replayed: replayed, waitedSeconds: waited.components.seconds))
        }
        return .poll(after: min(.milliseconds(Limits.replicaPollMilliseconds), timeout - waited))
    }

    /// Blocks until `read` (a look at the read database) shows the position, and returns that look; throws
    /// ``ReplicaBehind`` when the wait runs out.
    public func wait(reading read: () throws -> ReplicaLag.ReplicaSide) throws -> ReplicaLag.ReplicaSide {
        let clock = ContinuousClock()
        let start = clock.now
        while true {
            let side = try read()
            switch step(replayed: side.position, waited: start.duration(to: clock.now)) {
            case .ready: return side
            case .poll(let pause):
                Thread.sleep(
                    forTimeInterval: Double(pause.components.attoseconds) / 1e18 + Double(pause.components.seconds))
            case .refuse(let behind): throw behind
            }
        }
    }
}
