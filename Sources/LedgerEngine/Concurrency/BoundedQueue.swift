import Foundation

/// A first-in-first-out hand-off of at most `capacity` elements between threads.
///
/// The engine's and the server's worker threads meet their callers here, and only here: a
/// producer that finds the queue full waits (``send(_:)``, backpressure) or is refused
/// (``offer(_:)``, for callers that must not block); a consumer that finds it empty waits.
/// Callers hand over whole batches (a job, a page of events), so the lock is taken once per batch,
/// never per event.
///
/// The queue ends one of two ways. ``finish()`` closes it to producers; consumers still receive
/// what is queued, then nil. ``fail(_:)`` ends it at once for both sides: queued elements are
/// dropped and every later or waiting ``send(_:)`` and ``receive()`` throws the first failure —
/// a worker's error reaches its producer at the next hand-off, a producer's reaches the worker.
/// ``cancel()`` is a consumer giving up.
///
/// `@unchecked Sendable`: every stored property is read and written only with `condition` held.
public final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    /// What ``offer(_:)`` did with an element.
    public enum Offer: Sendable, Equatable {
        case accepted
        /// `capacity` elements are waiting; the caller should retry later.
        case full
        /// ``finish()`` or ``fail(_:)`` was called.
        case closed
    }

    /// The most elements that wait at once.
    public let capacity: Int

    private let condition = NSCondition()
    private var elements: [Element] = []
    private var isFinished = false
    private var failure: (any Error)?

    public init(capacity: Int) {
        precondition(capacity >= 1, "a queue holds at least one element")
        self.capacity = capacity
    }

    /// Appends `element`, waiting while the queue is full; throws the failure that ended the queue.
    public func send(_ element: Element) throws {
        condition.lock()
        defer { condition.unlock() }
        while elements.count >= capacity && failure == nil { condition.wait() }
        if let failure { throw failure }
        precondition(!isFinished, "send after finish: a finished queue takes nothing more")
        elements.append(element)
        condition.broadcast()
    }

    /// Appends `element` if there is room and the queue is open; never waits.
    public func offer(_ element: Element) -> Offer {
        condition.lock()
        defer { condition.unlock() }
        if isFinished || failure != nil { return .closed }
        if elements.count >= capacity { return .full }
        elements.append(element)
        condition.broadcast()
        return .accepted
    }

    /// The oldest element, waiting for one; nil once the queue is finished and empty.
    public func receive() throws -> Element? {
        try receive { _ in false }?.first
    }

    /// The oldest element and, after it, as many more as `more` accepts in order (it is called
    /// under the queue's lock, so it must be quick); waits for at least one, nil once finished and
    /// empty. A consumer that works in rounds (group commit) takes each round with one call.
    public func receive(while more: (Element) -> Bool) throws -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        while elements.isEmpty && !isFinished && failure == nil { condition.wait() }
        if let failure { throw failure }
        guard !elements.isEmpty else { return nil }
        var taken = 1
        while taken < elements.count && more(elements[taken]) { taken += 1 }
        let round = Array(elements[..<taken])
        elements.removeFirst(taken)
        condition.broadcast()
        return round
    }

    /// Closes the queue to producers; consumers receive what is queued, then nil.
    public func finish() {
        condition.withLock {
            isFinished = true
            condition.broadcast()
        }
    }

    /// Ends the queue for both sides with `error`, unless it already failed; queued elements are dropped.
    public func fail(_ error: any Error) {
        condition.withLock {
            if failure == nil {
                failure = error
                elements.removeAll()
            }
            condition.broadcast()
        }
    }

    /// The consumer gave up: a producer's next or waiting ``send(_:)`` throws `CancellationError`.
    public func cancel() {
        fail(CancellationError())
    }
}
