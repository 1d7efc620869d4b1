import Foundation

/// The Stripe payloads the tests replay, checked in under `Tests/Fixtures/stripe` (a copy of the
/// workplace's `shared/fixtures/stripe`, see its SOURCES.md), so a clone anywhere is self-contained.
enum StripeFixtures {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // LedgerCoreTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/stripe")
}
