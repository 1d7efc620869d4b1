import Logging

/// Logs, at debug level, how long each phase of a long command took since the previous one, so
/// `--log-level debug` says where a rebuild's wall time goes (docs/benchmarks.md reads it).
struct PhaseTimer {
    let logger: Logger
    let operation: String
    private var last = ContinuousClock.now

    init(logger: Logger, operation: String) {
        self.logger = logger
        self.operation = operation
    }

    /// Logs `phase` with the seconds since the last mark (or since the timer started).
    mutating func mark(_ phase: String) {
        let now = ContinuousClock.now
        let seconds = (now - last) / .seconds(1)
        last = now
        logger.debug(
            "phase done",
            metadata: ["operation": "\(operation)", "phase": "\(phase)", "seconds": "\(Self.rounded(seconds))"])
    }

    private static func rounded(_ seconds: Double) -> Double { (seconds * 1000).rounded() / 1000 }
}
