import Foundation
import HTTPTypes
import Hummingbird
import LedgerCore
import LedgerPostgres
import Logging
import NIOCore

/// `/healthz`, `/readyz`, `/metrics` and `/openapi.yaml`: no authentication, nothing secret.
struct OperationsController<Context: RequestContext> {
    let pool: DatabasePool
    let migrations: MigrationSource?
    let metrics: ServerMetrics
    let projector: LiveProjector?
    /// The OpenAPI document's bytes, read once at start; nil when it was not found.
    let openAPIDocument: [UInt8]?
    let logger: Logger

    func addRoutes(to router: Router<Context>) {
        router.get("healthz") { _, _ in JSONBody.response(.ok, ["status": "ok"]) }
        router.get("readyz") { _, _ in await readiness() }
        router.get("metrics") { _, _ in await metricsText() }
        router.get("openapi.yaml") { _, _ in try openAPI() }
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
    }

    /// 200 when the database answers and every migration of this binary is applied unchanged; else
    /// 503 with the reason, so a load balancer sends no traffic to an instance that would fail it.
    func readiness() async -> Response {
        do {
            let readiness = try await pool.withConnection { [migrations, logger] connection -> Readiness in
                try connection.query("SELECT 1")
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
            return JSONBody.response(readiness.status == "ready" ? .ok : .serviceUnavailable, readiness)
        } catch {
            let message = APIError.from(database: error).message
            return JSONBody.response(
                .serviceUnavailable,
                Readiness(
                    status: "not_ready", database: "unreachable", pendingMigrations: [], changedMigrations: [],
                    unknownMigrations: [], reason: message))
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
            if let billing = status.projections.first(where: { $0.name == "billing" }) {
                metrics.projectorCheckpoint.record(billing.position)
                metrics.projectorLag.record(billing.lag)
            } else {
                metrics.projectorLag.record(status.headPosition)
            }
        } catch {
            // The other metrics are still worth scraping; the gauge says the database was not reached.
            metrics.databaseUp.record(0)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
    }

    func openAPI() throws -> Response {
        guard let openAPIDocument else {
            throw APIError.notFound("the OpenAPI document was not found at start (--openapi or LEDGER_OPENAPI_PATH)")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/yaml"],
            body: .init(byteBuffer: ByteBuffer(bytes: openAPIDocument)))
    }
}
