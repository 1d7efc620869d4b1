import Foundation
import LedgerCore
import LedgerPostgres

/// What a sync checked before its first request to Stripe: the key's mode against the ledger's, the
/// account against the cursor's, and where the span starts.
public struct SyncEventsPlan: Sendable {
    public var mode: LedgerMode
    public var account: String
    public var cursor: SyncCursorStore.Cursor?
    /// `--since`, in Unix seconds.
    public var since: Int64?
    /// `created` of the last Stripe event appended, when the log holds one.
    public var newestHeld: Int64?

    /// Checks `key` and `account` against the ledger and its cursor; throws ``SyncRefused`` when the sync
    /// must not run as asked.
    public static func check(key: StripeAPIKey, account: String, since: EventTime?, connection: PostgresConnection)
        throws -> SyncEventsPlan
    {
        if let fixed = try EventStore(connection: connection).fixedMode(), fixed.mode != key.mode {
            throw SyncRefused(
                "STRIPE_API_KEY is \(key), but this ledger is in \(fixed.mode) mode (fixed at position "
                    + "\(fixed.position)); use a \(fixed.mode) key, or a ledger of its own for \(key.mode) mode")
        }
        let cursors = SyncCursorStore(connection: connection)
        let cursor = try cursors.cursor(named: StripeEventsCatchUp.cursorName)
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
    public var start: (second: Int64?, reason: String) {
        if let since { return (since, "--since") }
        if let cursor { return (cursor.createdThrough, "the sync cursor") }
        if let newestHeld { return (newestHeld, "the newest Stripe event in the log") }
        return (nil, "an empty ledger: every event Stripe keeps")
    }
}

/// A sync that must not run as asked (key missing or of the other mode, another account): exit 2.
public struct SyncRefused: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The span reaches further back than Stripe keeps events: they may be lost, so nothing is appended.
public struct SyncGapBeyondRetention: Error, CustomStringConvertible, Sendable {
    public var start: Int64
    public var reason: String
    public var stripeNow: Int64

    public var description: String {
        let days = (stripeNow - start) / 86_400
        return "the events to recover start at \(EventTime(secondsSinceEpoch: start)) (\(reason)), \(days) days "
            + "before Stripe's clock (\(EventTime(secondsSinceEpoch: stripeNow))), but Stripe lists events for 30 days "
            + "only: events in between may be lost for good. Run `ledger sync backfill` to record the objects as "
            + "they are now, then pass --since with a time within the last 30 days to accept the gap"
    }
}

/// The summary of one catch-up (`ledger sync events --json`: these keys).
public struct SyncEventsReport: Encodable, Sendable {
    public var listed = 0
    public var appended = 0
    public var duplicates = 0
    /// Duplicates whose content differs from the stored event: kept in ledger.rejected_inputs.
    public var conflictingDuplicates = 0
    public var rejected = 0
    public var windows = 0
    public var from = ""
    public var through = ""
    public var startedFrom = ""
    public var account: String?
    public var mode = ""
    public var headPosition: Int64 = 0
    public var seconds = 0.0

    public init() {}

    public var text: String {
        var line =
            "listed \(listed) events from \(from) through \(through) (\(startedFrom)): appended \(appended), "
            + "duplicate \(duplicates), rejected \(rejected)"
        if conflictingDuplicates > 0 {
            line += " (\(conflictingDuplicates) duplicates with other content kept in ledger.rejected_inputs)"
        }
        line += String(
            format: "; head at position %lld, %.1f s, %.0f events/s", headPosition, seconds,
            Double(listed) / max(seconds, 1e-9))
        return line
    }

    /// Adds one window's counts.
    mutating func add(_ counts: SyncWindowCounts) {
        listed += counts.listed
        appended += counts.appended
        duplicates += counts.duplicates
        conflictingDuplicates += counts.conflictingDuplicates
        rejected += counts.rejected
        windows += 1
    }
}
