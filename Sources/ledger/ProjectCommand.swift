import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerServer
import Logging

/// `ledger project`: brings the projected tables up to the log's head, incrementally.
struct ProjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project",
        abstract: "Apply the events after the checkpoint to the billing and MRR tables.",
        discussion: """
            Reads the log after the projection's checkpoint in batches; each batch's rows \
            (subscriptions, payment_transactions, and the MRR movements and daily rows \
            they imply, docs/0006-mrr.md), parked events and the new checkpoint commit in \
            one transaction, so a crash or a stop loses at most the batch in flight and a \
            rerun continues from there. \
            The reducer state up to the checkpoint is first restored from the newest valid \
            snapshot plus the log after it (without writing rows); --snapshot-every N \
            writes a new snapshot whenever the state moves N events past the newest one. Subscriptions parked for a missing license are retried on \
            every run.

            With --follow, keeps running: wakes on each append (LISTEN/NOTIFY) and \
            applies the new events, until SIGINT or SIGTERM, then exits 0 after the \
            batch in flight has committed. An event that cannot become a row is parked \
            and never stops it; any other failure after the first catch-up (PostgreSQL \
            restarting, a lost connection) is logged once with the position and event it \
            stopped at and retried on a new connection with backoff (at most \
            \(Limits.projectorRetrySecondsMax) s apart) until the database is back. A \
            `ledger rebuild` makes it pause, and resume from the rebuild's checkpoint.

            Only one projector writes at a time; a second `project` exits with status 3, \
            naming the session that holds the projection. A checkpoint of another projector version needs \
            `ledger rebuild --from-scratch` first.

            Examples:
              ledger project
              ledger project --snapshot-every 100000 --progress
              ledger project --follow --json --log-format json
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var snapshots: SnapshotOptions
    @OptionGroup var logging: LoggingOptions
    @OptionGroup var progressOptions: ProgressOptions
    @Option(help: "Events per transaction (1–\(Limits.readBatchEventsMax)).")
    var batchSize = Projector.defaultBatchSize
    @Flag(help: "Keep applying new events as they are appended, until SIGINT or SIGTERM.") var follow = false
    @Flag(help: "Print the report as JSON (one object per catch-up with --follow).") var json = false

    func validate() throws {
        guard (1...Limits.readBatchEventsMax).contains(batchSize) else {
            throw ValidationError("--batch-size must be between 1 and \(Limits.readBatchEventsMax)")
        }
    }

    func run() throws {
        let logger = logging.makeLogger(label: "ledger.project")
        let stop = StopSignal.listen()
        guard follow else {
            // A busy projection (ProjectionBusy) exits with status 3 through ExitStatus.
            _ = try catchUp(try makeProjector(logger: logger, role: "ledger project"), stop: stop)
            return
        }
        try followRetrying(logger: logger, stop: stop)
    }

    /// Catches up with a progress line, prints the report and returns the checkpoint.
    private func catchUp(_ projector: Projector, stop: StopSignal) throws -> Int64 {
        let progress = progressOptions.makeLine("projecting")
        let head = logHeadPosition(database)
        let report = try projector.catchUp(
            progress: { position in progress.update(position, of: head) },
            shouldStop: { stop.isRequested })
        progress.finish()
        try printReport(report)
        return report.position
    }

    /// Follows the log until SIGINT/SIGTERM; each attempt takes the projection on a new connection, catches
    /// up and follows. Until the first catch-up every failure ends the command (a wrong URL or a busy
    /// projection shows at once). After it, a failure that is not the data's (a restarting database, a lost
    /// connection) is retried with backoff up to ``Limits/projectorRetrySecondsMax``, logged once per outage,
    /// and a busy projection is waited for (the lost session may not have ended yet on the server); a
    /// checkpoint of another version still ends it, since retrying cannot cure it.
    private func followRetrying(logger: Logger, stop: StopSignal) throws {
        var retry = ProjectorRetry()
        var checkpoint: Int64?
        while !stop.isRequested {
            let wait: Duration
            do {
                let projector = try makeProjector(logger: logger, role: "ledger project --follow")
                checkpoint = try catchUp(projector, stop: stop)
                let failures = retry.succeeded()
                logger.info(
                    failures == nil ? "following the log" : "database is back; following the log",
                    metadata: ["position": "\(projector.checkpoint)"])
                try projector.follow(shouldStop: { stop.isRequested }) { report in
                    checkpoint = report.position
                    try? printReport(report)
                }
                continue
            } catch let error as ProjectorVersionMismatch {
                throw error
            } catch let error where checkpoint == nil {
                throw error
            } catch is ProjectionBusy {
                wait = retry.waitForWriter()
            } catch {
                let (delay, failure) = retry.failed()
                failure.log(error, to: logger, outage: "projection stopped; retrying until the database is back")
                wait = delay
            }
            let until = ContinuousClock.now + wait
            while !stop.isRequested, ContinuousClock.now < until { Thread.sleep(forTimeInterval: 0.05) }
        }
        logger.info("stopped", metadata: ["position": "\(checkpoint.map(String.init) ?? "?")"])
    }

    private func makeProjector(logger: Logger, role: String) throws -> Projector {
        try Projector(
            connect: database.connect, batchSize: batchSize,
            snapshots: snapshots.policy(replayFromSnapshots: true), logger: logger, role: role)
    }

    private func printReport(_ report: CatchUpReport) throws {
        if json { return try printJSONLine(report) }
        var line =
            "projected \(report.eventsApplied) events in \(report.batches) batches through position \(report.position)"
        line += String(
            format: " in %.1f s (%.0f events/s)", report.applySeconds,
            Double(report.eventsApplied) / max(report.applySeconds, 1e-9))
        if report.eventsReplayed > 0 || report.snapshotPosition != nil {
            let origin = report.snapshotPosition.map { "the snapshot at \($0) + " } ?? ""
            line +=
                "; state restored from \(origin)\(report.eventsReplayed) events"
                + String(format: " in %.1f s", report.replaySeconds)
        }
        print(line)
        printProjectionOutcome(
            drift: report.drift, label: "", parked: report.parked, snapshotsWritten: report.snapshotsWritten)
        fflush(nil)
    }
}
