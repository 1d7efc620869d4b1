import ArgumentParser
import Foundation
import LedgerCore
import LedgerPostgres
import LedgerStripe
import Logging

/// `ledger sync events`: append the Stripe events the log is missing, oldest first, as webhooks would have.
struct SyncEventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Append the Stripe events created since the last sync (GET /v1/events), oldest first.",
        discussion: """
            Lists the events created since the sync cursor (ledger.sync_cursors), else since the \
            newest Stripe event in the log, else (an empty ledger) all that Stripe still keeps; or \
            since --since. Each event is stored verbatim through the same validation and the same \
            dedupe by evt_ id as a webhook delivery: an event already delivered by webhook is a \
            duplicate, and a webhook arriving after the sync is one. Memory is bounded: the span is \
            listed in windows of created time, each sorted oldest first and appended in order while the \
            next is listed (two windows at most).

            The cursor moves after each window is committed, so a run killed at any point (kill -9 \
            included) resumes where it stopped with nothing lost or stored twice.

            Stripe keeps events 30 days. When the span starts earlier, nothing is appended and the \
            exit status is 1: events may be lost for good; `ledger sync backfill` records the objects \
            as they are now. Pass a later --since to accept the gap.

            Exit status: 0 done, 1 failure (Stripe unreachable after retries, gap beyond retention, \
            rejected events), 2 refused (no key, a key of the other mode, another account).

            Examples:
              STRIPE_API_KEY=rk_live_… ledger sync events
              STRIPE_API_KEY=sk_test_… ledger sync events --since 2026-11-20T00:00:00Z --json
              STRIPE_API_KEY=sk_live_… ledger sync events --account acct_1Nv0FGQ9RKHgCVdK --progress
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var stripe: StripeOptions
    @Option(
        help: ArgumentHelp(
            "List events created at or after this time (ISO 8601 with a zone) instead of the cursor.",
            valueName: "time"))
    var since: Timestamp?
    @Option(help: ArgumentHelp("Most events held in memory for one window of time.", valueName: "n"))
    var windowEventsMax = Limits.syncWindowEventsDefault
    @OptionGroup var logging: LoggingOptions
    @OptionGroup var progressOptions: ProgressOptions
    @Flag(help: "Print the summary as JSON.") var json = false

    func validate() throws {
        if !Limits.syncWindowEventsRange.contains(windowEventsMax) {
            throw ValidationError(
                "--window-events-max must be \(Limits.syncWindowEventsRange.lowerBound)…\(Limits.syncWindowEventsRange.upperBound)"
            )
        }
    }

    func run() async throws {
        try await stripe.runSync(
            json: json, logger: logging.makeLogger(label: "ledger.sync"),
            prepare: { key in
                let database = SyncConnection(try self.database.connect())
                let plan = try await database.run { [since, account = stripe.account] connection in
                    try SyncEventsPlan.check(
                        key: key, account: account ?? "", since: since?.time, connection: connection)
                }
                return (database, plan)
            }
        ) { prepared, _, client in
            let progress = progressOptions.makeLine("syncing")
            defer { progress.finish() }
            let catchUp = StripeEventsCatchUp(
                plan: prepared.1, client: client, database: prepared.0, windowEventsMax: windowEventsMax,
                onProgress: { done in
                    progress.update(
                        done.coveredHours, of: done.spanHours, unit: "hours",
                        detail: "; \(ProgressLine.grouped(Int64(done.listed))) events listed, "
                            + "\(ProgressLine.grouped(Int64(done.appended))) appended")
                })
            return try await catchUp.run()
        }
    }
}

/// `--sync-every`: a whole number of seconds, minutes, hours or days (`30s`, `15m`, `1h`, `1d`).
struct SyncInterval: ExpressibleByArgument, Sendable {
    var duration: Duration

    init?(argument: String) {
        guard let unit = argument.last, let count = Int64(argument.dropLast()), count > 0 else { return nil }
        let unitSeconds: Int64
        switch unit {
        case "s": unitSeconds = 1
        case "m": unitSeconds = 60
        case "h": unitSeconds = 3_600
        case "d": unitSeconds = 86_400
        default: return nil
        }
        let (seconds, overflow) = count.multipliedReportingOverflow(by: unitSeconds)
        guard !overflow, Limits.syncEverySecondsRange.contains(seconds) else { return nil }
        duration = .seconds(seconds)
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

extension SyncEventsReport: SyncCommandReport {
    var failed: Bool { rejected > 0 }
}
