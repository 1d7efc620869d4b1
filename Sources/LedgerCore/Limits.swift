/// Every bound the ledger enforces, in one place, qualifier last (TIGER_STYLE).
///
/// Nothing in the ledger is unbounded: batches, bodies, queues and retries all
/// take their ceiling from here so a reader can audit them at a glance.
public enum Limits {
    /// Largest COPY data chunk handed to libpq at once.
    public static let copyChunkBytesMax = 64 * 1024
    /// Longest a migration may hold its advisory lock waiting for another runner.
    public static let migrationLockWaitSecondsMax = 300
}
