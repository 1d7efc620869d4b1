import LedgerCore

extension Limits {
    /// Most customers `ledger generate` will simulate in one run.
    public static let generateCustomersMax = 10_000_000
    /// Longest simulated period, in months.
    public static let generateMonthsMax = 120
    /// Farthest a late (shuffled) event is delivered after its place in time order, in deliveries.
    public static let generateShuffleDistanceEventsMax = 64
    /// Farthest a duplicate delivery follows the original, in deliveries.
    public static let generateDuplicateDistanceEventsMax = 256
    /// Rows per multi-row INSERT in the fixtures SQL.
    public static let generateSQLInsertRowsMax = 1000
    /// Bytes buffered before generated output is written (one write per chunk, not per line).
    public static let generateOutputChunkBytesMin = 256 * 1024
}
