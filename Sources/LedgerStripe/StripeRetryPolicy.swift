import LedgerCore

/// When a Stripe request is tried again, and after how long: a pure decision, tested without a network.
///
/// Stripe's rules (docs "Error handling", "Rate limits"): `Stripe-Should-Retry` overrides everything
/// else when present; a `429` waits at least its `Retry-After`; `5xx`, connection errors and timeouts
/// back off exponentially with jitter; other `4xx` are final. Attempts are bounded by ``attemptsMax``.
public struct StripeRetryPolicy: Sendable, Equatable {
    /// Most attempts of one request, the first included.
    public var attemptsMax: Int
    /// The first backoff; each later one doubles, up to ``backoffMax``.
    public var backoffBase: Duration
    public var backoffMax: Duration
    /// The longest `Retry-After` honoured; a longer one is cut to this (and the attempt still counts).
    public var retryAfterMax: Duration

    public init(
        attemptsMax: Int = Limits.stripeRequestAttemptsDefault,
        backoffBase: Duration = .milliseconds(Limits.stripeBackoffMillisecondsBase),
        backoffMax: Duration = .seconds(Limits.stripeBackoffSecondsMax),
        retryAfterMax: Duration = .seconds(Limits.stripeRetryAfterSecondsMax)
    ) {
        precondition(attemptsMax >= 1, "at least one attempt")
        self.attemptsMax = attemptsMax
        self.backoffBase = backoffBase
        self.backoffMax = backoffMax
        self.retryAfterMax = retryAfterMax
    }

    /// What one attempt gave.
    public enum Attempt: Sendable, Equatable {
        /// A response: its status and the two headers that steer retries (raw text, nil when absent).
        case response(status: Int, retryAfter: String?, shouldRetry: String?)
        /// No response: the connection failed, was reset, or the request timed out.
        case noResponse
    }

    public enum Decision: Sendable, Equatable {
        /// Keep the response: a success, or a failure no retry will change.
        case accept
        /// Wait this long, then try again.
        case retry(after: Duration)
        /// Attempts are used up: report the last outcome.
        case giveUp
    }

    /// The decision after attempt number `attempt` (1-based); `jitter` in `0..<1` comes from the caller's
    /// random source, so a test fixes it.
    public func decide(after attempt: Int, _ outcome: Attempt, jitter: Double) -> Decision {
        let retryable: Bool
        var floor: Duration = .zero
        switch outcome {
        case .noResponse:
            retryable = true
        case .response(let status, let retryAfter, let shouldRetry):
            if (200..<300).contains(status) { return .accept }
            switch shouldRetry?.trimmingWhitespace.lowercased() {
            case "true": retryable = true
            case "false": retryable = false
            default: retryable = status == 429 || status >= 500
            }
            if status == 429, let retryAfter, let seconds = Int(retryAfter.trimmingWhitespace), seconds >= 0 {
                floor = min(.seconds(seconds), retryAfterMax)
            }
        }
        guard retryable else { return .accept }
        guard attempt < attemptsMax else { return .giveUp }
        return .retry(after: max(floor, backoff(after: attempt, jitter: jitter)))
    }

    /// `backoffBase · 2^(attempt-1)`, capped, then "equal jitter": between half and all of it, so
    /// clients that failed together do not retry together, and none retries at once.
    func backoff(after attempt: Int, jitter: Double) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let full = min(backoffBase * (1 << exponent), backoffMax)
        return full * (0.5 + 0.5 * min(max(jitter, 0), 0.999_999))
    }
}

/// Spaces requests at most `requestsPerSecond` apart: the schedule as a value, the sleeping done by the client.
public struct RequestSchedule: Sendable, Equatable {
    /// The gap between two requests.
    public let interval: Duration
    /// When the next request may start, on the caller's clock (nil before the first).
    private var nextStart: Duration?

    public init(requestsPerSecond: Double) {
        precondition(requestsPerSecond > 0, "a positive rate")
        interval = .nanoseconds(Int64((1_000_000_000 / requestsPerSecond).rounded(.up)))
    }

    /// Reserves the next slot at or after `now` (a time since any fixed origin) and returns it.
    public mutating func reserve(now: Duration) -> Duration {
        let start = max(now, nextStart ?? now)
        nextStart = start + interval
        return start
    }
}
