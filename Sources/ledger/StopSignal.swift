import Dispatch
import Foundation

/// Turns SIGINT and SIGTERM into a flag that long-running commands check between units of work,
/// so they stop at a safe point (a committed batch) and exit 0 instead of dying mid-write.
final class StopSignal: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var requested = false
    /// Kept alive for the life of the flag; written once, by `listen`.
    private var sources: [any DispatchSourceSignal] = []

    /// A flag set by the first of `signals` (SIGINT and SIGTERM by default) to arrive.
    static func listen(to signals: [Int32] = [SIGINT, SIGTERM]) -> StopSignal {
        let flag = StopSignal()
        for number in signals {
            // The default action would kill the process; the dispatch source sees the signal instead.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { flag.lock.withLock { flag.requested = true } }
            source.resume()
            flag.sources.append(source)
        }
        return flag
    }

    /// True once a signal arrived.
    var isRequested: Bool { lock.withLock { requested } }
}
