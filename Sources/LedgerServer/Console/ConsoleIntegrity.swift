import Foundation
import HTTPTypes
import Hummingbird
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerSnapshots
import Logging

/// `/ui/integrity`: the log's head and digest, the last `verify` and when it ran, a button that runs it
/// (``ConsoleVerifier``, the audit `ledger verify` runs) with progress, the snapshot files, and a form
/// that checks a kept digest as `ledger verify --digest` does.
///
/// The page reads the newest recorded runs from `ledger.verify_runs` (so a run of `ledger verify` in a
/// terminal shows too), and while a run is under way it refreshes itself every
/// ``Limits/consoleVerifyRefreshSeconds`` with a `<meta http-equiv="refresh">`: no script.
struct ConsoleIntegrity: Sendable {
    let pool: DatabasePool
    let verifier: ConsoleVerifier?
    let pages: ConsolePages

    /// The page; `notice` says what the last POST did.
    func page(frame: PageFrame, notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        var frame = frame
        frame.title = "Integrity"
        frame.focusSearch = false
        let directory = verifier?.snapshotDirectory ?? .default()
        // The run's state before the recorded runs: a run records itself before it leaves `running`, so a run
        // seen finished here is in the read below. Read the other way round, a run ending in between showed
        // neither running nor recorded (a clean-clone CI run caught it).
        let verifying = verifier?.status
        let read = try await ConsoleData.read(pool) { connection in
            try IntegrityReading.read(connection: connection, snapshots: directory)
        }
        let page = IntegrityPage(
            frame: frame, reading: read, running: verifying?.running, last: verifying?.last,
            verifyAvailable: verifier != nil,
            notice: notice)
        return pages.render("integrity", page, status: status)
    }

    /// POST /ui/integrity/verify: starts a run (with `digest`, when the form sent one), then back to the page.
    func startVerify(_ request: Request, frame: PageFrame) async throws -> Response {
        let form = try await ConsoleForm.read(request)
        guard ConsoleSecurity.same(form["csrf"], frame.csrf) else {
            throw APIError(.forbidden, "the verify form did not come from this session's page")
        }
        guard let verifier else {
            return try await page(
                frame: frame, notice: "verify is not available in this server", status: .serviceUnavailable)
        }
        var digest: ChainHead?
        if let text = form["digest"]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty {
            guard let kept = ChainHead(digest: text) else {
                return try await page(
                    frame: frame,
                    notice: "the digest must be POS:HASH with 64 hex digits, as `ledger head` and this page print it",
                    status: .unprocessableContent)
            }
            digest = kept
        }
        guard verifier.start(digest: digest) else {
            return try await page(frame: frame, notice: "a verify is already running; its progress is below")
        }
        return ConsolePages.redirect(to: "/ui/integrity")
    }
}

/// Reads the console's pages' data on the read-only pool: database trouble is a 503.
enum ConsoleData {
    static func read<T: Sendable>(
        _ pool: DatabasePool, _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        do {
            return try await pool.withConnection(body)
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.from(database: error)
        }
    }
}

/// What the integrity page reads from the database in one go.
struct IntegrityReading: Sendable {
    var head: ChainHead
    var headRecordedAt: EventTime?
    var runs: [VerifyRun]
    var snapshots: [SnapshotCatalog.Listing]
    var snapshotDirectory: String
    /// Why the snapshot files could not be listed.
    var snapshotProblem: String?

    static func read(connection: PostgresConnection, snapshots directory: SnapshotDirectory) throws
        -> IntegrityReading
    {
        let store = EventStore(connection: connection)
        let head = try store.head()
        let recordedAt =
            head.position > 0
            ? try store.read(after: head.position - 1, through: head.position, limit: 1).first?.recordedAt : nil
        let runs = try VerifyRunStore(connection: connection).newest(limit: Limits.consoleVerifyRunsListedMax)
        var listing: [SnapshotCatalog.Listing] = []
        var problem: String?
        do {
            if FileManager.default.fileExists(atPath: directory.url.path) {
                listing = try SnapshotCatalog(
                    directory: directory, connection: connection,
                    logger: Logger(label: "ledger.serve.console", factory: { _ in SwiftLogNoOpLogHandler() })
                ).list()
            }
        } catch let error as PostgresError {
            throw error
        } catch {
            problem = "\(error)"
        }
        return IntegrityReading(
            head: head, headRecordedAt: recordedAt, runs: runs, snapshots: listing,
            snapshotDirectory: directory.url.path, snapshotProblem: problem)
    }
}

extension Limits {
    /// How often the integrity page reloads itself while a verify runs.
    public static let consoleVerifyRefreshSeconds = 2
    /// Recorded verify runs the integrity page lists.
    public static let consoleVerifyRunsListedMax = 10
}

// MARK: - What integrity.mustache renders (stored properties only; flags set in init)

struct IntegrityPage {
    var frame: PageFrame
    /// Set while a run is under way: the head template's `<meta http-equiv="refresh">`.
    var refreshSeconds: Int?
    var headPosition: Int64
    var headHash: String
    var headDigest: String
    var headRecordedAt: String
    var verifyAvailable: Bool
    var running: RunningView?
    var notice: String?
    /// The newest recorded run, or this process's last one when it could not be recorded.
    var last: RunView?
    var hasLast: Bool
    /// Set when the last run of this process could not finish or be recorded.
    var lastProblem: String?
    var runs: [RunView]
    var hasRuns: Bool
    var snapshotDirectory: String
    var snapshots: [SnapshotView]
    var hasSnapshots: Bool
    var snapshotProblem: String?
    var digestPattern: String

    init(
        frame: PageFrame, reading: IntegrityReading, running: ConsoleVerifier.Running?,
        last: ConsoleVerifier.Outcome?, verifyAvailable: Bool, notice: String?
    ) {
        self.frame = frame
        refreshSeconds = running == nil ? nil : Limits.consoleVerifyRefreshSeconds
        headPosition = reading.head.position
        headHash = HexEncoding.encode(reading.head.hash)
        headDigest = reading.head.digest
        headRecordedAt = reading.headRecordedAt?.description ?? "—"
        self.verifyAvailable = verifyAvailable
        self.running = running.map(RunningView.init)
        self.notice = notice
        runs = reading.runs.map(RunView.init)
        // This process's last run is newer than any recorded one when it could not be recorded.
        if let outcome = last, let problem = outcome.problem,
            reading.runs.first.map({ $0.finishedAt <= outcome.finishedAt }) ?? true
        {
            lastProblem = problem
            self.last = outcome.run.map(RunView.init)
        } else {
            self.last = runs.first
        }
        hasLast = self.last != nil
        hasRuns = !runs.isEmpty
        snapshotDirectory = reading.snapshotDirectory
        snapshots = reading.snapshots.map(SnapshotView.init)
        hasSnapshots = !snapshots.isEmpty
        snapshotProblem = reading.snapshotProblem
        digestPattern = "[0-9]+:[0-9a-fA-F]{64}"
    }
}

struct RunningView {
    var startedAt: String
    var stage: String
    var digest: String?

    init(_ running: ConsoleVerifier.Running) {
        startedAt = running.startedAt.description
        stage = running.stage
        digest = running.digest
    }
}

/// One recorded verify run as the page shows it.
struct RunView {
    var ok: Bool
    var result: String
    var origin: String
    var startedAt: String
    var finishedAt: String
    var seconds: String
    var trustedFrom: Int64
    var verifiedThrough: Int64
    var headPosition: Int64
    var eventsChecked: Int64
    var failedSections: String
    var chainFailurePosition: Int64?
    var chainFailureReason: String?
    var digestOutcome: String?
    var digestMessage: String?
    var snapshots: String
    var drift: String
    var driftRows: Int64
    var driftExamples: [DriftExampleView]
    var hasDriftExamples: Bool

    init(_ run: VerifyRun) {
        ok = run.ok
        result = run.ok ? "ok" : "FAILED: " + run.summary.failedSections.joined(separator: ", ")
        origin = run.origin == .cli ? "ledger verify" : "console"
        startedAt = run.startedAt.description
        finishedAt = run.finishedAt.description
        let micros = run.finishedAt.microsecondsSinceEpoch - run.startedAt.microsecondsSinceEpoch
        seconds = String(format: "%.1f s", Double(micros) / 1_000_000)
        trustedFrom = run.trustedFrom
        verifiedThrough = run.verifiedThrough
        headPosition = run.headPosition
        eventsChecked = run.summary.eventsChecked
        failedSections = run.summary.failedSections.joined(separator: ", ")
        chainFailurePosition = run.summary.chainFailure?.position
        chainFailureReason = run.summary.chainFailure?.reason
        digestOutcome = run.summary.digestOutcome
        digestMessage = run.summary.digestMessage
        snapshots =
            run.summary.snapshotFiles == 0
            ? "no files"
            : "\(run.summary.snapshotFiles) files, \(run.summary.snapshotsInvalid) invalid"
        drift = Self.drift(run)
        driftRows = run.driftRows
        driftExamples = run.summary.driftExamples.map(DriftExampleView.init)
        hasDriftExamples = !driftExamples.isEmpty
    }

    static func drift(_ run: VerifyRun) -> String {
        switch run.summary.driftStatus {
        case "checked":
            let at = run.summary.driftCheckpoint.map { " at checkpoint \($0)" } ?? ""
            return run.driftRows == 0
                ? "none: the live tables equal the log\(at)" : "\(run.driftRows) differing rows\(at)"
        case "skipped": return "not checked"
        default: return run.summary.driftMessage ?? run.summary.driftStatus
        }
    }
}

struct DriftExampleView {
    var table: String
    var id: String
    var stripeID: String
    var kind: String
    var columns: String

    init(_ example: VerifyRun.DriftExample) {
        table = example.table
        id = example.id
        stripeID = example.stripeID ?? "—"
        kind = example.kind
        columns = example.columns.joined(separator: ", ")
    }
}

struct SnapshotView {
    var name: String
    var position: String
    var createdAt: String
    var valid: Bool
    var status: String

    init(_ listing: SnapshotCatalog.Listing) {
        name = URL(fileURLWithPath: listing.path).lastPathComponent
        position = listing.position.map(String.init) ?? "?"
        createdAt = listing.createdAt ?? "—"
        valid = listing.valid
        status = listing.valid ? "valid" : "INVALID: \(listing.problem ?? "")"
    }
}

extension ConsoleController {
    /// The integrity page over this controller's pool and verifier.
    var integrity: ConsoleIntegrity { ConsoleIntegrity(pool: pool, verifier: verifier, pages: pages) }
    /// The MRR page over this controller's pool.
    var mrr: ConsoleMRR { ConsoleMRR(pool: pool, pages: pages) }
}
