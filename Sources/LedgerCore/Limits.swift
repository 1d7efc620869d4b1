/// Every bound the ledger enforces, in one place, qualifier last (TIGER_STYLE).
///
/// Nothing in the ledger is unbounded: batches, bodies, queues and retries all
/// take their ceiling from here so a reader can audit them at a glance.
public enum Limits {
    /// Largest COPY data chunk handed to libpq at once.
    public static let copyChunkBytesMax = 64 * 1024
    /// Longest a migration may hold its advisory lock waiting for another runner.
    public static let migrationLockWaitSecondsMax = 300

    /// Most events one read of the log returns; no call ever loads the whole log.
    public static let readBatchEventsMax = 10_000
    /// Most events one audit (`ledger history`, `ledger state`) reads for one customer.
    public static let auditEventsMax = 1_000_000
    /// Most rounds an audit follows invoice ↔ PaymentIntent links to find `invoice_payment` events.
    public static let auditLinkRoundsMax = 4
    /// Most events one append transaction writes (a group commit or an ingest batch).
    public static let appendBatchEventsMax = 5_000
    /// Most body bytes one append transaction writes, whatever the event count.
    public static let appendBatchBytesMax = 16 * 1024 * 1024
    /// Most callers waiting in the group-commit queue before new appends are refused.
    public static let appendQueueRequestsMax = 10_000
    /// Longest accepted stream id, type and source id (as the schema checks them).
    public static let streamIDBytesMax = 512
    public static let eventTypeBytesMax = 255
    public static let sourceEventIDBytesMax = 255

    /// Most differing rows per table `ledger verify` lists; the rest are counted.
    public static let driftListedRowsMax = 1_000

    /// Most periods one `ledger report mrr` shows (over ten years of weeks); a longer range is refused.
    public static let reportPeriodsMax = 600
    /// Most events one export statement (a binary COPY of a position range, a page) streams; an export
    /// of more runs one per page, its readers taking pages in turn. Memory does not grow with it (rows
    /// stream one at a time); pages are small so that several readers share even a short range.
    public static let exportPageEventsMax: Int64 = 4_096
    /// Most connections one export reads pages on at once: PostgreSQL spends more per exported event
    /// (fetching and decompressing the body) than the ledger formatting it, so one reader cannot keep
    /// the writer busy.
    public static let exportReadersMax = 8
    /// Most formatted bytes an export holds waiting to be written in order, over all its readers.
    public static let exportBufferedBytesMax = 32 * 1024 * 1024
    /// Bytes an export gathers before one write to its file or standard output.
    public static let exportWriteBufferBytesMax = 1024 * 1024
    /// Most events one `ledger consume` delivers.
    public static let consumeBatchEventsMax = 100_000
    /// Longest consumer group name (`ledger consume --group`), as migration 009 checks it.
    public static let consumerGroupNameBytesMax = 64
}
