import Foundation
import Hummingbird
import LedgerCore
import LedgerEngine
import LedgerPostgres
import Logging
import ServiceLifecycle
import UnixSignals

/// `ledger serve`: the webhook receiver, the read API, the operations endpoints and the live
/// projector, in one process, as one service group.
///
/// Shutdown order (graceful: SIGTERM or SIGINT): the HTTP server stops accepting and finishes the
/// requests in flight (each webhook is answered only after its commit), then the projector stops
/// at a batch boundary, then the appender commits what is queued and the pools close. The services
/// are listed in the reverse of that order because a service group shuts down from the last one.
public final class LedgerHTTPServer: Sendable {
    public let configuration: ServerConfiguration
    public let metrics: ServerMetrics
    private let logger: Logger

    public init(configuration: ServerConfiguration, metrics: ServerMetrics = ServerMetrics(), logger: Logger) {
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    /// Runs until a graceful-shutdown signal (or cancellation); returns once everything has stopped.
    ///
    /// - Parameters:
    ///   - gracefulShutdownSignals: signals that start a graceful shutdown (none for tests that cancel).
    ///   - onListening: called with the bound port once the server accepts connections.
    public func run(
        gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint],
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let (application, operations) = makeApplication(onListening: onListening)
        var services: [any Service] = [application]
        if let address = configuration.metricsAddress {
            services.append(
                MetricsListener(
                    address: address, operations: operations, tokens: configuration.metricsTokens,
                    requestBodyReadSeconds: configuration.requestBodyReadSeconds,
                    logger: logger.with(component: "ledger.serve.metrics")))
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: gracefulShutdownSignals, logger: logger)
        // A request stuck on an unreachable database must not hold the process forever: past this,
        // what is still running is cancelled (the appender still commits or fails what it holds).
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(Limits.shutdownGraceSecondsMax)
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch {
            throw ListenFailed(error, host: configuration.host, port: configuration.port) ?? error
        }
        logger.notice("stopped")
    }

    /// The main listener as `run` serves it, and as the tests run it in process (there is no other
    /// assembly): every route, the listener bounds of ``Listener``, and as the application's own
    /// services the live projector and the service that commits the appender's queue and closes the
    /// pools. Its service group stops the HTTP server first, then the projector, then the appender.
    ///
    /// Also returns the operations controller, whose `/metrics` a `--metrics-address` listener serves.
    func makeApplication(
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> (application: Listener.App, operations: OperationsController<BasicRequestContext>) {
        let configuration = configuration
        let databaseURL = configuration.databaseURL
        let connect: @Sendable () throws -> PostgresConnection = { try PostgresConnection(url: databaseURL) }
        let primaryReadPool = DatabasePool(
            size: configuration.databaseConnections, readOnly: true, connect: connect,
            logger: logger.with(component: "ledger.serve.db"))
        // The read API and the console read from the replica when there is one; readiness stays on the primary.
        let replicaPool = configuration.readDatabaseURL.map { url in
            DatabasePool(
                size: configuration.databaseConnections, readOnly: true, connect: { try PostgresConnection(url: url) },
                logger: logger.with(component: "ledger.serve.replica"))
        }
        let replica = ReadReplica(
            reads: replicaPool ?? primaryReadPool, primary: replicaPool.map { _ in primaryReadPool },
            waitTimeout: .seconds(configuration.replicaWaitSeconds))
        let writePool = DatabasePool(
            size: configuration.groupCommit ? 1 : Limits.transactionPerRequestConnections, readOnly: false,
            connect: connect, logger: logger.with(component: "ledger.serve.db"))
        let appender = makeAppender(connect: connect, writePool: writePool)
        let projector =
            configuration.projector
            ? LiveProjector(
                connect: connect, snapshots: configuration.snapshots,
                stallBound: .seconds(configuration.projectorStallSeconds), metrics: metrics,
                logger: logger.with(component: "ledger.serve.projector"))
            : nil
        let operations = OperationsController<BasicRequestContext>(
            pool: primaryReadPool, migrations: configuration.migrations, metrics: metrics, projector: projector,
            openAPIDocument: configuration.openAPIDocument, logger: logger)
        let router = makeRouter(
            replica: replica, writePool: writePool, appender: appender, projector: projector, operations: operations)
        // Listed in the reverse of the order they stop in (see the type's note on shutdown).
        var services: [any Service] = [
            ClosingService(
                appender: appender, pools: [primaryReadPool, writePool] + (replicaPool.map { [$0] } ?? []),
                logger: logger)
        ]
        if let projector { services.append(projector) }
        if let schedule = configuration.stripeSync {
            services.append(
                StripeSyncService(
                    schedule: schedule, connect: connect, metrics: StripeSyncMetrics(factory: metrics.factory),
                    logger: logger.with(component: "ledger.serve.sync")))
        }
        let application = Listener.application(
            router: router, address: ListenAddress(host: configuration.host, port: configuration.port),
            requestBodyReadSeconds: configuration.requestBodyReadSeconds, services: services, message: "listening",
            metadata: [
                "database": "\(configuration.redactedDatabaseURL)",
                "read_database": "\(configuration.readDatabaseURL.map(ConnectionString.redacted) ?? "the primary")",
                "group_commit": "\(configuration.groupCommit)", "projector": "\(configuration.projector)",
            ],
            logger: logger, requestLogger: logger.with(component: "ledger.serve.http"), onListening: onListening)
        return (application, operations)
    }

    /// Group commit, or one transaction per request on `writePool` (only to measure group commit).
    private func makeAppender(
        connect: @escaping @Sendable () throws -> PostgresConnection, writePool: DatabasePool
    ) -> any WebhookAppender {
        guard configuration.groupCommit else { return TransactionPerRequestAppender(pool: writePool) }
        let metrics = metrics
        return GroupCommitWebhookAppender(
            appender: GroupCommitAppender(
                connect: connect, logger: logger.with(component: "ledger.serve.append"),
                onCommit: { requests, events in metrics.recordGroupCommit(requests: requests, events: events) }))
    }

    private func makeRouter(
        replica: ReadReplica, writePool: DatabasePool, appender: any WebhookAppender, projector: LiveProjector?,
        operations: OperationsController<BasicRequestContext>
    ) -> Router<BasicRequestContext> {
        let readPool = replica.reads
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: JSONErrorMiddleware())
        router.add(middleware: ReadConsistencyMiddleware(replica: replica, apiTokens: configuration.apiTokens))
        WebhookController<BasicRequestContext>(
            secrets: configuration.webhookSecrets, toleranceSeconds: configuration.signatureToleranceSeconds,
            bodyBytesMax: configuration.webhookBodyBytesMax,
            bodyReads: BodyReadPermits(
                limit: configuration.webhookBodyReadsInFlight,
                onChange: { [metrics] count in metrics.webhookBodyReadsInFlight.record(count) }),
            appender: appender,
            writePool: writePool,
            metrics: metrics, logger: logger.with(component: "ledger.serve.webhooks")
        ).addRoutes(to: router)
        ReadAPIController<BasicRequestContext>(
            pool: readPool, projector: projector, appender: appender, configuration: configuration
        ).addRoutes(to: router)
        ParkedRejectedController<BasicRequestContext>(pool: readPool, apiTokens: configuration.apiTokens)
            .addRoutes(to: router)
        let databaseURL = configuration.databaseURL
        ConsoleController<BasicRequestContext>(
            pool: readPool, apiTokens: configuration.apiTokens,
            verifier: ConsoleVerifier(
                connect: { try PostgresConnection(url: databaseURL) },
                snapshotDirectory: configuration.snapshots?.directory ?? .default(),
                logger: logger.with(component: "ledger.serve.console"))
        ).addRoutes(to: router)
        operations.addRoutes(to: router)
        if configuration.metricsAddress == nil {
            operations.addMetricsRoute(to: router, tokens: configuration.metricsTokens)
        }
        return router
    }
}

/// The last service to stop: commits what the appender has queued, then closes the pools.
private struct ClosingService: Service {
    let appender: any WebhookAppender
    let pools: [DatabasePool]
    let logger: Logger

    func run() async throws {
        // Wait for shutdown (graceful or cancelled) without holding a thread.
        try? await gracefulShutdown()
        await withCheckedContinuation { continuation in
            _ = WorkerThread(name: "ledger.closing") {
                appender.shutdown()
                for pool in pools { pool.shutdown() }
                continuation.resume()
            }
        }
        logger.info("appender flushed and database connections closed")
    }
}

extension Logger {
    /// The same handler and level, with `component` in the metadata of every message.
    func with(component: String) -> Logger {
        var copy = self
        copy[metadataKey: "component"] = "\(component)"
        return copy
    }
}
