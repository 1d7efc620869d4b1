import Foundation

/// Runs blocking work (a polling loop, a projector's `follow`) on its own thread, not on Swift
/// concurrency's small cooperative pool, where two such loops on a 2-core machine would starve
/// every other task of the test run.
///
/// The thread itself resumes whoever awaits ``value``: nothing is scheduled on Dispatch's global
/// queue, which on Linux is the same few threads as the cooperative pool.
public final class BackgroundThread<Value: Sendable>: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var result: Result<Value, any Error>?
    private var waiting: [CheckedContinuation<Result<Value, any Error>, Never>] = []

    /// Starts `body` on a new thread.
    public init(_ name: String = "test.background", _ body: @escaping @Sendable () throws -> Value) {
        let thread = Thread { [self] in
            let outcome = Result(catching: body)
            let waiters = lock.withLock {
                result = outcome
                defer { waiting = [] }
                return waiting
            }
            for waiter in waiters { waiter.resume(returning: outcome) }
        }
        thread.name = name
        thread.start()
    }

    /// The body's result, once it has returned (or its error).
    public var value: Value {
        get async throws {
            let outcome = await withCheckedContinuation { continuation in
                let finished: Result<Value, any Error>? = lock.withLock {
                    if let result { return result }
                    waiting.append(continuation)
                    return nil
                }
                if let finished { continuation.resume(returning: finished) }
            }
            return try outcome.get()
        }
    }
}
