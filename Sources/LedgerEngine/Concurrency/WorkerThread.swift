import Foundation

/// A named thread that runs one closure; ``join()`` waits for it to return and rethrows its error.
///
/// libpq and SQLite calls block, so the work that makes them runs on threads of its own, never
/// on Swift's cooperative pool or NIO's event loops. Every such thread is started here, so each
/// one has a name (`ledger.*`, seen in a debugger; on Linux also in `top -H` when it is at most
/// 15 bytes) and a way to wait for its end.
///
/// `@unchecked Sendable`: `outcome` is read and written only with `condition` held.
public final class WorkerThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var outcome: Result<Void, any Error>?

    /// Starts `body` on a new thread called `name`.
    ///
    /// `body` is `sending`: what it captures (a connection, a store) belongs to the new thread
    /// from now on, and the compiler checks that the caller keeps no reference to it.
    public init(name: String, _ body: sending @escaping () throws -> Void) {
        let work = Handover(body)
        let thread = Thread { [self] in
            // Named from the thread itself: only then does Linux's Foundation name the kernel thread too.
            Thread.current.name = name
            let result = Result { try work.value() }
            condition.withLock {
                outcome = result
                condition.broadcast()
            }
        }
        thread.start()
    }

    /// Waits until the closure has returned; rethrows what it threw.
    public func join() throws {
        try result().get()
    }

    /// Waits until the closure has returned; its outcome.
    public func result() -> Result<Void, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while outcome == nil { condition.wait() }
        return outcome ?? .success(())
    }

    /// Whether the closure has returned (without waiting).
    public var hasEnded: Bool { condition.withLock { outcome != nil } }
}

/// A value given to exactly one other thread, for what the compiler cannot see is handed over.
///
/// `@unchecked Sendable`: whoever makes one promises that only one thread uses `value` at a time
/// — the giver stops using it until the receiving thread is joined — and says why at that place.
/// ``WorkerThread/init(name:_:)`` uses it for its `sending` closure, which nothing else keeps.
public struct Handover<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
