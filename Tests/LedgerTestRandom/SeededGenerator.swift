import Foundation

/// The one source of randomness in the tests: SplitMix64 from a seed, so a failing sample replays
/// from the seed its failure message names.
///
/// A target of its own (no dependencies) so the pure core's tests share it without linking PostgreSQL;
/// ``LedgerTestSupport`` re-exports it to the others.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (bound > 0).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// True with probability `percent`/100.
    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    public mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }
}

/// Where a test's seed comes from: `LEDGER_TEST_SEED` when set (to replay a reported failure or try
/// other samples), else the test's own constant, so every run makes the same choices.
public enum TestSeed {
    public static func value(default fallback: UInt64) -> UInt64 {
        ProcessInfo.processInfo.environment["LEDGER_TEST_SEED"].flatMap { UInt64($0) } ?? fallback
    }
}
