import CoreMetrics
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerStripe
import Logging
import ServiceLifecycle

/// `ledger serve --sync-every`: what the server's Stripe catch-up is told.
public struct StripeSyncSchedule: Sendable {
    /// The pause between the end of one run and the start of the next (the first runs at start).
    public var every: Duration
    /// From `STRIPE_API_KEY` only, never a flag.
    public var key: StripeAPIKey
    public var client: StripeClientConfiguration
    public var windowEventsMax = Limits.syncWindowEventsDefault

    public init(every: Duration, key: StripeAPIKey, client: StripeClientConfiguration) {
        self.every = every
        self.key = key
        self.client = client
    }
}

/// The same catch-up as `ledger sync events` (``StripeEventsCatchUp``), run by the server as a safety net
/// for webhooks it missed: once at start, then `every` after each run ends, so two runs never overlap.
///
/// It never stops the server: a failing run (Stripe unreachable after its retries, a refused key, a gap
/// beyond Stripe's 30 days, the database away) is logged and counted, and the next tick tries again.
/// Its database work runs on a one-connection pool of its own, never on Swift's cooperative threads
/// and never in the way of webhook appends. On graceful shutdown a run in progress is cancelled between
/// requests; what it committed stays, and the cursor says where the next run starts.
final class StripeSyncService: Service, Sendable {
    private let schedule: StripeSyncSchedule
    private let connect: @Sendable () throws -> PostgresConnection
    private let metrics: StripeSyncMetrics
    private let logger: Logger

    init(
        schedule: StripeSyncSchedule, connect: @escaping @Sendable () throws -> PostgresConnection,
        metrics: StripeSyncMetrics, logger: Logger
    ) {
        self.schedule = schedule
        self.connect = connect
        self.metrics = metrics
        self.logger = logger
    }

    func run() async throws {
        let pool = DatabasePool(size: 1, readOnly: false, connect: connect, logger: logger)
        let client = StripeClient(key: schedule.key, configuration: schedule.client, logger: logger)
        logger.info(
            "Stripe events catch-up every \(schedule.every)",
            metadata: ["api_base": "\(schedule.client.apiBase)", "key": "\(schedule.key)"])
        try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                await runOnce(client: client, pool: pool)
                try await Task.sleep(for: schedule.every)
            }
        }
        try? await client.shutdown()
        // The pool's thread is joined off the cooperative pool: libpq may still be closing.
        await withCheckedContinuation { continuation in
            _ = WorkerThread(name: "ledger.sync-close") {
                pool.shutdown()
                continuation.resume()
            }
        }
    }

    /// One catch-up; never throws (a failure is logged and counted).
    private func runOnce(client: StripeClient, pool: DatabasePool) async {
        let schedule = schedule
        do {
            let plan = try await pool.run { connection in
                try SyncEventsPlan.check(
                    key: schedule.key, account: schedule.client.account ?? "", since: nil, connection: connection)
            }
            let report = try await StripeEventsCatchUp(
                plan: plan, client: client, database: pool, windowEventsMax: schedule.windowEventsMax
            ).run()
            metrics.recordRun(report, at: Date())
            let metadata: Logger.Metadata = [
                "listed": "\(report.listed)", "appended": "\(report.appended)", "rejected": "\(report.rejected)",
                "through": "\(report.through)",
            ]
            if report.rejected > 0 {
                logger.warning(
                    "Stripe events catch-up kept invalid events in ledger.rejected_inputs", metadata: metadata)
            } else if report.appended > 0 {
                logger.notice("Stripe events catch-up recovered events the webhooks missed", metadata: metadata)
            } else {
                logger.debug("Stripe events catch-up found nothing missing", metadata: metadata)
            }
        } catch  where Task.isCancelled {
            return
        } catch {
            metrics.recordFailure(at: Date())
            logger.error(
                "Stripe events catch-up failed; retrying at the next tick",
                metadata: ["error": "\(error)", "next_in": "\(schedule.every)"])
        }
    }
}

extension DatabasePool: SyncDatabase {
    /// A sync's step on the pool's thread; not repeated on a lost connection (the next run resumes from the cursor).
    public func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withConnection(retryOnLostConnection: false, body)
    }
}

/// The catch-up's series at `/metrics`, in the server's registry.
struct StripeSyncMetrics: Sendable {
    /// Unix time of the last run's end, successful or not.
    let lastRunTimestamp: CoreMetrics.Gauge
    /// 1 when the last run succeeded, 0 when it failed.
    let lastRunSucceeded: CoreMetrics.Gauge
    let runs: CoreMetrics.Counter
    /// Events appended by the catch-up: what the webhooks had not delivered.
    let eventsRecovered: CoreMetrics.Counter
    /// Runs that failed.
    let errors: CoreMetrics.Counter

    init(factory: any MetricsFactory) {
        lastRunTimestamp = CoreMetrics.Gauge(label: "ledger_stripe_sync_last_run_timestamp_seconds", factory: factory)
        lastRunSucceeded = CoreMetrics.Gauge(label: "ledger_stripe_sync_last_run_succeeded", factory: factory)
        runs = CoreMetrics.Counter(label: "ledger_stripe_sync_runs_total", factory: factory)
        eventsRecovered = CoreMetrics.Counter(label: "ledger_stripe_sync_events_recovered_total", factory: factory)
        errors = CoreMetrics.Counter(label: "ledger_stripe_sync_errors_total", factory: factory)
    }

    func recordRun(_ report: SyncEventsReport, at end: Date) {
        runs.increment()
        eventsRecovered.increment(by: report.appended)
        lastRunSucceeded.record(1)
        lastRunTimestamp.record(end.timeIntervalSince1970)
    }

    func recordFailure(at end: Date) {
        runs.increment()
        errors.increment()
        lastRunSucceeded.record(0)
        lastRunTimestamp.record(end.timeIntervalSince1970)
    }
}
