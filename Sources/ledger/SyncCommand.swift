import ArgumentParser
import Foundation
import LedgerCore
import LedgerStripe
import Logging

/// `ledger sync`: read Stripe's API to recover what the webhooks did not deliver (issue 14).
struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Catch up with Stripe through its API (events missed by the webhook endpoint).",
        discussion: """
            The key is read from STRIPE_API_KEY only (a restricted, read-only key is enough); it is \
            never a flag, never logged and never quoted in an error. A test-mode key (sk_test_, \
            rk_test_) is refused for a live ledger and a live key for a test ledger (ledger mode).

            `ledger sync events` recovers missed events (30 days); `ledger sync backfill` loads every \
            existing object as an observation (an account's whole history); `ledger sync reconcile` \
            compares the tables with Stripe's objects and, with --repair, records the difference. \
            docs/0013-stripe-sync.md and docs/0016-observations.md say how.

            Examples:
              STRIPE_API_KEY=rk_live_… ledger sync events
              STRIPE_API_KEY=sk_test_… ledger sync events --since 2026-11-20T00:00:00Z --json
              STRIPE_API_KEY=rk_live_… ledger sync backfill && ledger project
              STRIPE_API_KEY=rk_live_… ledger sync reconcile --customer cus_NffrFeUfNV2Hib
            """,
        subcommands: [SyncEventsCommand.self, SyncBackfillCommand.self, SyncReconcileCommand.self])
}

/// What the Stripe-facing flags of every `ledger sync` command share.
struct StripeOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Stripe's API base URL (tests point it at a local server).", valueName: "url"))
    var apiBase = StripeClientConfiguration.defaultAPIBase

    @Option(help: ArgumentHelp("Act on this connected account (Stripe-Account header).", valueName: "acct_…"))
    var account: String?

    @Option(
        help: ArgumentHelp(
            "Most requests a second (default: 80 with a live key, 20 with a test key; Stripe allows 100 and 25).",
            valueName: "n"))
    var requestsPerSecond: Double?

    @Option(help: ArgumentHelp("Longest one request may take, in seconds.", valueName: "seconds"))
    var requestTimeoutSeconds: Double = 30

    @Option(help: ArgumentHelp("Most attempts of one request (429, 5xx, timeouts are retried).", valueName: "n"))
    var attempts = Limits.stripeRequestAttemptsDefault

    func validate() throws {
        guard let url = URL(string: apiBase), let scheme = url.scheme, ["http", "https"].contains(scheme),
            url.host != nil
        else { throw ValidationError("--api-base must be an http(s) URL, got \(apiBase)") }
        if let account, !Self.isAccountID(account) {
            throw ValidationError("--account must be a connected account id (acct_ followed by letters and digits)")
        }
        if let requestsPerSecond, !(requestsPerSecond > 0 && requestsPerSecond <= 1000) {
            throw ValidationError("--requests-per-second must be in (0, 1000]")
        }
        if !(requestTimeoutSeconds > 0 && requestTimeoutSeconds <= 600) {
            throw ValidationError("--request-timeout-seconds must be in (0, 600]")
        }
        if !(1...Limits.stripeRequestAttemptsMax).contains(attempts) {
            throw ValidationError("--attempts must be 1…\(Limits.stripeRequestAttemptsMax)")
        }
    }

    static func isAccountID(_ text: String) -> Bool {
        let rest = text.utf8.dropFirst(5)
        return text.hasPrefix("acct_") && (1...64).contains(rest.count)
            && rest.allSatisfy {
                (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0)
            }
    }

    /// The key from the environment; refused (exit 2) when absent or not a Stripe key.
    func key() throws -> StripeAPIKey {
        guard let text = ProcessInfo.processInfo.environment[StripeAPIKey.environmentVariable] else {
            throw SyncRefused(
                "\(StripeAPIKey.environmentVariable) is not set: export a Stripe secret or restricted key "
                    + "(a read-only restricted key is enough)")
        }
        do {
            return try StripeAPIKey(text)
        } catch {
            throw SyncRefused(error.description)
        }
    }

    func configuration(for key: StripeAPIKey) -> StripeClientConfiguration {
        StripeClientConfiguration(
            apiBase: apiBase, account: account,
            requestsPerSecond: requestsPerSecond ?? StripeClientConfiguration.defaultRequestsPerSecond(for: key.mode),
            requestTimeout: .milliseconds(Int64(requestTimeoutSeconds * 1000)),
            retry: StripeRetryPolicy(attemptsMax: attempts))
    }
}

/// What a `ledger sync` command prints when it ends.
protocol SyncCommandReport: Encodable {
    /// The report as the terminal shows it (`--json` encodes the value instead).
    var text: String { get }
    /// Whether the command exits 1: objects rejected, differences left.
    var failed: Bool { get }
}

extension StripeOptions {
    /// The frame every `ledger sync` command shares: the key from the environment, `prepare` (the database's
    /// checks, before any request), `body` with a client that is shut down whatever it did, then the report as
    /// text or JSON. Exit 2 when refused (``SyncRefused``), 1 when the report says it failed.
    func runSync<Prepared, Report: SyncCommandReport>(
        json: Bool, logger: Logger, prepare: (StripeAPIKey) async throws -> Prepared,
        _ body: (Prepared, StripeAPIKey, StripeClient) async throws -> Report
    ) async throws {
        do {
            let key = try key()
            let prepared = try await prepare(key)
            let client = StripeClient(key: key, configuration: configuration(for: key), logger: logger)
            let outcome: Result<Report, any Error>
            do {
                outcome = .success(try await body(prepared, key, client))
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
            if report.failed { throw ExitCode(ExitStatus.failure) }
        } catch let refused as SyncRefused {
            FileHandle.standardError.write(Data("error: \(refused.description)\n".utf8))
            throw ExitCode(ExitStatus.usage)
        }
    }
}
