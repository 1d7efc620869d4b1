import Foundation
import LedgerCore
import LedgerPostgres
import LedgerSnapshots
import Logging

/// How projection runs use snapshots: where they live, whether replays start from them, how often to write one.
public struct SnapshotPolicy: Sendable {
    public var directory: SnapshotDirectory
    /// Start replays from the newest valid snapshot (false: from event 1).
    public var replayFromSnapshots: Bool
    /// Write a snapshot each time the state moves this many events past the newest one; nil: never.
    public var every: Int64?

    public init(directory: SnapshotDirectory, replayFromSnapshots: Bool = true, every: Int64? = nil) {
        self.directory = directory
        self.replayFromSnapshots = replayFromSnapshots
        self.every = every
    }
}

/// The snapshots of this database's log: verifies them against the log, finds the newest usable
/// one, writes new ones. A snapshot is used only after every check passes; one that fails is
/// skipped with a warning naming the reason.
public struct SnapshotCatalog {
    public let directory: SnapshotDirectory
    public let databaseID: UUID
    let store: EventStore
    let logger: Logger

    /// Reads the database's identity (`ledger.identity`, migration 006).
    public init(directory: SnapshotDirectory, connection: PostgresConnection, logger: Logger) throws {
        self.directory = directory
        self.store = EventStore(connection: connection)
        self.logger = logger
        databaseID = try store.databaseID()
    }

    /// One file as `ledger snapshot list` shows it.
    public struct Listing: Sendable, Codable, Equatable {
        public var path: String
        public var position: Int64?
        public var createdAt: String?
        public var sizeBytes: Int64
        public var subscriptionRows: Int?
        public var paymentRows: Int?
        public var valid: Bool
        public var problem: String?
    }

    /// Every snapshot file of this database, newest first, each verified.
    public func list() throws -> [Listing] {
        let records = try store.snapshotRecords()
        return try directory.files(of: databaseID).map { url, _ in
            let size =
                ((try? FileManager.default.attributesOfItem(atPath: url.path)[.size]) as? NSNumber)?
                .int64Value ?? 0
            do {
                let file = try SnapshotFile.open(url)
                var listing = Listing(
                    path: url.path, position: file.meta.position, createdAt: file.meta.createdAt, sizeBytes: size,
                    subscriptionRows: file.meta.subscriptionRows, paymentRows: file.meta.paymentRows, valid: true)
                do throws(SnapshotProblem) {
                    try verify(file, records: records)
                } catch {
                    listing.valid = false
                    listing.problem = error.description
                }
                return listing
            } catch {
                return Listing(path: url.path, sizeBytes: size, valid: false, problem: "\(error)")
            }
        }
    }

    /// Opens and fully verifies one file: SQLite integrity, digest, projector version, database, chain hash,
    /// and the log's record of it.
    public func verify(_ url: URL) throws(SnapshotProblem) -> SnapshotFile {
        let file = try SnapshotFile.open(url)
        try verify(file, records: try readRecords())
        return file
    }

    /// `records`: the log's snapshot records (``EventStore/snapshotRecords()``), read once per listing.
    func verify(_ file: SnapshotFile, records: [(position: Int64, record: SnapshotRecord)]) throws(SnapshotProblem) {
        try file.verifyContent()
        try verifyAgainstLog(file, records: records)
    }

    /// The checks of ``verify(_:records:)`` after the content's: the file was made from this database at a
    /// position whose chain hash it holds, and the log records it.
    private func verifyAgainstLog(_ file: SnapshotFile, records: [(position: Int64, record: SnapshotRecord)])
        throws(SnapshotProblem)
    {
        let hash: [UInt8]?
        do {
            hash = try store.hash(at: file.meta.position)
        } catch {
            throw .unreadable("cannot read the log's chain hash: \(error)")
        }
        try file.verifyOrigin(databaseID: databaseID, chainHashAtPosition: hash)
        try file.verifyRecorded(in: records)
    }

    private func readRecords() throws(SnapshotProblem) -> [(position: Int64, record: SnapshotRecord)] {
        do {
            return try store.snapshotRecords()
        } catch {
            throw .unreadable("cannot read the log's snapshot records: \(error)")
        }
    }

    /// The newest snapshot at or before `position` that passes every check, with its state;
    /// nil when there is none (replay from event 1). Each skipped file is logged with its reason.
    public func newestUsable(atOrBefore position: Int64, configuration: ProjectionConfiguration) throws
        -> (file: SnapshotFile, state: LedgerProjections)?
    {
        let records = try store.snapshotRecords()
        for (url, named) in try directory.files(of: databaseID) where named <= position {
            do {
                let file = try SnapshotFile.open(url)
                guard file.meta.position <= position else { continue }
                return (file, try verifiedState(of: file, records: records, configuration: configuration))
            } catch {
                logger.warning(
                    "skipping snapshot", metadata: ["file": "\(url.lastPathComponent)", "reason": "\(error)"])
            }
        }
        return nil
    }

    /// `file`'s state once every check of ``verify(_:records:)`` has passed, in the same order.
    ///
    /// The content check (`quick_check` and the digest, a read of the whole file) runs on a thread of its own
    /// while this one loads the state from the same file, read-only; the state is returned only if it passed.
    func verifiedState(
        of file: SnapshotFile, records: [(position: Int64, record: SnapshotRecord)],
        configuration: ProjectionConfiguration
    ) throws -> LedgerProjections {
        let content = WorkerThread(name: "ledger.snapcheck") { try file.verifyContent() }
        let state = Result { () throws(SnapshotProblem) in try file.loadState(configuration: configuration) }
        try content.join()
        try verifyAgainstLog(file, records: records)
        return try state.get()
    }

    /// A snapshot written and recorded in the log.
    public struct Written: Sendable {
        public var file: SnapshotFile
        /// The position of its record (``SnapshotRecord``): after `file.meta.position`.
        public var recordPosition: Int64
    }

    /// Writes `state`, which has applied every event through `position`, and records it in the log.
    ///
    /// The record names the file's content digest, so it can only follow the file. A file whose record
    /// cannot be appended (the role may not, the connection broke) is deleted and the error thrown; a
    /// crash between the two leaves a file the log does not record, which verification refuses.
    @discardableResult
    public func write(_ state: LedgerProjections, position: Int64, createdAt: EventTime) throws -> Written {
        guard position > 0, let hash = try store.hash(at: position) else {
            throw SnapshotPositionError(position: position)
        }
        try directory.removeAbandonedTemporaryFiles()
        let file = try SnapshotWriter(directory: directory).write(
            state, origin: .init(databaseID: databaseID, position: position, chainHash: hash), createdAt: createdAt,
            pipe: SnapshotWorkerPipe())
        let recordPosition: Int64
        do {
            recordPosition = try store.recordSnapshot(file.meta.record)
        } catch {
            try? FileManager.default.removeItem(at: file.url)
            throw error
        }
        logger.info(
            "wrote snapshot",
            metadata: [
                "file": "\(file.url.lastPathComponent)", "position": "\(position)", "record": "\(recordPosition)",
            ])
        return Written(file: file, recordPosition: recordPosition)
    }

    /// Deletes all but the `keep` newest snapshot files of this database; returns the deleted files.
    public func prune(keep: Int) throws -> [URL] {
        let doomed = try directory.files(of: databaseID).dropFirst(max(keep, 0)).map(\.url)
        for url in doomed { try FileManager.default.removeItem(at: url) }
        try directory.removeAbandonedTemporaryFiles()
        return doomed
    }
}

/// A snapshot can only be taken at a position the log holds (not before event 1).
public struct SnapshotPositionError: Error, CustomStringConvertible, Sendable {
    public var position: Int64
    public var description: String { "cannot take a snapshot at position \(position): the log has no event there" }
}
