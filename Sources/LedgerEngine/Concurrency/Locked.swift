import Foundation

/// A value shared between threads, read and changed only under its lock.
///
/// For the little state a worker thread and its caller both see (counts for a progress line)
/// beside a ``BoundedQueue`` that carries the work itself.
///
/// `@unchecked Sendable`: `value` is touched only inside ``withLock(_:)``.
public final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    /// Runs `body` with the value, holding the lock; `body` must be quick and must not block.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// A copy of the value.
    public var current: Value { withLock { $0 } }
}
