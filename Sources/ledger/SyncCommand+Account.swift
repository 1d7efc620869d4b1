import Foundation
import LedgerCore
import LedgerPostgres
import LedgerStripe

/// The checks every `ledger sync` command makes before its first request to Stripe: the key's mode against
/// the ledger's, and the account against every sync made so far (events and backfill alike).
enum SyncAccountCheck {
    /// Throws ``SyncRefused`` (exit 2) when the key or the account may not sync into this ledger.
    static func check(key: StripeAPIKey, account: String, connection: PostgresConnection) throws {
        if let fixed = try EventStore(connection: connection).fixedMode(), fixed.mode != key.mode {
            throw SyncRefused(
                "STRIPE_API_KEY is \(key), but this ledger is in \(fixed.mode) mode (fixed at position "
                    + "\(fixed.position)); use a \(fixed.mode) key, or a ledger of its own for \(key.mode) mode")
        }
        for synced in try BackfillCursorStore(connection: connection).accounts() {
            if synced.account != account {
                func name(_ account: String) -> String { account.isEmpty ? "the platform account" : account }
                throw SyncRefused(
                    "this ledger syncs \(name(synced.account)), not \(name(account)): one ledger holds one Stripe "
                        + "account's events, so ids of different accounts never meet in its streams "
                        + "(\(synced.account.isEmpty ? "drop --account" : "pass --account \(synced.account)"), or "
                        + "use another ledger)")
            }
            if synced.mode != key.mode {
                throw SyncRefused(
                    "STRIPE_API_KEY is \(key), but this ledger's syncs were made with a \(synced.mode) key")
            }
        }
    }
}
