import Synchronization

/// Counts webhook bodies being read, up to a bound: a permit is taken before a body is read and
/// given back once it is read (or its read failed), so at most `limit` unauthenticated bodies are
/// held in memory at once (``Limits/webhookBodyReadsInFlightMax``).
final class BodyReadPermits: Sendable {
    let limit: Int
    /// Permits taken.
    private let taken = Mutex(0)
    /// Told the count after every change, under the lock, so a gauge fed by it never ends on a
    /// stale value when permits are given back concurrently.
    private let onChange: @Sendable (Int) -> Void

    init(limit: Int, onChange: @escaping @Sendable (Int) -> Void = { _ in }) {
        precondition(limit > 0, "a body read cap must allow one read")
        self.limit = limit
        self.onChange = onChange
    }

    /// Takes a permit when one is free; false when `limit` reads are already in flight.
    func acquire() -> Bool {
        taken.withLock { taken in
            guard taken < limit else { return false }
            taken += 1
            onChange(taken)
            return true
        }
    }

    func release() {
        taken.withLock { taken in
            precondition(taken > 0, "a body read permit was given back twice")
            taken -= 1
            onChange(taken)
        }
    }

    /// Reads in flight now.
    var inFlight: Int { taken.withLock { $0 } }
}
