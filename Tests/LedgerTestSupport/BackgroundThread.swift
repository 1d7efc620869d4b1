import Foundation

/// Runs blocking work (a polling loop, a projector's `follow`) on its own thread, not on Swift
/// concurrency's small cooperative pool, where two such loops on a 2-core machine would starve
/// every other task of the test run.
public final class BackgroundThread<Value: Sendable>: @unchecked Sendable {
    private let finished = DispatchGroup()
    // Written once by the thread before `finished` is left; read after.
    private var result: Result<Value, any Error>?

    /// Starts `body` on a new thread.
    public init(_ name: String = "test.background", _ body: @escaping @Sendable () throws -> Value) {
        finished.enter()
        let thread = Thread { [self] in
            result = Result(catching: body)
            finished.leave()
        }
        thread.name = name
        thread.start()
    }

    /// The body's result, once it has returned (or its error).
    public var value: Value {
        get async throws {
            await withCheckedContinuation { continuation in
                finished.notify(queue: .global()) { continuation.resume() }
            }
            return try result!.get()
        }
    }
}
