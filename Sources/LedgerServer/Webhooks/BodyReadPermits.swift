import Foundation

/// Counts webhook bodies being read, up to a bound: a permit is taken before a body is read and
/// given back once it is read (or its read failed), so at most `limit` unauthenticated bodies are
/// held in memory at once (``Limits/webhookBodyReadsInFlightMax``).
final class BodyReadPermits: @unchecked Sendable {
    let limit: Int
    // Guarded by `lock`.
    private let lock = NSLock()
    private var taken = 0

    init(limit: Int) {
        precondition(limit > 0, "a body read cap must allow one read")
        self.limit = limit
    }

    /// Takes a permit when one is free; false when `limit` reads are already in flight.
    func acquire() -> Bool {
        lock.withLock {
            guard taken < limit else { return false }
            taken += 1
            return true
        }
    }

    func release() {
        lock.withLock {
            precondition(taken > 0, "a body read permit was given back twice")
            taken -= 1
        }
    }

    /// Reads in flight now.
    var inFlight: Int { lock.withLock { taken } }
}
