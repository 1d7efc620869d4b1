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
            Reads the log after the projection's checkpoint in batches; each batch's rows
            (subscriptions, payment_transactions, and the MRR movements and daily rows
            they imply, docs/0006-mrr.md), parked events and the new checkpoint commit in
            one transaction, so a crash or a stop loses at most the batch in flight and a
            rerun continues from there.
            The reducer state up to the checkpoint is first restored from the newest valid
            snapshot plus the log after it (without writing rows); --snapshot-every N
            writes a new snapshot whenever the state moves N events past the newest one. Subscriptions parked for a missing license are retried on
            every run.

            With --follow, keeps running: wakes on each append (LISTEN/NOTIFY) and
            applies the new events, until SIGINT or SIGTERM, then exits 0 after the
            batch in flight has committed. An event that cannot become a row is parked
            and never stops it; any other failure (a lost connection) is logged with the
            position and event it stopped at and retried with backoff.

            Only one projector writes at a time; a second `project` or `rebuild` exits
            with status 3. A checkpoint of another projector version needs
            `ledger rebuild --from-scratch` first.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var snapshots: SnapshotOptions
    @OptionGroup var logging: LoggingOptions
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
        let progress = ProgressLine()
        // A busy projection (ProjectionBusy) exits with status 3 through ExitStatus.
        let projector = try makeProjector(logger: logger)
        let report = try projector.catchUp(
            progress: { position in progress.update("projecting… position \(position)") },
            shouldStop: { stop.isRequested })
        progress.finish()
        try printReport(report)
        guard follow else { return }
        try followRetrying(projector, logger: logger, stop: stop)
    }

    /// Follows the log until SIGINT/SIGTERM. A failure that is not the data's (the data's never stops a
    /// batch) is logged with where it stopped and retried with a fresh projector and connection, waiting
    /// longer each time up to ``Limits/projectorRetrySecondsMax``; a busy projection or a checkpoint of another
    /// version still ends the command, since retrying cannot cure them.
    private func followRetrying(_ first: Projector, logger: Logger, stop: StopSignal) throws {
        var projector: Projector? = first
        var delay = 0.25
        while !stop.isRequested {
            do {
                let current = try projector ?? makeProjector(logger: logger)
                projector = current
                logger.info("following the log", metadata: ["position": "\(current.checkpoint)"])
                delay = 0.25
                try current.follow(shouldStop: { stop.isRequested }) { report in try? printReport(report) }
            } catch let error as ProjectionBusy {
                throw error
            } catch let error as ProjectorVersionMismatch {
                throw error
            } catch {
                logger.warning(
                    "projection stopped; retrying", metadata: ["error": "\(error)", "retry_in_s": "\(delay)"])
                projector = nil
                let until = ContinuousClock.now + .milliseconds(Int(delay * 1000))
                while !stop.isRequested, ContinuousClock.now < until { Thread.sleep(forTimeInterval: 0.05) }
                delay = min(delay * 2, Double(Limits.projectorRetrySecondsMax))
            }
        }
        logger.info("stopped", metadata: ["position": "\(projector?.checkpoint.description ?? "?")"])
    }

    private func makeProjector(logger: Logger) throws -> Projector {
        try Projector(
            connect: database.connect, batchSize: batchSize,
            snapshots: snapshots.policy(replayFromSnapshots: true), logger: logger)
    }

    private func printReport(_ report: CatchUpReport) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            fflush(nil)
            return
        }
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
