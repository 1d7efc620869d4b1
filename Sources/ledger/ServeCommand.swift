import ArgumentParser
import Foundation
import LedgerCore
import LedgerPostgres
import LedgerServer
import LedgerStripe
import Logging
import Metrics

/// `ledger serve`: the HTTP service — Stripe webhooks in, the read API, health and metrics out.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Receive Stripe webhooks, serve the read API and keep the projection current.",
        discussion: """
            POST /webhooks/stripe verifies Stripe-Signature with the secrets in \
            STRIPE_WEBHOOK_SECRETS (comma-separated) or --webhook-secrets-file (one \
            per line; several at once for rotation) and answers 200 only once the \
            event is committed to the log (a redelivery: 200 with its original \
            position); 400 for a bad signature, a stale or future timestamp or an \
            invalid event (a signed invalid body is kept in ledger.rejected_inputs); \
            413 over --body-limit; 503 when the database is unreachable, so Stripe \
            retries. Without a secret every delivery is answered 503.

            The read API under /v1 (events, subscriptions, history, state, status) \
            needs Authorization: Bearer <token>, with tokens from LEDGER_API_TOKENS \
            (comma-separated) or --api-tokens-file; with none it is off (404). \
            Secrets and tokens are never taken from flags, which the process list \
            shows.

            With --read-database-url (or LEDGER_READ_DATABASE_URL) the read API and \
            the console read from that streaming replica; webhooks, the projector and \
            /readyz stay on the primary. Answers then carry the replica's lag \
            (Ledger-Replica-Position, Ledger-Primary-Position, Ledger-Replica-Lag-Events, \
            -Lag-Bytes, -Replay-Seconds headers), and a request with \
            Ledger-Min-Position: N waits up to --replica-wait-seconds for position N \
            (else 503 replica_behind). See docs/scale.md.

            Also, without authentication: /healthz (the process is up), /readyz (the \
            database answers and every migration is applied; a database failure is \
            only "database unavailable", the detail goes to the log), /openapi.yaml. \
            /metrics (Prometheus) shows business volumes (events appended, webhooks, \
            lag): it is open to whoever reaches its listener unless LEDGER_METRICS_TOKENS \
            (comma-separated) or --metrics-tokens-file asks for a bearer token, and \
            --metrics-address HOST:PORT moves it to a listener of its own (e.g. \
            127.0.0.1:9090); open metrics on a non-loopback address are warned about \
            at start. Passwords in the database URL are never logged or answered. A \
            catch-up projector follows the log in the same process (--no-projector \
            leaves that to `ledger project --follow`); it restores its state from the \
            newest valid snapshot in --snapshot-dir, as `ledger project` does. SIGTERM or SIGINT: stop \
            accepting, finish the requests in flight, stop the projector, commit \
            what is queued, exit 0. Logs go to standard error, at info level unless \
            --log-level or LEDGER_LOG_LEVEL says otherwise.

            --sync-every DURATION (off by default; e.g. 15m, 1h) also runs the \
            catch-up of `ledger sync events` in the server, as a safety net for \
            webhooks it missed: at start, then DURATION after each run ends (never \
            two at once), with the key from STRIPE_API_KEY and --api-base, \
            --account as `ledger sync events` takes them. A failing run is logged \
            and retried at the next tick; the server keeps serving. /metrics shows \
            ledger_stripe_sync_last_run_timestamp_seconds, \
            ledger_stripe_sync_last_run_succeeded, ledger_stripe_sync_runs_total, \
            ledger_stripe_sync_events_recovered_total and \
            ledger_stripe_sync_errors_total.

            Examples:
              STRIPE_WEBHOOK_SECRETS=whsec_… LEDGER_API_TOKENS=… ledger serve
              ledger serve --host 0.0.0.0 --port 8080 --log-format json
              ledger serve --no-projector --snapshot-dir /var/lib/ledger/snapshots
              STRIPE_API_KEY=rk_live_… ledger serve --sync-every 15m
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var replica: ReadReplicaOptions
    @OptionGroup var logging: LoggingOptions
    @OptionGroup var snapshots: SnapshotOptions
    @Option(help: "Address to listen on (0.0.0.0 for every interface).") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed on start).") var port = 8080
    @Option(
        help: ArgumentHelp(
            "Also run `ledger sync events` in the server every DURATION (e.g. 15m, 1h; off by default).",
            valueName: "duration"))
    var syncEvery: SyncInterval?
    @OptionGroup(title: "Stripe catch-up (with --sync-every)") var stripe: StripeOptions
    @Option(
        help: ArgumentHelp(
            "File of Stripe webhook signing secrets, one per line (default: STRIPE_WEBHOOK_SECRETS).",
            valueName: "file"))
    var webhookSecretsFile: String?
    @Option(
        help: ArgumentHelp(
            "File of read API bearer tokens, one per line (default: LEDGER_API_TOKENS).", valueName: "file"))
    var apiTokensFile: String?
    @Option(
        help: ArgumentHelp(
            "File of bearer tokens /metrics asks for, one per line (default: LEDGER_METRICS_TOKENS; none: open).",
            valueName: "file"))
    var metricsTokensFile: String?
    @Option(
        help: ArgumentHelp(
            "Serve /metrics on this address only, e.g. 127.0.0.1:9090 (default: beside the rest).",
            valueName: "host:port"))
    var metricsAddress: String?
    @Option(help: ArgumentHelp("Largest webhook body accepted, in bytes (larger: 413).", valueName: "bytes"))
    var bodyLimit = Limits.webhookBodyBytesDefault
    @Option(
        help: ArgumentHelp(
            "Most seconds a signature's timestamp may be from now, either way (Stripe's default: 300).",
            valueName: "seconds"))
    var signatureTolerance = StripeSignature.toleranceSecondsDefault
    @Option(
        help: ArgumentHelp(
            "Most seconds a client may take to send a request body (slower: 408, connection closed).",
            valueName: "seconds"))
    var bodyReadTimeout = Limits.requestBodyReadSecondsDefault
    @Option(
        help: ArgumentHelp(
            "Most webhook bodies read at once, before their signature can be checked (more: 503, Retry-After).",
            valueName: "count"))
    var webhookBodyReads = Limits.webhookBodyReadsInFlightMax
    @Option(
        help: ArgumentHelp(
            "Seconds the projector may keep failing with events waiting before /readyz answers 503 (1…3600).",
            valueName: "seconds"))
    var projectorStallSeconds = Limits.projectorStallSecondsDefault
    @Option(help: "Database connections (each a thread) for the read API, /readyz and /metrics.")
    var databaseConnections = Limits.databasePoolConnectionsDefault
    @Flag(
        help: ArgumentHelp(
            "Do not run the catch-up projector in this process.",
            discussion: """
                Run `ledger project --follow` beside it instead. `ledger rebuild` asks a running \
                projector to pause; use this when one cannot (an older server).
                """))
    var noProjector = false
    @Flag(
        help: ArgumentHelp(
            "Append each webhook in a transaction of its own instead of group commit (for benchmarks)."))
    var noGroupCommit = false
    @Option(
        help: ArgumentHelp(
            "Directory of migrations /readyz checks against (default: those built into ledger).", valueName: "dir"))
    var migrations: String?
    @Option(
        help: ArgumentHelp(
            "The OpenAPI document served at /openapi.yaml (default: the one built into ledger).", valueName: "file"))
    var openapi: String?

    func validate() throws {
        let problems = try makeConfiguration().problems()
        if let first = problems.first { throw ValidationError(first) }
    }

    func run() async throws {
        var logger = logging.makeLogger(label: "ledger.serve", defaultLevel: .info)
        logger[metadataKey: "pid"] = "\(getpid())"
        let configuration = try makeConfiguration()
        if configuration.webhookSecrets.isEmpty {
            logger.warning("no webhook signing secret configured: every delivery is answered 503")
        }
        if configuration.apiTokens.isEmpty { logger.notice("no API token configured: the read API is off") }
        if configuration.metricsArePublic {
            logger.warning(
                """
                /metrics is open to anyone who reaches this address: set LEDGER_METRICS_TOKENS or \
                --metrics-tokens-file, or serve it on --metrics-address 127.0.0.1:PORT
                """)
        }
        let server = LedgerHTTPServer(configuration: configuration, logger: logger)
        // Hummingbird's per-route request metrics go to the same registry as the ledger's own.
        MetricsSystem.bootstrap(server.metrics.factory)
        try await server.run { port in
            print("ledger serve: listening on http://\(configuration.host):\(port)")
            fflush(nil)
        }
    }

    private func makeConfiguration() throws -> ServerConfiguration {
        let environment = ProcessInfo.processInfo.environment
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.databaseURL = database.resolvedURL
        configuration.readDatabaseURL = replica.resolvedReadURL
        configuration.replicaWaitSeconds = replica.replicaWaitSeconds
        if let metricsAddress {
            guard let address = ListenAddress(parsing: metricsAddress) else {
                throw ValidationError(
                    "--metrics-address must be HOST:PORT, e.g. 127.0.0.1:9090 (got \(metricsAddress))")
            }
            configuration.metricsAddress = address
        }
        configuration.webhookBodyBytesMax = bodyLimit
        configuration.signatureToleranceSeconds = signatureTolerance
        configuration.requestBodyReadSeconds = bodyReadTimeout
        configuration.webhookBodyReadsInFlight = webhookBodyReads
        configuration.databaseConnections = databaseConnections
        configuration.projector = !noProjector
        configuration.projectorStallSeconds = projectorStallSeconds
        configuration.snapshots = snapshots.policy(replayFromSnapshots: true)
        configuration.groupCommit = !noGroupCommit
        if let syncEvery {
            do {
                let key = try stripe.key()
                configuration.stripeSync = StripeSyncSchedule(
                    every: syncEvery.duration, key: key, client: stripe.configuration(for: key))
            } catch let refused as SyncRefused {
                throw ValidationError("--sync-every: \(refused.description)")
            }
        }
        do {
            configuration.webhookSecrets = try credentials(
                file: webhookSecretsFile, variable: "STRIPE_WEBHOOK_SECRETS", environment)
            configuration.apiTokens = try credentials(file: apiTokensFile, variable: "LEDGER_API_TOKENS", environment)
            configuration.metricsTokens = try credentials(
                file: metricsTokensFile, variable: "LEDGER_METRICS_TOKENS", environment)
        } catch {
            throw ValidationError(error.description)
        }
        do {
            configuration.migrations = try MigrationSource.locate(explicit: migrations, environment: environment)
            configuration.openAPIDocument = try OpenAPIDocument.load(explicit: openapi, environment: environment)
        } catch {
            throw ValidationError("\(error)")
        }
        return configuration
    }

    private func credentials(file: String?, variable: String, _ environment: [String: String]) throws(Credentials
        .Invalid)
        -> [String]
    {
        if let file { return try Credentials.read(file: file) }
        return try Credentials.parse(commaSeparated: environment[variable] ?? "", origin: variable)
    }
}
