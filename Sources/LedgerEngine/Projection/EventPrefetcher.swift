import Foundation
import LedgerCore
import LedgerPostgres

/// Reads the log ahead on its own thread and connection, so decoding the next
/// batch overlaps with the consumer reducing the current one.
///
/// At most ``queuedBatchesMax`` batches wait, so memory stays bounded. The
/// first read error ends the stream and is rethrown by ``next()``.
final class EventPrefetcher: @unchecked Sendable {
    static let queuedBatchesMax = 2

    /// Used only by the reader thread.
    private let store: EventStore
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var queued: [[RecordedEvent]] = []
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false

    /// Starts reading events after `position` through `last`, with `connection` (used only by the reader thread).
    init(connection: PostgresConnection, after position: Int64, through last: Int64) {
        store = EventStore(connection: connection)
        let thread = Thread { [self] in read(after: position, through: last) }
        thread.name = "ledger.prefetch"
        thread.start()
    }

    /// The next batch in position order; nil at the end.
    func next() throws -> [RecordedEvent]? {
        condition.lock()
        defer { condition.unlock() }
        while queued.isEmpty && !finished && failure == nil { condition.wait() }
        if let failure { throw failure }
        guard !queued.isEmpty else { return nil }
        condition.broadcast()
        return queued.removeFirst()
    }

    /// Stops the reader early (the consumer gave up).
    func cancel() {
        condition.withLock {
            cancelled = true
            condition.broadcast()
        }
    }

    private func read(after start: Int64, through last: Int64) {
        var position = start
        do {
            while position < last {
                let batch = try store.read(after: position, through: last)
                guard let newest = batch.last else { break }
                position = newest.position
                condition.lock()
                while queued.count >= Self.queuedBatchesMax && !cancelled { condition.wait() }
                let stop = cancelled
                if !stop { queued.append(batch) }
                condition.broadcast()
                condition.unlock()
                if stop { break }
            }
        } catch {
            condition.withLock { failure = error }
        }
        condition.withLock {
            finished = true
            condition.broadcast()
        }
    }
}
