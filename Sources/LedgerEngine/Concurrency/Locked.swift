import Synchronization

/// A value shared between threads, read and changed only under its lock.
///
/// For the little state a worker thread and its caller both see (counts for a progress line, a
/// thread's result) beside a ``BoundedQueue`` that carries the work itself. A class around
/// Synchronization's `Mutex`, so one lock can be shared by reference and the compiler checks that
/// it is `Sendable`.
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: Value) { mutex = Mutex(value) }

    /// Runs `body` with the value, holding the lock; `body` must be quick and must not block.
    public func withLock<Result: Sendable, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try mutex.withLock { (value: inout sending Value) throws(Failure) -> Result in try body(&value) }
    }

    /// A copy of the value.
    public var current: Value { withLock { $0 } }
}
