import Dispatch
import Foundation
import LedgerEngine

/// Turns SIGINT and SIGTERM into a flag that long-running commands check between units of work,
/// so they stop at a safe point (a committed batch) and exit 0 instead of dying mid-write.
final class StopSignal: Sendable {
    private let requested: Locked<Bool>
    /// Kept alive for the life of the flag. Dispatch's sources are not `Sendable`, but these are
    /// never read again after `init`, so no thread can race on them.
    nonisolated(unsafe) private let sources: [any DispatchSourceSignal]

    private init(signals: [Int32]) {
        let requested = Locked(false)
        self.requested = requested
        sources = signals.map { number in
            // The default action would kill the process; the dispatch source sees the signal instead.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { requested.withLock { $0 = true } }
            source.resume()
            return source
        }
    }

    /// A flag set by the first of `signals` (SIGINT and SIGTERM by default) to arrive.
    static func listen(to signals: [Int32] = [SIGINT, SIGTERM]) -> StopSignal {
        StopSignal(signals: signals)
    }

    /// True once a signal arrived.
    var isRequested: Bool { requested.withLock { $0 } }
}
