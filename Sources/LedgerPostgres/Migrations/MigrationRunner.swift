import Foundation
import LedgerCore
import Logging

/// Where one migration stands on a database.
public struct MigrationStatus: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable {
        case applied
        /// Recorded by `baseline`: the schema was applied by hand, not by the runner.
        case baselined
        case pending
        /// Applied, but the file has changed since: the runner refuses to go on.
        case changed
        /// Recorded as applied, but no file for it exists any more.
        case missingFile = "missing_file"
    }

    public var version: Int
    public var name: String
    public var state: State
    public var appliedAt: Date?
    public var durationMilliseconds: Int?
    public var checksum: String?
}

/// Applies and rolls back ``Migration``s, recording each in `schema_migrations`.
///
/// Every run holds one session advisory lock, so two runners at once apply each
/// migration exactly once; each migration runs in its own transaction together
/// with its bookkeeping row, so a failure leaves no half-applied file.
public struct MigrationRunner {
    /// Key of the advisory lock all migration runners take (arbitrary, fixed forever).
    public static let advisoryLockKey: Int64 = 0x6C65_6467_6D69_67  // "ledgmig"

    let connection: PostgresConnection
    let source: MigrationSource
    let logger: Logger

    public init(connection: PostgresConnection, source: MigrationSource, logger: Logger) {
        self.connection = connection
        self.source = source
        self.logger = logger
    }

    /// Every migration, file or record, with its state, in version order.
    public func status() throws -> [MigrationStatus] {
        let recorded = try appliedRecords()
        var statuses: [MigrationStatus] = source.migrations.map { migration in
            guard let record = recorded[migration.version] else {
                return MigrationStatus(version: migration.version, name: migration.name, state: .pending)
            }
            let state: MigrationStatus.State =
                record.checksum != migration.checksum ? .changed : record.baseline ? .baselined : .applied
            return MigrationStatus(
                version: migration.version, name: migration.name, state: state, appliedAt: record.appliedAt,
                durationMilliseconds: record.durationMilliseconds, checksum: record.checksum)
        }
        for record in recorded.values where source.migration(record.version) == nil {
            statuses.append(
                MigrationStatus(
                    version: record.version, name: record.name, state: .missingFile, appliedAt: record.appliedAt,
                    durationMilliseconds: record.durationMilliseconds, checksum: record.checksum))
        }
        return statuses.sorted { $0.version < $1.version }
    }

    /// Applies pending migrations up to `target` (all when nil); returns those applied (or planned, in a dry run).
    @discardableResult
    public func up(to target: Int? = nil, dryRun: Bool = false) throws -> [Migration] {
        if let target, source.migration(target) == nil {
            throw MigrationError("no migration with version \(target) in \(source.origin)")
        }
        return try withLock(dryRun: dryRun) {
            let recorded = try checkedRecords()
            let plan = source.migrations.filter {
                recorded[$0.version] == nil && $0.version <= (target ?? Int.max)
            }
            if dryRun { return plan }
            for migration in plan {
                let clock = ContinuousClock()
                let started = clock.now
                try connection.transaction {
                    try applyNaming(migration)
                    let elapsed = started.duration(to: clock.now)
                    try record(migration, durationMilliseconds: Int(elapsed.milliseconds), baseline: false)
                }
                logger.info("applied migration", metadata: ["migration": "\(migration.fileName)"])
            }
            return plan
        }
    }

    /// Rolls back the newest `steps` applied migrations; returns them (or the plan, in a dry run).
    ///
    /// A rollback that would drop an event log holding events throws ``EventLogLossRefused``, before
    /// anything is rolled back, unless `dropEventLog` says the events may go.
    @discardableResult
    public func down(steps: Int = 1, dryRun: Bool = false, dropEventLog: Bool = false) throws -> [Migration] {
        guard steps >= 1 else { throw MigrationError("--steps must be at least 1") }
        return try withLock(dryRun: dryRun) {
            let recorded = try checkedRecords()
            let plan = recorded.keys.sorted(by: >).prefix(steps).compactMap { source.migration($0) }
            if dryRun { return plan }
            if !dropEventLog { try refuseEventLogLoss(plan) }
            for migration in plan {
                try connection.transaction {
                    try connection.execute(migration.downSQL)
                    try connection.query("DELETE FROM public.schema_migrations WHERE version = $1", [migration.version])
                }
                logger.info("rolled back migration", metadata: ["migration": "\(migration.fileName)"])
            }
            return plan
        }
    }

    /// Records migrations 1…`version` as applied without running them, for a schema applied by hand.
    @discardableResult
    public func baseline(_ version: Int, dryRun: Bool = false) throws -> [Migration] {
        guard source.migration(version) != nil else {
            throw MigrationError("no migration with version \(version) in \(source.origin)")
        }
        return try withLock(dryRun: dryRun) {
            let recorded = try checkedRecords()
            let plan = source.migrations.filter { recorded[$0.version] == nil && $0.version <= version }
            if dryRun { return plan }
            try connection.transaction {
                for migration in plan { try record(migration, durationMilliseconds: 0, baseline: true) }
            }
            return plan
        }
    }
}

// MARK: - Bookkeeping

extension MigrationRunner {
    /// `schema_migrations`: one row per applied migration (`$1` version, `$2` name,
    /// `$3` checksum, `$4` duration in ms, `$5` whether it was baselined).
    static let createBookkeeping = """
        CREATE TABLE IF NOT EXISTS public.schema_migrations (
            version     INTEGER PRIMARY KEY,
            name        TEXT NOT NULL,
            checksum    TEXT NOT NULL,
            applied_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
            duration_ms INTEGER NOT NULL,
            baseline    BOOLEAN NOT NULL DEFAULT false
        )
        """
    static let insertRecord = """
        INSERT INTO public.schema_migrations (version, name, checksum, duration_ms, baseline)
        VALUES ($1, $2, $3, $4, $5)
        """
    static let selectRecords = """
        SELECT version, name, checksum, applied_at, duration_ms, baseline
        FROM public.schema_migrations ORDER BY version
        """

    struct Record {
        var version: Int
        var name: String
        var checksum: String
        var appliedAt: Date
        var durationMilliseconds: Int
        var baseline: Bool
    }

    func record(_ migration: Migration, durationMilliseconds: Int, baseline: Bool) throws {
        try connection.query(
            Self.insertRecord,
            [migration.version, migration.name, migration.checksum, durationMilliseconds, baseline])
    }

    func bookkeepingExists() throws -> Bool {
        try connection.query("SELECT to_regclass('public.schema_migrations') IS NOT NULL")[0].decode(Bool.self, at: 0)
    }

    func appliedRecords() throws -> [Int: Record] {
        guard try bookkeepingExists() else { return [:] }
        var records: [Int: Record] = [:]
        for row in try connection.query(Self.selectRecords, resultFormat: .binary) {
            let record = Record(
                version: try row.decode(Int.self, at: 0), name: try row.decode(String.self, at: 1),
                checksum: try row.decode(String.self, at: 2), appliedAt: try row.decode(Date.self, at: 3),
                durationMilliseconds: try row.decode(Int.self, at: 4), baseline: try row.decode(Bool.self, at: 5))
            records[record.version] = record
        }
        return records
    }

    /// Applied records, after refusing any whose file changed or vanished.
    func checkedRecords() throws -> [Int: Record] {
        let records = try appliedRecords()
        for record in records.values.sorted(by: { $0.version < $1.version }) {
            guard let migration = source.migration(record.version) else {
                throw MigrationError(
                    "migration \(record.version) (\(record.name)) is applied but is not in \(source.origin): "
                        + "the database was migrated by a newer ledger or from another directory; use that one")
            }
            if migration.checksum != record.checksum {
                throw MigrationError(
                    "\(migration.fileName) was changed after it was applied (recorded checksum "
                        + "\(record.checksum.prefix(12))…, file now \(migration.checksum.prefix(12))…); "
                        + "restore the file and put the change in a new migration")
            }
        }
        return records
    }

    /// Runs `body` holding the migration advisory lock (and the bookkeeping table in place).
    func withLock<T>(dryRun: Bool, _ body: () throws -> T) throws -> T {
        try connection.execute("SET lock_timeout = '\(Limits.migrationLockWaitSecondsMax)s'")
        let lock = AdvisoryLock(key: Self.advisoryLockKey)
        try lock.lock(on: connection)
        defer { try? lock.unlock(on: connection) }
        try connection.execute("SET lock_timeout = 0")
        if !dryRun {
            // Run even when the table exists: a role that may not create in public is refused here, before
            // anything else (tested). IF NOT EXISTS then prints a NOTICE that is noise to whoever migrates.
            try connection.execute("SET client_min_messages = warning")
            try connection.execute(Self.createBookkeeping)
            try connection.execute("RESET client_min_messages")
        }
        return try body()
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
