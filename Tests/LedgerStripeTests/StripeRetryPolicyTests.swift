import LedgerStripe
import Testing

@Suite struct StripeRetryPolicyTests {
    let policy = StripeRetryPolicy(
        attemptsMax: 4, backoffBase: .milliseconds(100), backoffMax: .seconds(1), retryAfterMax: .seconds(60))

    @Test func successAndClientErrorsAreFinal() {
        #expect(
            policy.decide(after: 1, .response(status: 200, retryAfter: nil, shouldRetry: nil), jitter: 0) == .accept)
        #expect(
            policy.decide(after: 1, .response(status: 400, retryAfter: nil, shouldRetry: nil), jitter: 0) == .accept)
        #expect(
            policy.decide(after: 1, .response(status: 401, retryAfter: nil, shouldRetry: nil), jitter: 0) == .accept)
    }

    @Test func stripeShouldRetryOverridesTheStatus() {
        #expect(
            policy.decide(after: 1, .response(status: 500, retryAfter: nil, shouldRetry: "false"), jitter: 0)
                == .accept)
        guard
            case .retry = policy.decide(
                after: 1, .response(status: 409, retryAfter: nil, shouldRetry: "true"), jitter: 0)
        else {
            Issue.record("409 with Stripe-Should-Retry: true is retried")
            return
        }
    }

    @Test func tooManyRequestsWaitsAtLeastRetryAfter() {
        let decision = policy.decide(after: 1, .response(status: 429, retryAfter: "7", shouldRetry: nil), jitter: 0.3)
        #expect(decision == .retry(after: .seconds(7)))
        let capped = policy.decide(after: 1, .response(status: 429, retryAfter: "3600", shouldRetry: nil), jitter: 0)
        #expect(capped == .retry(after: .seconds(60)))
    }

    /// Every backoff lies between half and all of `base · 2^(attempt-1)` (capped), for any jitter.
    @Test(arguments: [0.0, 0.25, 0.5, 0.999])
    func backoffIsExponentialWithJitterAndBounded(jitter: Double) {
        for attempt in 1..<policy.attemptsMax {
            guard case .retry(let delay) = policy.decide(after: attempt, .noResponse, jitter: jitter) else {
                Issue.record("attempt \(attempt) is retried")
                continue
            }
            let full = min(Duration.milliseconds(100) * (1 << (attempt - 1)), .seconds(1))
            #expect(delay >= full / 2 && delay <= full, "attempt \(attempt), jitter \(jitter): \(delay)")
        }
        #expect(policy.decide(after: policy.attemptsMax, .noResponse, jitter: jitter) == .giveUp)
        #expect(
            policy.decide(
                after: policy.attemptsMax, .response(status: 503, retryAfter: nil, shouldRetry: nil), jitter: 0)
                == .giveUp)
    }

    /// Reservations are never closer than the interval, whatever the callers' clock readings.
    @Test func scheduleSpacesRequests() {
        var schedule = RequestSchedule(requestsPerSecond: 20)
        var previous: Duration?
        for now in [0, 0, 10, 10, 200, 201, 1_000, 1_000].map(Duration.milliseconds) {
            let start = schedule.reserve(now: now)
            #expect(start >= now)
            if let previous { #expect(start - previous >= .milliseconds(50)) }
            previous = start
        }
    }

    @Test func keysStateTheirModeAndNeverShowTheSecret() throws {
        let key = try StripeAPIKey("rk_live_51Hsecretpart")
        #expect(key.mode == .live)
        #expect(!"\(key)".contains("secretpart") && !String(reflecting: key).contains("secretpart"))
        #expect(try StripeAPIKey("sk_test_abc").mode == .test)
        #expect(throws: StripeAPIKey.Refused.self) { try StripeAPIKey("pk_test_abc") }
        #expect(throws: StripeAPIKey.Refused.self) { try StripeAPIKey("sk_test_") }
    }
}
