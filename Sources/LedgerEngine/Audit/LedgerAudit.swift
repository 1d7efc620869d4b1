import Foundation
import LedgerCore
import LedgerPostgres
import LedgerSnapshots
import Logging

/// What `ledger verify` checks, and from where.
public struct AuditOptions: Sendable {
    /// Where the chain is recomputed from: position 0, or a digest trusted without recomputation.
    public var trusted: ChainHead
    /// A digest taken earlier (by `ledger head`) to prove the log up to its position unchanged.
    public var digest: ChainHead?
    /// Where this database's snapshot files are.
    public var snapshotDirectory: SnapshotDirectory
    /// Compare the live projected tables with the log (the slow part).
    public var checksDrift: Bool
    /// Differing rows listed per table; all are counted.
    public var listedRowsMax: Int

    public init(
        trusted: ChainHead = .genesis, digest: ChainHead? = nil, snapshotDirectory: SnapshotDirectory,
        checksDrift: Bool = true, listedRowsMax: Int = Limits.driftListedRowsMax
    ) {
        precondition(digest.map { $0.position >= trusted.position } ?? true, "a digest cannot precede --from")
        self.trusted = trusted
        self.digest = digest
        self.snapshotDirectory = snapshotDirectory
        self.checksDrift = checksDrift
        self.listedRowsMax = listedRowsMax
    }
}

/// The one audit report: hash chain, digest, snapshots, projection drift, parked and rejected counts.
///
/// The checks run one after the other; each reports into its own section instead of stopping the
/// others, so one run shows everything that is wrong. Only connection and SQL errors end it early.
public struct LedgerAudit {
    let connect: @Sendable () throws -> PostgresConnection
    let configuration: ProjectionConfiguration
    let logger: Logger

    /// - Parameter connect: opens the connections (the chain pass uses one per segment).
    public init(
        connect: @escaping @Sendable () throws -> PostgresConnection,
        configuration: ProjectionConfiguration = ProjectionConfiguration(),
        logger: Logger = Logger(label: "ledger.verify", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.connect = connect
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs every check `options` asks for; `progress` hears what is running (from several threads).
    public func run(_ options: AuditOptions, progress: @escaping @Sendable (AuditProgress) -> Void = { _ in })
        throws -> AuditReport
    {
        // One pass: it keeps the hash it recomputes at the digest's position.
        let chain = try ChainVerifier(connect: connect).verify(
            from: options.trusted, recomputingAt: options.digest?.position
        ) { progress(.chain(eventsChecked: $0)) }
        let digest = options.digest.map { DigestCheck.judge($0, by: chain) }

        progress(.snapshots)
        let connection = try connect()
        let catalog = try SnapshotCatalog(directory: options.snapshotDirectory, connection: connection, logger: logger)
        let files = try catalog.list()
        let snapshots = SnapshotSection(
            ok: files.allSatisfy(\.valid), directory: options.snapshotDirectory.url.path, files: files)

        let drift =
            options.checksDrift
            ? try ProjectionDriftCheck(
                connect: connect, configuration: configuration,
                snapshots: SnapshotPolicy(directory: options.snapshotDirectory), listedRowsMax: options.listedRowsMax,
                logger: logger
            ).run(progress: progress)
            : DriftReport.skipped

        let status = try LedgerStatus.read(connection)
        let checkpoint = status.projections.first { $0.name == ProjectionRebuilder.projectionName }?.position ?? 0
        let projection = ProjectionProgressSection(
            checkpoint: checkpoint, headPosition: status.headPosition,
            oldestUnapplied: try LedgerStatus.oldestUnapplied(after: checkpoint, connection))
        var report = AuditReport(
            chain: ChainSection(chain), digest: digest, snapshots: snapshots, drift: drift, projection: projection,
            parked: CountSection(count: status.parkedEvents, seeAlso: "ledger.parked, `ledger status`"),
            rejected: CountSection(count: status.rejectedInputs, seeAlso: "ledger.rejected_inputs"), ok: false)
        report.ok = report.failedSections.isEmpty
        return report
    }
}
