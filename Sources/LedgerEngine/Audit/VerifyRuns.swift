import Foundation
import LedgerCore
import LedgerPostgres

extension Limits {
    /// Differing rows kept as examples in a recorded verify run (all are counted in `drift_rows`).
    public static let verifyRunDriftExamplesMax = 10
    /// Recorded runs a page lists at once.
    public static let verifyRunsListedMax = 20
}

/// One finished `ledger verify` run as `ledger.verify_runs` (migration 017) keeps it: when it ran, what
/// range it recomputed, and what it found — a record for people, never an input to a check.
public struct VerifyRun: Sendable, Equatable, Codable {
    /// Who ran it.
    public enum Origin: String, Sendable, Codable {
        /// `ledger verify`.
        case cli
        /// The audit console's verify button.
        case console
    }

    /// What the run found, stored as the row's `summary` (JSON).
    public struct Summary: Sendable, Equatable, Codable {
        public var failedSections: [String]
        /// The first position whose hash does not match, and why.
        public var chainFailure: ChainVerification.Failure?
        public var eventsChecked: Int64
        /// `matches`, `does-not-match`, `beyond-head`; nil when no digest was given.
        public var digestOutcome: String?
        public var digestMessage: String?
        public var snapshotFiles: Int
        public var snapshotsInvalid: Int
        /// `checked`, `skipped`, `not-projected`, `projector-version-mismatch`.
        public var driftStatus: String
        public var driftCheckpoint: Int64?
        public var driftMessage: String?
        /// The first differing rows, at most ``Limits/verifyRunDriftExamplesMax``.
        public var driftExamples: [DriftExample]
    }

    /// A differing row, as `ledger verify` lists it.
    public struct DriftExample: Sendable, Equatable, Codable {
        public var table: String
        public var id: String
        public var stripeID: String?
        /// `missing`, `extra`, `changed`.
        public var kind: String
        /// The differing columns of a changed row.
        public var columns: [String]
    }

    public var origin: Origin
    public var startedAt: EventTime
    public var finishedAt: EventTime
    public var trustedFrom: Int64
    public var verifiedThrough: Int64
    public var headPosition: Int64
    public var ok: Bool
    public var driftRows: Int64
    public var summary: Summary

    public init(
        origin: Origin, startedAt: EventTime, finishedAt: EventTime, trustedFrom: Int64, verifiedThrough: Int64,
        headPosition: Int64, ok: Bool, driftRows: Int64, summary: Summary
    ) {
        self.origin = origin
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.trustedFrom = trustedFrom
        self.verifiedThrough = verifiedThrough
        self.headPosition = headPosition
        self.ok = ok
        self.driftRows = driftRows
        self.summary = summary
    }

    /// The record of `report`, a run by `origin` from `startedAt` to `finishedAt`.
    public init(_ report: AuditReport, origin: Origin, startedAt: EventTime, finishedAt: EventTime) {
        let examples = report.drift.tables.flatMap { table in
            table.listed.map {
                DriftExample(
                    table: table.table, id: $0.id, stripeID: $0.stripeID, kind: $0.kind.rawValue, columns: $0.columns)
            }
        }
        self.init(
            origin: origin, startedAt: startedAt, finishedAt: max(finishedAt, startedAt),
            trustedFrom: report.chain.trustedFrom,
            verifiedThrough: max(report.chain.verifiedThrough, report.chain.trustedFrom),
            headPosition: report.chain.headPosition, ok: report.ok, driftRows: Int64(report.drift.differingRows),
            summary: Summary(
                failedSections: report.failedSections, chainFailure: report.chain.failure,
                eventsChecked: report.chain.eventsChecked, digestOutcome: report.digest?.outcome.rawValue,
                digestMessage: report.digest?.message, snapshotFiles: report.snapshots.files.count,
                snapshotsInvalid: report.snapshots.invalid, driftStatus: report.drift.status.rawValue,
                driftCheckpoint: report.drift.checkpoint, driftMessage: report.drift.message,
                driftExamples: Array(examples.prefix(Limits.verifyRunDriftExamplesMax))))
    }
}

/// Records and reads ``VerifyRun``s in `ledger.verify_runs` over one connection.
public struct VerifyRunStore {
    /// `$1` origin, `$2` started_at and `$3` finished_at (µs since the epoch), `$4` trusted_from,
    /// `$5` verified_through, `$6` head_position, `$7` ok, `$8` drift_rows, `$9` summary (JSON text).
    static let insertRun = """
        INSERT INTO ledger.verify_runs (origin, started_at, finished_at, trusted_from, verified_through,
                                        head_position, ok, drift_rows, summary)
        VALUES ($1, to_timestamp($2::bigint / 1e6), to_timestamp($3::bigint / 1e6), $4, $5, $6, $7, $8, $9::jsonb)
        """
    /// `$1` how many; the newest runs first.
    static let selectNewest = """
        SELECT origin, started_at, finished_at, trusted_from, verified_through, head_position, ok, drift_rows,
               summary::text
        FROM ledger.verify_runs ORDER BY finished_at DESC, id DESC LIMIT $1
        """

    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Appends `run`.
    public func record(_ run: VerifyRun) throws {
        let summary = String(decoding: try Self.encoder.encode(run.summary), as: UTF8.self)
        try connection.query(
            Self.insertRun,
            [
                run.origin.rawValue, run.startedAt.microsecondsSinceEpoch, run.finishedAt.microsecondsSinceEpoch,
                run.trustedFrom, run.verifiedThrough, run.headPosition, run.ok, run.driftRows, summary,
            ])
    }

    /// The newest runs, newest first (at most `limit`).
    public func newest(limit: Int = Limits.verifyRunsListedMax) throws -> [VerifyRun] {
        try connection.query(Self.selectNewest, [limit]).map { row in
            let summary: String = try row.decode(at: 8)
            return VerifyRun(
                origin: VerifyRun.Origin(rawValue: try row.decode(at: 0)) ?? .cli, startedAt: try row.decode(at: 1),
                finishedAt: try row.decode(at: 2), trustedFrom: try row.decode(at: 3),
                verifiedThrough: try row.decode(at: 4), headPosition: try row.decode(at: 5), ok: try row.decode(at: 6),
                driftRows: try row.decode(at: 7),
                summary: try JSONDecoder().decode(VerifyRun.Summary.self, from: Data(summary.utf8)))
        }
    }

    /// The newest run, nil before the first.
    public func latest() throws -> VerifyRun? { try newest(limit: 1).first }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
