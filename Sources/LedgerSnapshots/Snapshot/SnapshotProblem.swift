import Foundation

/// Why a snapshot file cannot be used; the reason printed when it is skipped.
public enum SnapshotProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// SQLite cannot open or read it (not a database, truncated, missing table).
    case unreadable(String)
    /// `PRAGMA quick_check` found damage.
    case damaged(String)
    /// A file layout this version does not read.
    case formatVersion(found: Int)
    /// The rows do not hash to the recorded content digest (changed after writing).
    case digestMismatch(recorded: String, computed: String)
    /// Written by another projector version: its state means something else.
    case projectorVersion(found: Int, expected: Int)
    /// Made from another database's log.
    case otherDatabase(found: UUID, expected: UUID)
    /// The log has no event at the snapshot's position (it is ahead of this log).
    case beyondLog(position: Int64)
    /// The log's chain hash at the position differs: the log the snapshot came from is not this one.
    case chainHashMismatch(position: Int64)
    /// The reducer state cannot be decoded.
    case badReducerState(String)
    /// The log holds no record of a snapshot at this position with this projector version: it was not
    /// written by this ledger's `snapshot create`/`project`/`rebuild`/`serve`, or before migration 011.
    case notRecorded(position: Int64)
    /// The log recorded a snapshot at this position and projector version with another content digest
    /// (or chain hash): the rows were changed after writing and the file's own digest recomputed.
    case contentDiffersFromRecord(recordPosition: Int64)

    public var description: String {
        switch self {
        case .unreadable(let detail): "unreadable: \(detail)"
        case .damaged(let detail): "damaged (quick_check: \(detail))"
        case .formatVersion(let found): "file format \(found), this ledger reads \(SnapshotSchema.formatVersion)"
        case .digestMismatch(let recorded, let computed):
            "content digest mismatch: recorded \(recorded.prefix(16))…, rows hash to \(computed.prefix(16))…"
        case .projectorVersion(let found, let expected): "projector version \(found), this ledger is \(expected)"
        case .otherDatabase(let found, let expected):
            "made from database \(found.uuidString.lowercased()), this is \(expected.uuidString.lowercased())"
        case .beyondLog(let position): "position \(position) is beyond the log's head"
        case .chainHashMismatch(let position): "the log's chain hash at position \(position) differs"
        case .badReducerState(let detail): "reducer state unreadable: \(detail)"
        case .notRecorded(let position):
            "not recorded in the log: no snapshot record for position \(position) with this projector version"
        case .contentDiffersFromRecord(let recordPosition):
            "content differs from what was recorded at position \(recordPosition)"
        }
    }
}
