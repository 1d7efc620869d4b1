import Foundation
import LedgerCore

/// Writes a projection state to a snapshot file, crash-safely.
///
/// The file is written under a temporary name in the target directory in one transaction without
/// a journal, rows inserted in key order with one prepared statement per table while the next rows
/// are computed (``SnapshotContent``, which also digests them), fsynced once, then renamed into
/// place and the directory fsynced. A crash at any moment leaves either no
/// new file or the complete one; temporary names are never read as snapshots.
public struct SnapshotWriter {
    /// Where the log stands at the state's position.
    public struct Origin: Sendable {
        public var databaseID: UUID
        public var position: Int64
        /// The chain hash of the event at `position` (32 bytes).
        public var chainHash: [UInt8]

        public init(databaseID: UUID, position: Int64, chainHash: [UInt8]) {
            self.databaseID = databaseID
            self.position = position
            self.chainHash = chainHash
        }
    }

    public let directory: SnapshotDirectory

    /// No parameters. No rollback journal and no syncs while writing: the file is not visible under its real
    /// name until it is complete, and ``StagedPath/commit()`` syncs it once before the rename.
    static let pragmas =
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 8192; PRAGMA cache_size = -65536;"

    public init(directory: SnapshotDirectory) {
        self.directory = directory
    }

    /// Writes `state` (every event through `origin.position` applied) and returns the new file.
    ///
    /// `pipe` decides where the rows are computed: the engine passes one that computes them on a thread
    /// of its own while this one inserts (``SnapshotBatchPipe``).
    public func write(
        _ state: LedgerProjections, origin: Origin, createdAt: EventTime,
        pipe: some SnapshotBatchPipe = InlineSnapshotPipe()
    ) throws -> SnapshotFile {
        try directory.create()
        let final = directory.url(databaseID: origin.databaseID, position: origin.position)
        let staged = StagedPath(final: final)
        staged.discard()  // a temporary left by an earlier process of the same id
        do {
            let meta = try fill(staged.temporary, state: state, origin: origin, createdAt: createdAt, pipe: pipe)
            try staged.commit()
            // Checked again where it now lives: it opens as a snapshot and says what was written.
            let written = try SnapshotFile.open(final)
            guard written.meta == meta else {
                try? FileManager.default.removeItem(at: final)
                throw SnapshotProblem.unreadable("metadata differs after writing")
            }
            return written
        } catch {
            staged.discard()
            throw error
        }
    }

    private func fill(
        _ url: URL, state: LedgerProjections, origin: Origin, createdAt: EventTime, pipe: some SnapshotBatchPipe
    ) throws -> SnapshotMeta {
        let database = try SQLiteDatabase(path: url.path)
        defer { database.close() }
        try database.execute(Self.pragmas)
        return try database.transaction {
            try database.execute(SnapshotSchema.create)
            // One prepared statement per table, reused for every row.
            let inserts = try SnapshotContent.Table.allCases.map {
                try database.prepare("INSERT INTO \($0.name) VALUES (\(placeholders($0.columnCount)))")
            }
            var summary: SnapshotContent.Summary?
            let content = SnapshotContent(state)
            try pipe.run({ send in try content.produce(send) }) { batch in
                switch batch {
                case .rows(let table, let rows):
                    let statement = inserts[table.rawValue]
                    for row in rows { try statement.run(row) }
                case .end(let last):
                    summary = last
                }
            }
            guard let summary, summary.counts.count == 5 else {
                throw SnapshotProblem.unreadable("the snapshot's rows ended without their summary")
            }
            let counts = summary.counts
            let meta = SnapshotMeta(
                databaseID: origin.databaseID, position: origin.position,
                chainHash: HexEncoding.encode(origin.chainHash),
                counts: (counts[0], counts[1], counts[2], counts[3], counts[4]),
                contentDigest: summary.contentDigest, createdAt: createdAt)
            try database.prepare("INSERT INTO snapshot_meta (\(SnapshotMeta.columns)) VALUES (\(placeholders(13)))")
                .run(meta.values)
            return meta
        }
    }

    private func placeholders(_ count: Int) -> String {
        (1...count).map { "?\($0)" }.joined(separator: ", ")
    }
}
