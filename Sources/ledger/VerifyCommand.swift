import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// `ledger verify`: the one audit report — hash chain, digest, snapshots, projection drift, parked and rejected.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Audit the ledger: hash chain, a kept digest, snapshots, projection drift; exit 1 on any failure.",
        discussion: """
            One report, a section per check; every check runs even if one fails.

            chain      Recomputes every event's hash (SHA-256 of the previous hash
                       and all of the event's stored fields) and names the first
                       position that does not match: a changed byte, a deleted or
                       reordered event. --from POS:HASH starts from a digest
                       trusted without recomputation (after checking the log
                       still has that hash at POS) instead of position 1.
            digest     --digest POS:HASH, as `ledger head` printed it earlier:
                       proves the log up to POS unchanged since, by the hash the
                       chain pass recomputed at POS (a stored hash proves
                       nothing: whoever rewrites events can rewrite it). Fails
                       if it differs, if the chain breaks at or before POS, or
                       if POS is beyond the head. Appends after POS are fine.
            snapshots  Verifies this database's snapshot files in --snapshot-dir
                       as `ledger snapshot verify` does; an invalid one is a
                       failure, no files is not.
            drift      Replays the log to the projection's checkpoint (from the
                       newest valid snapshot at or before it) and compares the
                       result with the live subscriptions and
                       payment_transactions in one consistent read: rows
                       missing from live, extra in live, or changed, with the
                       differing columns' live and expected values (the first
                       \(Limits.driftListedRowsMax) per table listed, all counted). Nothing is
                       changed; `ledger rebuild` repairs drift. A projection
                       that has not run is not a failure unless its tables hold
                       rows; a checkpoint of another projector version is.
                       --no-drift skips this part, the slow one.
            archives   --archive FILE (once per archived partition, as `ledger
                       partition archive` wrote them): recomputes the chain
                       through the files from event 1, joins their end to the
                       log (the next stored event must chain from the last
                       archived hash), and the chain check goes on from there.
                       Needed while old partitions are detached: without it, or
                       --from, verify says which positions are detached and
                       fails (docs/0018-partitioned-log.md).
            parked     Events the projection could not turn into rows, and
            rejected   inputs that were not valid events: counted, never a
                       failure (details: `ledger status`, ledger.parked,
                       ledger.rejected_inputs).

            Exit codes: 0 every check passed; 1 a check failed or the database \
            could not be read; 2 usage error. Progress goes to standard error \
            when it is a terminal.

            Examples:
              ledger verify
              ledger verify --digest 68611:3f2a… --no-drift
              ledger verify --json --log-format json
            """)

    @OptionGroup var database: ReadDatabaseOptions
    @OptionGroup var snapshots: SnapshotDirectoryOption
    @OptionGroup var logging: LoggingOptions
    @OptionGroup var progressOptions: ProgressOptions
    @Option(
        help: ArgumentHelp(
            "Start after a digest trusted as is (proves nothing up to its position; --digest does).",
            valueName: "pos:hash"))
    var from: String?
    @Option(
        help: ArgumentHelp(
            "Digest taken earlier by `ledger head`: prove the log up to its position unchanged.",
            valueName: "pos:hash"))
    var digest: String?
    @Option(
        name: .customLong("archive"),
        help: ArgumentHelp(
            "A partition archive (`ledger partition archive`) to verify and chain the log from; repeat per file.",
            valueName: "file"))
    var archives: [String] = []
    @Flag(help: "Skip the projection drift check (chain, digest and snapshots only).") var noDrift = false
    @Flag(help: "Print the report as one JSON object: {chain, digest, snapshots, drift, parked, rejected, ok}.")
    var json = false

    func validate() throws {
        if let from, ChainHead(digest: from) == nil {
            throw ValidationError("--from must be POS:HASH with 64 hex digits, as `ledger head` prints it")
        }
        if let digest, ChainHead(digest: digest) == nil {
            throw ValidationError("--digest must be POS:HASH with 64 hex digits, as `ledger head` prints it")
        }
        if !archives.isEmpty, from != nil {
            throw ValidationError("--archive proves the chain from event 1; it cannot be combined with --from")
        }
        if let trusted = from.flatMap(ChainHead.init(digest:)), let kept = digest.flatMap(ChainHead.init(digest:)),
            kept.position < trusted.position
        {
            throw ValidationError(
                "--digest's position must not precede --from's: the chain is recomputed only after --from")
        }
    }

    func run() throws {
        let archived = try verifyArchives()
        let options = AuditOptions(
            trusted: from.flatMap(ChainHead.init(digest:)) ?? archived.trusted,
            digest: digest.flatMap(ChainHead.init(digest:)), snapshotDirectory: snapshots.directory,
            checksDrift: !noDrift)
        let database = self.database
        let progress = progressOptions.makeLine("")
        let head = logHeadPosition(database)
        let startedAt = EventTime(Date())
        let report = try LedgerAudit(
            connect: { try database.connect() }, logger: logging.makeLogger(label: "ledger.verify")
        ).run(options) { stage in
            switch stage {
            case .chain(let checked):
                progress.update(
                    "chain: " + ProgressLine.describe("", done: checked, of: head, unit: "events", rate: nil))
            case .snapshots: progress.update("snapshots…")
            case .replaying(let position, let through):
                progress.update(
                    "drift: replaying "
                        + ProgressLine.describe("", done: position, of: through, unit: "events", rate: nil))
            case .comparing: progress.update("drift: comparing with the live tables…")
            }
        }
        progress.finish()
        record(VerifyRun(report, origin: .cli, startedAt: startedAt, finishedAt: EventTime(Date())))
        if json, !archived.archives.isEmpty {
            try printJSON(ArchivedAuditReport(archives: archived.archives, report: report))
        } else if json {
            try printJSON(report)
        } else {
            AuditReportPrinter().print(report)
        }
        if !report.ok { throw ExitCode(ExitStatus.failure) }
    }

    /// Keeps the run in ledger.verify_runs for the audit console, on the primary even when it read a replica;
    /// a login without INSERT there (or a database before migration 017) still gets its report, with a warning.
    func record(_ run: VerifyRun) {
        do {
            try VerifyRunStore(connection: try database.primary.connect()).record(run)
        } catch {
            warn("this run was not recorded in ledger.verify_runs (the console shows the last recorded one): \(error)")
        }
    }
}
