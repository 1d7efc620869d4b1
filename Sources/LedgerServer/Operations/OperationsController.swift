import Foundation
import HTTPTypes
import Hummingbird
import LedgerCore
import LedgerEngine
import LedgerPostgres
import Logging
import NIOCore

/// `/healthz`, `/readyz`, `/metrics` and `/openapi.yaml`: no authentication (`/metrics` when
/// metrics tokens are configured), nothing secret: a database failure is "database unavailable"
/// here, never libpq's words (host, port, user), which go to the server log.
struct OperationsController<Context: RequestContext> {
    let pool: DatabasePool
    let migrations: MigrationSource?
    let metrics: ServerMetrics
    let projector: LiveProjector?
    /// The OpenAPI document's bytes (built in, or read once at start).
    let openAPIDocument: [UInt8]
    let logger: Logger

    func addRoutes(to router: Router<Context>) {
        router.get("healthz") { _, _ in JSONBody.response(.ok, ["status": "ok"]) }
        router.get("readyz") { _, _ in await readiness() }
        router.get("openapi.yaml") { _, _ in openAPI() }
    }

    /// `/metrics`, behind `Authorization: Bearer` when `tokens` are configured (else open to anyone
    /// who can reach the listener: the log's head, webhook counts and lag are business volumes).
    ///
    /// The metrics tokens are not the read API's: a scraper that may read volumes has no business
    /// reading subscriptions.
    func addMetricsRoute(to router: Router<Context>, tokens: [String]) {
        if tokens.isEmpty {
            router.get("metrics") { _, _ in await metricsText() }
        } else {
            router.group("metrics").add(middleware: BearerAuthentication<Context>(tokens: tokens))
                .get { _, _ in await metricsText() }
        }
    }

    /// What `/readyz` answers.
    struct Readiness: Encodable {
        var status: String
        var database: String
        var pendingMigrations: [String]
        var changedMigrations: [String]
        /// Applied migrations this binary has no file for (a newer version migrated the database).
        var unknownMigrations: [String]
        var reason: String?
        /// `database_unavailable` when the database did not answer (as in every 503 body).
        var code: String?
        /// The live projector, when this server runs one and the schema is current.
        var projector: ProjectorReadiness?
    }

    /// The live projector as `/readyz` shows it.
    struct ProjectorReadiness: Encodable {
        var state: LiveProjector.State
        var checkpoint: Int64
        var head: Int64
        /// Seconds the projection has not moved while the projector keeps failing (nil when moving).
        var stalledSeconds: Int64?
        var lastError: String?
    }

    /// 200 when the database answers, every migration of this binary is applied unchanged and the
    /// live projector is not stalled; else 503 with the reason, so a load balancer sends no traffic
    /// to an instance that would fail it and an operator sees a projection that stopped moving.
    func readiness() async -> Response {
        do {
            var readiness = try await schemaReadiness()
            if readiness.status == "ready", let projector {
                let status = try await pool.withConnection { connection in try LedgerStatus.read(connection) }
                let checkpoint =
                    status.projections.first { $0.name == ProjectionRebuilder.projectionName }?.position ?? 0
                let stall = projector.stall(checkpoint: checkpoint, head: status.headPosition)
                metrics.projectorStalled.record(stall == nil ? 0 : 1)
                let current = projector.status
                readiness.projector = ProjectorReadiness(
                    state: current.state, checkpoint: checkpoint, head: status.headPosition,
                    stalledSeconds: stall?.components.seconds, lastError: current.lastError)
                if let stall {
                    readiness.status = "not_ready"
                    readiness.reason =
                        "the projection has not moved from position \(checkpoint) for \(stall.components.seconds) s "
                        + "while the log's head is at \(status.headPosition); the projector keeps failing: "
                        + (current.lastError ?? "no error recorded")
                    logger.error(
                        "projection stalled",
                        metadata: [
                            "checkpoint": "\(checkpoint)", "head": "\(status.headPosition)",
                            "seconds": "\(stall.components.seconds)", "error": "\(current.lastError ?? "")",
                        ])
                }
            }
            return JSONBody.response(readiness.status == "ready" ? .ok : .serviceUnavailable, readiness)
        } catch {
            let answer = APIError.from(database: error)
            logger.warning("not ready: the database did not answer", metadata: ["error": "\(answer.detail ?? "")"])
            return JSONBody.response(
                .serviceUnavailable,
                Readiness(
                    status: "not_ready", database: "unreachable", pendingMigrations: [], changedMigrations: [],
                    unknownMigrations: [], reason: answer.message, code: answer.code))
        }
    }

    /// The database answers and the migrations of this binary are applied, unchanged.
    private func schemaReadiness() async throws -> Readiness {
        try await pool.withConnection { [migrations, logger] connection -> Readiness in
            try connection.ping()
            guard let migrations else {
                return Readiness(
                    status: "ready", database: "ok", pendingMigrations: [], changedMigrations: [],
                    unknownMigrations: [], reason: "no migrations directory: schema not checked")
            }
            let statuses = try MigrationRunner(connection: connection, source: migrations, logger: logger).status()
            func names(_ state: MigrationStatus.State) -> [String] {
                statuses.filter { $0.state == state }.map { String(format: "%03d_%@", $0.version, $0.name) }
            }
            let pending = names(.pending)
            let changed = names(.changed)
            var reason: String?
            if !pending.isEmpty { reason = "migrations pending: run `ledger migrate up`" }
            if !changed.isEmpty { reason = "applied migrations differ from this binary's files" }
            return Readiness(
                status: reason == nil ? "ready" : "not_ready", database: "ok", pendingMigrations: pending,
                changedMigrations: changed, unknownMigrations: names(.missingFile), reason: reason)
        }
    }

    /// Prometheus text; the log's gauges are read fresh from the database, best effort.
    func metricsText() async -> Response {
        do {
            let status = try await pool.withConnection { connection in try LedgerStatus.read(connection) }
            metrics.databaseUp.record(1)
            metrics.headPosition.record(status.headPosition)
            metrics.parkedEvents.record(status.parkedEvents)
            metrics.rejectedInputs.record(status.rejectedInputs)
            metrics.conflictingDuplicates.record(status.conflictingDuplicates)
            let billing = status.projections.first { $0.name == ProjectionRebuilder.projectionName }
            if let billing {
                metrics.projectorCheckpoint.record(billing.position)
                metrics.projectorLag.record(billing.lag)
            } else {
                metrics.projectorLag.record(status.headPosition)
            }
            if let projector {
                let stall = projector.stall(checkpoint: billing?.position ?? 0, head: status.headPosition)
                metrics.projectorStalled.record(stall == nil ? 0 : 1)
            }
        } catch {
            // The other metrics are still worth scraping; the gauge says the database was not reached.
            metrics.databaseUp.record(0)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
    }

    func openAPI() -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/yaml"],
            body: .init(byteBuffer: ByteBuffer(bytes: openAPIDocument)))
    }
}
