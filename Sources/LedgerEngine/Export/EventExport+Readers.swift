import Foundation
import LedgerCore
import LedgerPostgres

extension EventExport {
    /// Writes `range` like ``write(_:encoder:to:pageEvents:progress:)``, with pages read and
    /// formatted on `readers` (connections handed over to one thread each), written in order here.
    ///
    /// Each reader takes the next page, streams it with its own COPY and formats it into chunks of
    /// ``Limits/exportWriteBufferBytesMax``; this thread writes the chunks of the oldest page as they
    /// come. Memory stays bounded: a reader that is not on the page being written waits once
    /// ``Limits/exportBufferedBytesMax`` bytes are waiting, and no reader runs more than a few pages
    /// ahead. The first failure — a reader's or the output's — stops every reader (a COPY in flight
    /// is cancelled) and is rethrown once all have stopped.
    @discardableResult
    public static func write(
        _ range: EventRange, encoder: EventRecordEncoder, to output: ExportOutput, readers: [PostgresConnection],
        pageEvents: Int64 = Limits.exportPageEventsMax, progress: (Int64) -> Void = { _ in }
    ) throws -> Int64 {
        precondition(!readers.isEmpty && pageEvents >= 1, "an export reads pages of at least one event")
        var header: [UInt8] = []
        encoder.appendHeader(to: &header)
        try output.write(header)
        let pipeline = PagePipeline(range: range, pageEvents: pageEvents, readers: readers.count)
        let threads = readers.map { PageReader.start(reading: $0, pipeline, encoder) }
        // Returns once every reader thread has ended (their connections are closed with them).
        func waitForReaders() { for thread in threads { _ = thread.result() } }
        do {
            for page in 0..<pipeline.pageCount {
                while true {
                    var (chunks, last) = try pipeline.take(page)
                    chunks.reverse()
                    // Popped, each chunk is referenced once, so its storage can be handed back and reused.
                    while let chunk = chunks.popLast() {
                        try output.write(chunk)
                        pipeline.recycle(consume chunk)
                    }
                    if last { break }
                }
                progress(pipeline.bounds(of: page).through)
            }
        } catch {
            pipeline.stop(error)
            waitForReaders()
            throw pipeline.failure ?? error
        }
        waitForReaders()
        return range.count
    }
}

/// The pages of an export in flight between its readers and its writer.
///
/// Not a ``BoundedQueue``: pages arrive out of order and are written in order, the bound is in
/// bytes rather than elements, and the reader of the page being written must never wait for room
/// (the writer waits on that page, so it waiting would deadlock). Those three waits share one
/// condition over one reorder buffer, so the lock is hand-rolled here.
///
/// `@unchecked Sendable`: every `var` below is read and written only with `condition` held.
final class PagePipeline: @unchecked Sendable {
    let range: EventRange
    let pageEvents: Int64
    let pageCount: Int
    /// How far past the page being written a reader may start one.
    let pagesAheadMax: Int

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var nextPage = 0
    private var writing = 0
    private var chunks: [Int: [[UInt8]]] = [:]
    private var finished: Set<Int> = []
    private var bufferedBytes = 0
    /// Written chunks' storage, for readers to fill again: a new megabyte buffer per chunk would be
    /// a fresh mapping to fault in every time.
    private var spare: [[UInt8]] = []
    private(set) var failure: (any Error)?

    init(range: EventRange, pageEvents: Int64, readers: Int) {
        self.range = range
        self.pageEvents = pageEvents
        self.pageCount = Int((range.count + pageEvents - 1) / pageEvents)
        self.pagesAheadMax = readers * 2
    }

    /// The positions of page `page`.
    func bounds(of page: Int) -> (after: Int64, through: Int64) {
        let after = range.after + Int64(page) * pageEvents
        return (after, min(after + pageEvents, range.through))
    }

    /// The next page for a reader; nil when there is none or the export stopped.
    func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while failure == nil && nextPage < pageCount && nextPage - writing >= pagesAheadMax { condition.wait() }
        guard failure == nil, nextPage < pageCount else { return nil }
        defer { nextPage += 1 }
        return nextPage
    }

    /// Hands over a formatted chunk of `page` (`last`: the page is complete); waits for room unless
    /// `page` is the one being written, which must never wait on the others.
    func hand(_ chunk: [UInt8], of page: Int, last: Bool) throws {
        condition.lock()
        defer { condition.unlock() }
        while failure == nil && page != writing && bufferedBytes >= Limits.exportBufferedBytesMax { condition.wait() }
        if let failure { throw failure }
        chunks[page, default: []].append(chunk)
        bufferedBytes += chunk.count
        if last { finished.insert(page) }
        condition.broadcast()
    }

    /// The chunks of `page` handed over so far, waiting for at least one; `last` once the page is complete.
    func take(_ page: Int) throws -> (chunks: [[UInt8]], last: Bool) {
        condition.lock()
        defer { condition.unlock() }
        while failure == nil && chunks[page] == nil && !finished.contains(page) { condition.wait() }
        if let failure { throw failure }
        let taken = chunks.removeValue(forKey: page) ?? []
        bufferedBytes -= taken.reduce(0) { $0 + $1.count }
        let last = finished.contains(page)
        if last {
            finished.remove(page)
            writing = page + 1
        }
        condition.broadcast()
        return (taken, last)
    }

    /// A buffer to format a chunk into: a written one's storage when there is one.
    func emptyBuffer() -> [UInt8] {
        if let buffer = condition.withLock({ spare.popLast() }) { return buffer }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(Limits.exportWriteBufferBytesMax + 64 * 1024)
        return buffer
    }

    /// Takes back a written chunk's storage (at most one per reader is kept).
    func recycle(_ chunk: consuming [UInt8]) {
        chunk.removeAll(keepingCapacity: true)
        condition.lock()
        defer { condition.unlock() }
        if spare.count < pagesAheadMax { spare.append(chunk) }
    }

    /// Records the first failure and wakes everyone: readers stop, the writer rethrows it.
    func stop(_ error: any Error) {
        condition.withLock {
            if failure == nil { failure = error }
            condition.broadcast()
        }
    }
}

/// One reader thread of a ``PagePipeline``: claims pages, formats them, hands the chunks over.
struct PageReader {
    let store: EventStore
    let pipeline: PagePipeline
    let encoder: EventRecordEncoder

    /// Starts a reader thread that owns `connection` from here on.
    static func start(
        reading connection: PostgresConnection, _ pipeline: PagePipeline, _ encoder: EventRecordEncoder
    ) -> WorkerThread {
        // The export hands each connection to one reader and uses it again only after joining that thread.
        let store = Handover(EventStore(connection: connection))
        return WorkerThread(name: "ledger.export-reader") {
            let reader = PageReader(store: store.value, pipeline: pipeline, encoder: encoder)
            do {
                while let page = pipeline.claim() { try reader.read(page) }
            } catch {
                pipeline.stop(error)
            }
        }
    }

    private func read(_ page: Int) throws {
        let bounds = pipeline.bounds(of: page)
        var buffer = pipeline.emptyBuffer()
        try store.copyEvents(after: bounds.after, through: bounds.through) { event, hash in
            try encoder.append(event, hash: hash, to: &buffer)
            if buffer.count >= Limits.exportWriteBufferBytesMax {
                try pipeline.hand(buffer, of: page, last: false)
                buffer = pipeline.emptyBuffer()
            }
        }
        try pipeline.hand(buffer, of: page, last: true)
    }
}
