import Foundation
import LedgerCore
import LedgerPostgres
import LedgerSnapshots
import Logging

/// What comparing the live projected tables with the log found.
public struct DriftReport: Sendable, Equatable, Encodable {
    /// Whether the comparison ran, and if not, why.
    public enum Status: String, Sendable, Encodable {
        /// Replayed to the checkpoint and compared.
        case checked
        /// Not asked for (`--no-drift`).
        case skipped
        /// No checkpoint: the projection has not run.
        case notProjected = "not-projected"
        /// The checkpoint was written by another projector version; its rows mean something else.
        case projectorVersionMismatch = "projector-version-mismatch"
    }

    public var ok: Bool
    public var status: Status
    /// The checkpoint the live tables were compared at.
    public var checkpoint: Int64?
    /// The snapshot the replay started from, when it did.
    public var snapshotPosition: Int64?
    /// Events replayed after the snapshot (or from event 1).
    public var eventsReplayed: Int64
    /// Per table, the rows that differ.
    public var tables: [TableDifferences]
    /// Why nothing was compared, or what to do.
    public var message: String?

    /// Differing rows over all tables.
    public var differingRows: Int { tables.reduce(0) { $0 + $1.rows } }

    static let skipped = DriftReport(ok: true, status: .skipped, eventsReplayed: 0, tables: [], message: "--no-drift")
}

/// Replays the log to the projection's checkpoint and compares the result with the live
/// `subscriptions` and `payment_transactions`, without changing them.
///
/// Everything that reads the live side — the checkpoint first, then licenses, then the tables — is
/// one REPEATABLE READ transaction, so a projector committing rows and a newer checkpoint meanwhile
/// cannot show up as drift. The replay reads the log on other connections: positions up to the
/// checkpoint never change (append-only). The expected rows get the rebuild's license filter
/// (``ProjectedRows``), staged with the rebuild's binary COPY and compared in SQL (``ProjectionDiff``);
/// the transaction is rolled back.
public struct ProjectionDriftCheck {
    let connect: () throws -> PostgresConnection
    let configuration: ProjectionConfiguration
    let snapshots: SnapshotPolicy?
    let listedRowsMax: Int
    let logger: Logger

    /// - Parameters:
    ///   - connect: opens the comparing connection, and the replay's (one reads ahead).
    ///   - snapshots: where snapshots are; the replay starts from the newest valid one at or before
    ///     the checkpoint. nil: from event 1.
    ///   - listedRowsMax: differing rows listed per table; all are counted.
    public init(
        connect: @escaping () throws -> PostgresConnection,
        configuration: ProjectionConfiguration = ProjectionConfiguration(), snapshots: SnapshotPolicy? = nil,
        listedRowsMax: Int = Limits.driftListedRowsMax,
        logger: Logger = Logger(label: "ledger.verify", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.connect = connect
        self.configuration = configuration
        self.snapshots = snapshots.map { SnapshotPolicy(directory: $0.directory, replayFromSnapshots: true) }
        self.listedRowsMax = listedRowsMax
        self.logger = logger
    }

    /// Compares at the checkpoint; `progress` gets the replay's positions, then `.comparing`.
    public func run(progress: (AuditProgress) -> Void = { _ in }) throws -> DriftReport {
        let connection = try connect()
        let diff = ProjectionDiff(connection: connection)
        return try diff.inRolledBackSnapshot {
            // The first read of the snapshot: the checkpoint and the rows below are from one moment.
            let checkpoint = try ProjectionBookkeeping(connection: connection).checkpoint(
                of: ProjectionRebuilder.projectionName)
            guard let checkpoint else { return try notProjected(diff) }
            guard checkpoint.projectorVersion == ProjectionState.projectorVersion else {
                return DriftReport(
                    ok: false, status: .projectorVersionMismatch, checkpoint: checkpoint.position,
                    eventsReplayed: 0, tables: [],
                    message: ProjectorVersionMismatch(checkpointVersion: checkpoint.projectorVersion).description)
            }
            let replay = try StateReplay(
                connection: try connect(), connect: connect, configuration: configuration, snapshots: snapshots,
                logger: logger, clock: { EventTime(Date()) }
            ).replay(through: checkpoint.position) { progress(.replaying(position: $0, through: checkpoint.position)) }
            progress(.comparing)
            // Licenses as the live rows see them: same snapshot.
            let rows = try ProjectedRows(licensing: replay.state.billing, with: LicenseLookup(connection: connection))
            let tables = try diff.compare(
                subscriptions: rows.subscriptions, payments: rows.payments, listing: listedRowsMax)
            return DriftReport(
                ok: tables.allSatisfy { $0.rows == 0 }, status: .checked, checkpoint: checkpoint.position,
                snapshotPosition: replay.snapshotPosition, eventsReplayed: replay.eventsRead, tables: tables)
        }
    }

    /// No checkpoint: nothing to compare, unless the tables hold rows the projection never wrote.
    func notProjected(_ diff: ProjectionDiff) throws -> DriftReport {
        let live = try diff.liveRowCounts()
        guard live.subscriptions + live.payments > 0 else {
            return DriftReport(
                ok: true, status: .notProjected, eventsReplayed: 0, tables: [],
                message: "the projection has not run; drift not checked")
        }
        // A deleted checkpoint must not hide tampered tables.
        return DriftReport(
            ok: false, status: .notProjected, eventsReplayed: 0, tables: [],
            message: "the projection has no checkpoint, yet subscriptions has \(live.subscriptions) rows and "
                + "payment_transactions \(live.payments): they were not written by the projection, or its "
                + "checkpoint was removed; run `ledger rebuild`")
    }
}
