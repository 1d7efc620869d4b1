import Foundation
import LedgerCore
import Logging

/// Writes a snapshot each time the state has moved `every` events past the last one.
///
/// Writing a snapshot at P appends its record at P+1 or later (``SnapshotCatalog/write(_:position:createdAt:)``).
/// The scheduler's own records are not counted toward the next snapshot: otherwise, with `every` 1,
/// applying a record would make the next snapshot due, whose record would make the next one due, for ever.
struct SnapshotScheduler {
    /// What one due snapshot came to.
    enum Outcome {
        /// Written to `url` and recorded in the log at `recordPosition`.
        case written(URL, recordPosition: Int64)
        /// Why the snapshot could not be written; projection goes on, the next one is due `every` events later.
        case failed(String)
    }

    let catalog: SnapshotCatalog?
    let every: Int64?
    /// The newest snapshot the state has: the one it started from, the last written or the last attempted.
    var last: Int64
    let logger: Logger
    /// Positions of the records this scheduler appended that lie after `last` (at most a few: one per
    /// snapshot written while the state is behind its own records).
    private var ownRecords: [Int64] = []

    init(catalog: SnapshotCatalog?, every: Int64?, last: Int64, logger: Logger) {
        self.catalog = catalog
        self.every = every
        self.last = last
        self.logger = logger
    }

    /// Writes a snapshot when one is due. Never throws: a full or read-only directory must not stop the
    /// projection (its checkpoint would never move); the failure is logged and returned instead.
    mutating func writeIfDue(_ state: LedgerProjections, position: Int64, createdAt: @autoclosure () -> EventTime)
        -> Outcome?
    {
        let ownRecordsApplied = Int64(ownRecords.filter { $0 > last && $0 <= position }.count)
        guard let catalog, let every, position - last - ownRecordsApplied >= every else { return nil }
        // Counted as attempted either way, so a failing directory costs one try per `every` events, not per batch.
        last = position
        ownRecords.removeAll { $0 <= position }
        do {
            let written = try catalog.write(state, position: position, createdAt: createdAt())
            ownRecords.append(written.recordPosition)
            return .written(written.file.url, recordPosition: written.recordPosition)
        } catch {
            return .failed(Self.warn(logger, "snapshot at position \(position) not written", error))
        }
    }

    /// Logs a snapshot failure as a warning and returns its one-line message.
    static func warn(_ logger: Logger, _ what: String, _ error: any Error) -> String {
        let message = "\(what): \(error)"
        logger.warning("\(message); projection continues without it")
        return message
    }
}
