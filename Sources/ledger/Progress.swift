import Foundation

/// A one-line progress report on standard error, shown only when it is a terminal.
///
/// Redraws at most every 200 ms, so reporting from a hot loop costs little.
/// Safe to call from several threads (segments of `verify` report concurrently).
final class ProgressLine: @unchecked Sendable {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let lock = NSLock()
    private var lastDraw = ContinuousClock.now
    private var drawn = false

    /// Redraws the line with `text` if enough time has passed.
    func update(_ text: @autoclosure () -> String) {
        guard isTerminal else { return }
        let now = ContinuousClock.now
        lock.lock()
        defer { lock.unlock() }
        guard now - lastDraw >= .milliseconds(200) else { return }
        lastDraw = now
        drawn = true
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text())".utf8))
    }

    /// Clears the line before the final report.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        guard isTerminal, drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
