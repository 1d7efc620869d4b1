import Foundation
import Hummingbird
import HummingbirdCore
import LedgerCore
import LedgerEngine
import LedgerPostgres
import Logging
import NIOCore
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
        let configuration = configuration
        let databaseURL = configuration.databaseURL
        let connect: @Sendable () throws -> PostgresConnection = { try PostgresConnection(url: databaseURL) }
        let readPool = DatabasePool(
            size: configuration.databaseConnections, readOnly: true, connect: connect,
            logger: logger.with(component: "ledger.serve.db"))
        let writePool = DatabasePool(
            size: configuration.groupCommit ? 1 : Limits.transactionPerRequestConnections, readOnly: false,
            connect: connect, logger: logger.with(component: "ledger.serve.db"))
        let appender: any WebhookAppender
        if configuration.groupCommit {
            let metrics = metrics
            appender = GroupCommitWebhookAppender(
                appender: GroupCommitAppender(
                    connect: connect, logger: logger.with(component: "ledger.serve.append"),
                    onCommit: { requests, events in metrics.recordGroupCommit(requests: requests, events: events) }))
        } else {
            appender = TransactionPerRequestAppender(pool: writePool)
        }
        let projector =
            configuration.projector
            ? LiveProjector(
                connect: connect, snapshots: configuration.snapshots, metrics: metrics,
                logger: logger.with(component: "ledger.serve.projector"))
            : nil
        let operations = OperationsController<BasicRequestContext>(
            pool: readPool, migrations: configuration.migrations, metrics: metrics, projector: projector,
            openAPIDocument: configuration.openAPIDocument, logger: logger)
        let router = makeRouter(
            readPool: readPool, writePool: writePool, appender: appender, projector: projector, operations: operations)
        let logger = logger
        let application = Application(
            router: router,
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [
                        RequestBodyDeadlineHandler(seconds: configuration.requestBodyReadSeconds)
                    ],
                    idleTimeout: .seconds(Int64(Limits.connectionIdleSecondsMax)),
                    httpDecoderConfiguration: .init(
                        maxHeaderFieldSize: Limits.requestHeadBytesMax, maxHeaderListSize: Limits.requestHeadBytesMax,
                        maxHeaderFieldCount: Limits.requestHeaderFieldsMax))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                logger.notice(
                    "listening",
                    metadata: [
                        "address": "http://\(configuration.host):\(port)",
                        "database": "\(configuration.redactedDatabaseURL)",
                        "group_commit": "\(configuration.groupCommit)", "projector": "\(configuration.projector)",
                    ])
                await onListening(port)
            },
            logger: logger.with(component: "ledger.serve.http"))
        let resources = ClosingService(appender: appender, pools: [readPool, writePool], logger: logger)
        var services: [any Service] = [resources]
        if let projector { services.append(projector) }
        services.append(application)
        if let address = configuration.metricsAddress {
            services.append(
                MetricsListener(
                    address: address, operations: operations, tokens: configuration.metricsTokens,
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

    private func makeRouter(
        readPool: DatabasePool, writePool: DatabasePool, appender: any WebhookAppender, projector: LiveProjector?,
        operations: OperationsController<BasicRequestContext>
    ) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: JSONErrorMiddleware())
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
            Thread.detachNewThread {
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
