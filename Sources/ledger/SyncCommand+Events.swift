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
            listed in windows of created time, each sorted oldest first and appended before the next.

            The cursor moves after each window is committed, so a run killed at any point (kill -9 \
            included) resumes where it stopped with nothing lost or stored twice.

            Stripe keeps events 30 days. When the span starts earlier, nothing is appended and the \
            exit status is 1: events may be lost for good, and `ledger sync backfill` (coming) will \
            load the objects themselves. Pass a later --since to accept the gap.

            Exit status: 0 done, 1 failure (Stripe unreachable after retries, gap beyond retention, \
            rejected events), 2 refused (no key, a key of the other mode, another account).

            Examples:
              STRIPE_API_KEY=rk_live_… ledger sync events
              STRIPE_API_KEY=sk_test_… ledger sync events --since 2026-11-20T00:00:00Z --json
              STRIPE_API_KEY=sk_live_… ledger sync events --account acct_1Nv0FGQ9RKHgCVdK --progress
            """)

    /// The cursor's row name in `ledger.sync_cursors`.
    static let cursorName = "events"

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
        let logger = logging.makeLogger(label: "ledger.sync")
        do {
            let key = try stripe.key()
            let connection = try database.connect()
            let plan = try SyncEventsPlan.check(
                key: key, account: stripe.account ?? "", since: since?.time, connection: connection)
            let client = StripeClient(key: key, configuration: stripe.configuration(for: key), logger: logger)
            let outcome: Result<SyncEventsReport, any Error>
            do {
                let sync = SyncEventsRun(
                    plan: plan, client: client, connection: connection, windowEventsMax: windowEventsMax,
                    progress: progressOptions.makeLine("syncing"))
                outcome = .success(try await sync.run())
            } catch {
                outcome = .failure(error)
            }
            try await client.shutdown()
            let report = try outcome.get()
            if json {
                try printJSON(report)
            } else {
                print(report.text)
            }
            if report.rejected > 0 { throw ExitCode(ExitStatus.failure) }
        } catch let refused as SyncRefused {
            FileHandle.standardError.write(Data("error: \(refused.description)\n".utf8))
            throw ExitCode(ExitStatus.usage)
        }
    }
}

/// What a sync checked before its first request to Stripe: the key's mode against the ledger's, the
/// account against the cursor's, and where the span starts.
struct SyncEventsPlan {
    var mode: LedgerMode
    var account: String
    var cursor: SyncCursorStore.Cursor?
    /// `--since`, in Unix seconds.
    var since: Int64?
    /// `created` of the last Stripe event appended, when the log holds one.
    var newestHeld: Int64?

    static func check(key: StripeAPIKey, account: String, since: EventTime?, connection: PostgresConnection) throws
        -> SyncEventsPlan
    {
        if let fixed = try EventStore(connection: connection).fixedMode(), fixed.mode != key.mode {
            throw SyncRefused(
                "STRIPE_API_KEY is \(key), but this ledger is in \(fixed.mode) mode (fixed at position "
                    + "\(fixed.position)); use a \(fixed.mode) key, or a ledger of its own for \(key.mode) mode")
        }
        let cursors = SyncCursorStore(connection: connection)
        let cursor = try cursors.cursor(named: SyncEventsCommand.cursorName)
        if let cursor, cursor.account != account {
            func name(_ account: String) -> String { account.isEmpty ? "the platform account" : account }
            throw SyncRefused(
                "this ledger syncs \(name(cursor.account)), not \(name(account)): one ledger holds one Stripe "
                    + "account's events, so ids of different accounts never meet in its streams "
                    + "(\(cursor.account.isEmpty ? "drop --account" : "pass --account \(cursor.account)"), or use "
                    + "another ledger)")
        }
        if let cursor, cursor.mode != key.mode {
            throw SyncRefused(
                "STRIPE_API_KEY is \(key), but this ledger's sync cursor was made with a \(cursor.mode) key")
        }
        return SyncEventsPlan(
            mode: key.mode, account: account, cursor: cursor,
            since: since.map { $0.microsecondsSinceEpoch / 1_000_000 },
            newestHeld: try cursors.newestStripeEventCreated())
    }

    /// The first second to list, and where that choice came from; nil start: an empty ledger, all Stripe keeps.
    var start: (second: Int64?, reason: String) {
        if let since { return (since, "--since") }
        if let cursor { return (cursor.createdThrough, "the sync cursor") }
        if let newestHeld { return (newestHeld, "the newest Stripe event in the log") }
        return (nil, "an empty ledger: every event Stripe keeps")
    }
}

/// The span reaches further back than Stripe keeps events: they may be lost, so nothing is appended.
struct SyncGapBeyondRetention: Error, CustomStringConvertible {
    var start: Int64
    var reason: String
    var stripeNow: Int64

    var description: String {
        let days = (stripeNow - start) / 86_400
        return "the events to recover start at \(EventTime(secondsSinceEpoch: start)) (\(reason)), \(days) days "
            + "before Stripe's clock (\(EventTime(secondsSinceEpoch: stripeNow))), but Stripe lists events for 30 days "
            + "only: events in between may be lost for good. `ledger sync backfill` (coming) will load the objects "
            + "themselves; to accept the gap, pass --since with a time within the last 30 days"
    }
}

/// The summary `ledger sync events` prints (`--json`: these keys).
struct SyncEventsReport: Encodable {
    var listed = 0
    var appended = 0
    var duplicates = 0
    /// Duplicates whose bytes differ from the stored event: kept in ledger.rejected_inputs.
    var conflictingDuplicates = 0
    var rejected = 0
    var windows = 0
    var from = ""
    var through = ""
    var startedFrom = ""
    var account: String?
    var mode = ""
    var headPosition: Int64 = 0
    var seconds = 0.0

    var text: String {
        var line =
            "listed \(listed) events from \(from) through \(through) (\(startedFrom)): appended \(appended), "
            + "duplicate \(duplicates), rejected \(rejected)"
        if conflictingDuplicates > 0 {
            line += " (\(conflictingDuplicates) duplicates with other bytes kept in ledger.rejected_inputs)"
        }
        line += String(
            format: "; head at position %lld, %.1f s, %.0f events/s", headPosition, seconds,
            Double(listed) / max(seconds, 1e-9))
        return line
    }
}
