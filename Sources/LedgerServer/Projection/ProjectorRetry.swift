import LedgerCore
import Logging

/// When a projector that follows the log (`ledger serve`'s, `ledger project --follow`) tries again after
/// a failure, and what is worth logging: a warning when an outage begins, info when it ends, not a line
/// per attempt while the database restarts.
///
/// Invariant: the wait doubles from `first` up to `longest` and never exceeds it; one success resets it.
public struct ProjectorRetry: Sendable, Equatable {
    /// What a failed attempt means for the logs.
    public enum Failure: Sendable, Equatable {
        /// The first failure since the last success: log it as a warning.
        case outageBegan
        /// A further failure of the same outage.
        case outageContinues
    }

    public let first: Duration
    public let longest: Duration
    /// The wait before the next attempt.
    public private(set) var delay: Duration
    /// Failed attempts since the last success.
    public private(set) var failures = 0

    public init(first: Duration = .milliseconds(250), longest: Duration = .seconds(Limits.projectorRetrySecondsMax)) {
        precondition(first > .zero && first <= longest, "retry waits out of order")
        self.first = first
        self.longest = longest
        delay = first
    }

    /// An attempt failed: returns how long to wait and whether an outage began.
    public mutating func failed() -> (wait: Duration, failure: Failure) {
        failures += 1
        return (backOff(), failures == 1 ? .outageBegan : .outageContinues)
    }

    /// Another writer holds the projection: not an outage, but waited for with the same backoff.
    public mutating func waitForWriter() -> Duration { backOff() }

    /// An attempt succeeded: returns the failed attempts of the outage it ends (nil when there was none).
    public mutating func succeeded() -> Int? {
        defer {
            failures = 0
            delay = first
        }
        return failures > 0 ? failures : nil
    }

    private mutating func backOff() -> Duration {
        let wait = delay
        delay = min(delay * 2, longest)
        return wait
    }
}

extension ProjectorRetry.Failure {
    /// Logs a failed attempt once per outage: `outage` as a warning when it begins (with the error and the
    /// longest wait), `attempt` at debug level while it lasts.
    public func log(
        _ error: any Error, to logger: Logger, outage: Logger.Message, attempt: Logger.Message = "retry failed"
    ) {
        switch self {
        case .outageBegan:
            logger.warning(
                outage, metadata: ["error": "\(error)", "retry_max_s": "\(Limits.projectorRetrySecondsMax)"])
        case .outageContinues:
            logger.debug(attempt, metadata: ["error": "\(error)"])
        }
    }
}
