import Foundation
import LedgerCore
import LedgerPostgres

/// Reads the log ahead on its own thread and connection, so decoding the next
/// batch overlaps with the consumer reducing the current one.
///
/// Positions are read as ranges, gapless: a missing position (a detached partition
/// before the start, a deleted event) ends the stream with ``EventLogGap``.
///
/// At most ``queuedBatchesMax`` batches wait, so memory stays bounded. The
/// first read error ends the stream and is rethrown by ``next()``.
final class EventPrefetcher {
    static let queuedBatchesMax = 2
    /// Events per COPY statement (ten batches).
    static let pageEvents = Int64(Limits.readBatchEventsMax) * 10

    private let queue = BoundedQueue<[RecordedEvent]>(capacity: queuedBatchesMax)

    /// Starts reading events after `position` through `last`, with `connection` (used only by the reader thread).
    init(connection: sending PostgresConnection, after position: Int64, through last: Int64) {
        Self.startReader(connection, after: position, through: last, into: queue)
    }

    /// The next batch in position order; nil at the end.
    func next() throws -> [RecordedEvent]? {
        try queue.receive()
    }

    /// Stops the reader early (the consumer gave up).
    func cancel() {
        queue.cancel()
    }

    private static func startReader(
        _ connection: sending PostgresConnection, after position: Int64, through last: Int64,
        into queue: BoundedQueue<[RecordedEvent]>
    ) {
        let store = EventStore(connection: connection)
        // Not joined: a consumer that cancels need not wait for the read in flight; the thread ends after it.
        _ = WorkerThread(name: "ledger.prefetch") {
            do {
                try read(store, after: position, through: last, into: queue)
                queue.finish()
            } catch {
                queue.fail(error)
            }
        }
    }

    /// Reads a page of positions per COPY and hands it over in batches of ``Limits/readBatchEventsMax``.
    ///
    /// A COPY streams: the server sends the next rows while this thread decodes and the consumer reduces,
    /// and waits (the socket's buffers full) while the queue is. Pages bound how long one statement runs.
    private static func read(
        _ store: EventStore, after start: Int64, through last: Int64, into queue: BoundedQueue<[RecordedEvent]>
    ) throws {
        var position = start
        while position < last {
            let pageEnd = min(position + pageEvents, last)
            try store.copyEvents(after: position, through: pageEnd, batchEvents: Limits.readBatchEventsMax) {
                try queue.send($0)
            }
            position = pageEnd
        }
    }
}
