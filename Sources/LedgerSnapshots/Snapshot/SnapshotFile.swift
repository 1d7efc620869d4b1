import CSQLite
import Foundation
import LedgerCore

/// One snapshot file and its metadata.
public struct SnapshotFile: Sendable, Equatable {
    public var url: URL
    public var meta: SnapshotMeta

    /// Opens `url` read-only and reads its metadata; throws ``SnapshotProblem`` when it is no snapshot.
    public static func open(_ url: URL) throws(SnapshotProblem) -> SnapshotFile {
        do {
            let database = try SQLiteDatabase(path: url.path, readOnly: true)
            defer { database.close() }
            // The version first: an older layout has other columns, and is named by its format, not "unreadable".
            if let found = try Self.formatVersion(database), found != SnapshotSchema.formatVersion {
                throw SnapshotProblem.formatVersion(found: found)
            }
            var meta: SnapshotMeta?
            var rows = 0
            try database.prepare("SELECT \(SnapshotMeta.columns) FROM snapshot_meta").forEachRow { row in
                meta = SnapshotMeta(row)
                rows += 1
            }
            guard rows == 1, let meta else { throw SnapshotProblem.unreadable("snapshot_meta must hold one row") }
            return SnapshotFile(url: url, meta: meta)
        } catch let problem as SnapshotProblem {
            throw problem
        } catch {
            throw .unreadable("\(error)")
        }
    }

    /// Checks everything that does not need the log: SQLite integrity, the content digest and the projector version.
    public func verifyContent() throws(SnapshotProblem) {
        guard meta.projectorVersion == ProjectionState.projectorVersion else {
            throw .projectorVersion(found: meta.projectorVersion, expected: ProjectionState.projectorVersion)
        }
        do {
            let database = try SQLiteDatabase(path: url.path, readOnly: true)
            defer { database.close() }
            var findings: [String] = []
            try database.prepare("PRAGMA quick_check").forEachRow { findings.append($0.text(0) ?? "") }
            guard findings == ["ok"] else { throw SnapshotProblem.damaged(findings.prefix(3).joined(separator: "; ")) }
            let computed = try ContentDigest.compute(database)
            guard computed == meta.contentDigest else {
                throw SnapshotProblem.digestMismatch(recorded: meta.contentDigest, computed: computed)
            }
        } catch let problem as SnapshotProblem {
            throw problem
        } catch {
            throw .unreadable("\(error)")
        }
    }

    /// Checks that the snapshot belongs to this log: same database, and the log's chain hash at
    /// its position (nil when the log is shorter) equals the recorded one.
    public func verifyOrigin(databaseID: UUID, chainHashAtPosition: [UInt8]?) throws(SnapshotProblem) {
        guard meta.databaseID == databaseID else { throw .otherDatabase(found: meta.databaseID, expected: databaseID) }
        guard let chainHashAtPosition else { throw .beyondLog(position: meta.position) }
        guard HexEncoding.encode(chainHashAtPosition) == meta.chainHash else {
            throw .chainHashMismatch(position: meta.position)
        }
    }

    /// `snapshot_meta.format_version` alone, readable in every layout.
    static func formatVersion(_ database: SQLiteDatabase) throws -> Int? {
        var version: Int?
        try database.prepare("SELECT format_version FROM snapshot_meta").forEachRow { version = Int($0.int64(0)) }
        return version
    }

    /// The projections' state the snapshot holds (billing reducer records and MRR movements), ready to apply
    /// the events after ``SnapshotMeta/position``.
    public func loadState(configuration: ProjectionConfiguration) throws(SnapshotProblem) -> LedgerProjections {
        do {
            let database = try SQLiteDatabase(path: url.path, readOnly: true)
            defer { database.close() }
            var records: [ReducerRecord] = []
            records.reserveCapacity(meta.reducerRecords)
            var unknownKind: String?
            try database.prepare("SELECT kind, key, state FROM reducer_state ORDER BY kind, key").forEachRow { row in
                let kindName = row.text(0) ?? ""
                guard let kind = ReducerRecord.Kind(rawValue: kindName) else {
                    unknownKind = kindName
                    return
                }
                records.append(ReducerRecord(kind: kind, key: row.text(1) ?? "", state: row.blob(2)))
            }
            if let unknownKind { throw SnapshotProblem.badReducerState("unknown record kind \(unknownKind)") }
            let billing = try ProjectionState(configuration: configuration, reducerRecords: records)
            var movements: [MRRMovement] = []
            movements.reserveCapacity(meta.mrrMovements)
            var unreadable: String?
            try database.prepare(
                "SELECT \(SnapshotSchema.mrrMovementColumns) FROM mrr_movements ORDER BY \(SnapshotSchema.mrrMovementKey)"
            )
            .forEachRow { row in
                if let movement = SnapshotSchema.movement(row) {
                    movements.append(movement)
                } else if unreadable == nil {
                    unreadable = "mrr_movements row at position \(row.int64(0)) is not a movement"
                }
            }
            if let unreadable { throw SnapshotProblem.badReducerState(unreadable) }
            return LedgerProjections(billing: billing, mrr: try MRRLedger(restoring: movements))
        } catch let problem as SnapshotProblem {
            throw problem
        } catch {
            throw .badReducerState("\(error)")
        }
    }

    /// The file's size in bytes.
    public var size: Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: url.path)[.size]) as? NSNumber)?.int64Value ?? 0
    }
}
