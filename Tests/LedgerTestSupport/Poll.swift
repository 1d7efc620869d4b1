import Foundation

/// Waiting for what another thread or process does: poll the real signal with a deadline, never sleep a
/// fixed time and hope.
public enum Poll {
    /// Polls `condition` every `interval` until it holds; throws naming `what` after `timeout`. The timeout is
    /// a deadline for a hung run, generous on a loaded machine, never a timing assertion.
    public static func until(
        _ what: String, timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(20),
        _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw TestSupportError("timed out waiting until \(what)") }
            try await Task.sleep(for: interval)
        }
    }
}
