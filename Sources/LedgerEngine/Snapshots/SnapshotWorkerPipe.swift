import LedgerSnapshots

/// Computes a snapshot's rows on a thread of its own while the calling thread inserts them into SQLite.
///
/// At most ``queuedBatchesMax`` batches wait, so memory stays bounded; the first error of either side
/// ends both (``BoundedQueue``), and ``run(_:consume:)`` returns only once the producer's thread has ended.
struct SnapshotWorkerPipe: SnapshotBatchPipe {
    static let queuedBatchesMax = 4

    func run(
        _ produce: @escaping @Sendable (_ send: (SnapshotBatch) throws -> Void) throws -> Void,
        consume: (SnapshotBatch) throws -> Void
    ) throws {
        let queue = BoundedQueue<SnapshotBatch>(capacity: Self.queuedBatchesMax)
        let producer = WorkerThread(name: "ledger.snaprows") {
            do {
                try produce { try queue.send($0) }
                queue.finish()
            } catch {
                queue.fail(error)
            }
        }
        do {
            while let batch = try queue.receive() { try consume(batch) }
        } catch {
            queue.cancel()
            _ = producer.result()
            throw error
        }
        try producer.join()
    }
}
