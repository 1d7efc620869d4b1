import Hummingbird
import LedgerCore
import LedgerPostgres
import Logging

/// `GET /v1/parked` and `GET /v1/rejected` (bearer token): what the projection parked, grouped by the
/// kind of reason with the fix, and the inputs that were not valid events. The bodies are the JSON
/// `ledger parked --json` and `ledger rejected --json` print (``ParkedReport``, ``RejectedInputList``).
struct ParkedRejectedController<Context: RequestContext> {
    let pool: DatabasePool
    let apiTokens: [String]

    func addRoutes(to router: Router<Context>) {
        let group = router.group("v1").add(middleware: BearerAuthentication<Context>(tokens: apiTokens))
        group.get("parked") { request, context in try await parked(request, logger: context.logger) }
        group.get("rejected") { request, context in try await rejected(request, logger: context.logger) }
    }

    func parked(_ request: Request, logger: Logger) async throws -> Response {
        let query = try QueryParameters(
            request.uri,
            accepted: ["reason": "a kind of reason (missing_license, …) or words of the reason, at most 64 bytes"],
            logger: logger)
        let reason = try query.text("reason")
        let report = try await database { connection in try ParkedReport.read(connection, reason: reason) }
        return JSONBody.response(.ok, report)
    }

    func rejected(_ request: Request, logger: Logger) async throws -> Response {
        let query = try QueryParameters(
            request.uri,
            accepted: ["since": "an ISO 8601 time with a zone (2025-03-01T12:00:00Z, +01:00) or a date (midnight UTC)"],
            logger: logger)
        let since = try query.time("since")
        let list = try await database { connection in try RejectedInputList.read(connection, since: since) }
        return JSONBody.response(.ok, list)
    }

    /// Runs `body` on the read-only pool; database trouble is a 503.
    private func database<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        do {
            return try await pool.withConnection(body)
        } catch {
            throw APIError.from(database: error)
        }
    }
}
