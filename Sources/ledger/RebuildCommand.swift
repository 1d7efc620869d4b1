import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// `ledger rebuild`: recomputes the projected tables from the log and repairs any drift.
struct RebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild the billing and MRR tables from the event log, repairing drift.",
        discussion: """
            Replays the whole log into the projection state, then makes the live tables \
            (subscriptions, payment_transactions, mrr_movements, mrr_daily) equal to it in \
            one transaction, changing only rows that differ: readers see \
            the old tables or the new ones, never half, and rows keep their ids, so \
            foreign keys from other tables stay valid. Prints the drift (rows inserted, \
            updated, deleted per table). Subscriptions whose license does not exist are \
            parked (see `ledger status`) and appear once it does.

            The state is computed from the newest valid snapshot plus the events after it \
            (see `ledger snapshot`); a snapshot that fails verification is skipped with a \
            warning and the next older one (or event 1) is used. --from-scratch replays \
            from event 1. The result is the same either way.

            Only one projector writes at a time. A following projector (`ledger serve`'s, \
            `ledger project --follow`) is asked to pause: it finishes its batch, steps \
            aside until the rebuild is done, then resumes from the rebuild's checkpoint. \
            A holder that does not pause within --wait seconds (a one-shot `ledger project`, \
            an older ledger, another client) makes the rebuild exit with status 3, naming \
            the session (application name with pid and host, PostgreSQL backend pid, \
            since when); wait for it, stop it, or run `ledger serve --no-projector`.

            Examples:
              ledger rebuild
              ledger rebuild --from-scratch --json
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var snapshots: SnapshotOptions
    @OptionGroup var logging: LoggingOptions
    @OptionGroup var progressOptions: ProgressOptions
    @Flag(help: "Replay from event 1, ignoring snapshots.") var fromScratch = false
    @Option(
        help: ArgumentHelp(
            "How long a projector holding the projection has to pause (0–\(Limits.rebuildWaitSecondsMax); default \(Limits.rebuildWaitSecondsDefault)).",
            valueName: "seconds"))
    var wait = Limits.rebuildWaitSecondsDefault
    @Flag(help: "Print the report as JSON.") var json = false

    func validate() throws {
        guard (0...Limits.rebuildWaitSecondsMax).contains(wait) else {
            throw ValidationError("--wait must be between 0 and \(Limits.rebuildWaitSecondsMax) seconds")
        }
    }

    func run() throws {
        let progress = progressOptions.makeLine("replaying")
        let head = logHeadPosition(database)
        let started = ContinuousClock.now
        // A busy projection (ProjectionBusy) exits with status 3 through ExitStatus.
        let report = try ProjectionRebuilder(
            connect: database.connect, snapshots: snapshots.policy(replayFromSnapshots: !fromScratch),
            logger: logging.makeLogger(label: "ledger.rebuild"), waitForWriter: .seconds(wait)
        ).rebuild(fromSnapshot: !fromScratch) { position in
            progress.update(position, of: head)
        }
        progress.finish()
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        if json { return try printJSON(report) }
        let origin = report.snapshotPosition.map { "the snapshot at \($0) + " } ?? ""
        print(
            "rebuilt from \(origin)\(report.eventsRead) events through position \(report.position) "
                + String(format: "in %.1f s (%.0f events/s)", seconds, Double(report.eventsRead) / max(seconds, 1e-9)))
        printProjectionOutcome(
            drift: report.drift, label: "drift: ", parked: report.parked, snapshotsWritten: report.snapshotsWritten)
    }
}

/// The lines `project` and `rebuild` end with: rows written per table, parked events, snapshots written.
func printProjectionOutcome(drift: [TableDrift], label: String, parked: Int, snapshotsWritten: [String]) {
    for table in drift {
        print(
            "\(table.table.padding(toLength: 22, withPad: " ", startingAt: 0)) \(label)\(table.inserted) inserted, "
                + "\(table.updated) updated, \(table.deleted) deleted")
    }
    print("parked events: \(parked)")
    for file in snapshotsWritten { print("wrote snapshot \(file)") }
}
