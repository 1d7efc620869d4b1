import Foundation
import Hummingbird
import LedgerCore
import LedgerEngine
import LedgerPostgres
import Logging

/// The read API under `/v1` (bearer token): the log page by page, a subscription's live row, its
/// history and its state at a past instant, and the ledger's status.
///
/// Every query runs on the read-only ``DatabasePool``, never on an event loop.
struct ReadAPIController<Context: RequestContext> {
    let pool: DatabasePool
    let projector: LiveProjector?
    let appender: any WebhookAppender
    let configuration: ServerConfiguration

    func addRoutes(to router: Router<Context>) {
        let group = router.group("v1").add(middleware: BearerAuthentication<Context>(tokens: configuration.apiTokens))
        group.get("events") { request, context in try await events(request, logger: context.logger) }
        group.get("subscriptions/:ref") { request, context in
            try await subscription(request, reference: try context.parameters.require("ref"), logger: context.logger)
        }
        group.get("subscriptions/:ref/history") { request, context in
            try await history(request, reference: try context.parameters.require("ref"), logger: context.logger)
        }
        group.get("status") { request, context in
            _ = try QueryParameters(request.uri, accepted: [:], logger: context.logger)
            return try await status()
        }
    }

    // MARK: - Events

    func events(_ request: Request, logger: Logger) async throws -> Response {
        let query = try QueryParameters(
            request.uri, accepted: ["after": "a position, 0 or more", "limit": "1…\(Limits.readPageEventsMax)"],
            logger: logger)
        let after = try query.integer("after", in: 0...Int64.max) ?? 0
        let limit = try query.integer("limit", in: 1...Int64(Limits.readPageEventsMax))
        let pageSize = Int(limit ?? Int64(Limits.readPageEventsDefault))
        let page = try await database { connection in
            let store = EventStore(connection: connection)
            let head = try store.head().position
            let events = try store.read(after: after, through: head, limit: pageSize)
            return EventPage(
                events: events.map(EventResource.init), nextAfter: events.last?.position ?? after, head: head)
        }
        return JSONBody.response(.ok, page)
    }

    // MARK: - Subscriptions

    func subscription(_ request: Request, reference text: String, logger: Logger) async throws -> Response {
        let reference = try Self.subscriptionReference(text)
        let query = try QueryParameters(
            request.uri,
            accepted: [
                "as_of": "an ISO 8601 time with a zone (2025-03-01T12:00:00Z, +01:00) or a date (midnight UTC)",
                "at_position": "a position from 0 to the log's head",
            ],
            logger: logger)
        let asOf = try query.time("as_of")
        let atPosition = try query.integer("at_position", in: 0...Int64.max)
        if asOf != nil || atPosition != nil {
            let cut = AuditCut(position: atPosition ?? .max, recordedAt: asOf)
            let state = try await database { connection in
                try AuditState.build(reference, cut: cut, connection: connection)
            }
            return JSONBody.response(.ok, state)
        }
        let live = try await database { connection in
            try LiveSubscription.read(
                reference, projection: ProjectionRebuilder.projectionName, connection: connection)
        }
        guard let live else {
            throw APIError.notFound(
                "subscriptions has no row for \(reference); it may not be projected yet (see /v1/status), "
                    + "be parked (its license does not exist), or be unknown (see its /history)")
        }
        return JSONBody.response(.ok, live)
    }

    func history(_ request: Request, reference text: String, logger: Logger) async throws -> Response {
        let reference = try Self.subscriptionReference(text)
        let query = try QueryParameters(request.uri, accepted: ["include_payments": "true or false"], logger: logger)
        let includePayments = try query.boolean("include_payments") ?? false
        let history = try await database { connection in
            try AuditHistory.build(reference, includePayments: includePayments, connection: connection)
        }
        return JSONBody.response(.ok, history)
    }

    // MARK: - Status

    func status() async throws -> Response {
        let log = try await database { connection in try LedgerStatus.read(connection) }
        let resource = StatusResource(
            server: .init(
                version: LedgerVersion.current, groupCommit: configuration.groupCommit,
                readAPI: !configuration.apiTokens.isEmpty, webhookSecrets: configuration.webhookSecrets.count),
            log: log, projector: projector?.status, groupCommit: appender.statistics.map(GroupCommitStatistics.init))
        return JSONBody.response(.ok, resource)
    }

    // MARK: - Helpers

    /// Runs `body` on the pool; unknown references are 404, database trouble 503.
    private func database<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        do {
            return try await pool.withConnection(body)
        } catch let error as AuditReferenceNotFound {
            throw APIError.notFound(error.description)
        } catch let error as InvalidAuditReference {
            throw APIError.badRequest(error.description)
        } catch let error as PositionBeyondHead {
            throw APIError.badRequest("at_position: \(error.description)")
        } catch {
            throw APIError.from(database: error)
        }
    }

    /// `sub_…` or a subscription UUID; anything else is a 400.
    static func subscriptionReference(_ text: String) throws -> AuditReference {
        let reference: AuditReference
        do {
            reference = try AuditReference(parsing: text)
        } catch {
            throw APIError.badRequest(error.description)
        }
        switch reference {
        case .subscription, .subscriptionRowID: return reference
        case .customer, .paymentIntent:
            throw APIError.badRequest("'\(text)' is not a subscription: give sub_… or a subscription UUID")
        }
    }
}
