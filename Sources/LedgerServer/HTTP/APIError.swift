import Foundation
import HTTPTypes
import Hummingbird
import LedgerCore
import LedgerPostgres
import Logging
import NIOCore
import NIOHTTP1

/// An error answered with its status and a JSON body `{"error": "…", "code": "…"}`.
///
/// Every failure the service answers goes through here, so clients always get JSON, and what a
/// message says is written for the caller (it never carries a secret, a token or a payload). What
/// went wrong underneath (libpq's words, with host, port and user) is ``detail``: the server log
/// gets it, the client never does.
public struct APIError: Error, HTTPResponseError, CustomStringConvertible, Sendable {
    public var status: HTTPResponse.Status
    public var message: String
    public var headers: HTTPFields
    /// A stable, machine-readable name for the failure (`database_unavailable`), when it has one.
    public var code: String?
    /// For the server log only.
    public var detail: String?

    public init(
        _ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:], code: String? = nil,
        detail: String? = nil
    ) {
        self.status = status
        self.message = message
        self.headers = headers
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(status.code) \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONBody.response(status, ErrorBody(error: message, code: code), headers: headers)
    }

    /// What a client is told when the database cannot serve it: never host, port, user or libpq's text.
    public static let databaseUnavailableMessage = "database unavailable"
    /// The ``code`` of every answer that failed on the database (503).
    public static let databaseUnavailableCode = "database_unavailable"

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }

    /// 503 with `Retry-After`, for a failure the caller should retry (Stripe does, on its own schedule).
    static func unavailable(_ message: String, code: String? = nil, detail: String? = nil) -> APIError {
        APIError(
            .serviceUnavailable, message, headers: [.retryAfter: "\(Limits.retryAfterSeconds)"], code: code,
            detail: detail)
    }

    /// 400 for a body whose HTTP framing is broken; the connection is closed after it.
    static func malformedBody(_ error: HTTPParserError) -> APIError {
        APIError(
            .badRequest,
            "the request body is not valid HTTP/1.1 framing (\(error)); send a Content-Length body "
                + "or well-formed chunks", headers: [.connection: "close"])
    }

    /// 408 for a body that did not arrive in time; the connection is closed after it.
    static func bodyTimedOut(_ error: RequestBodyTimedOut) -> APIError {
        APIError(.requestTimeout, "\(error.description); send the whole body at once", headers: [.connection: "close"])
    }

    /// The answer for an error from the database layer: 503 `database_unavailable` when the
    /// database is unreachable, overloaded or shutting down (retrying later can succeed), 500 for
    /// anything else; the error itself goes to the log as ``detail``.
    static func from(database error: any Error) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as DatabaseUnavailable:
            return .unavailable(error.description, code: databaseUnavailableCode, detail: error.detail)
        case let error as PostgresError where error.isTransient:
            return .unavailable(databaseUnavailableMessage, code: databaseUnavailableCode, detail: "\(error)")
        default: return APIError(.internalServerError, "internal error; see the server log", detail: "\(error)")
        }
    }

    /// What a client may be told about `error`: its text, unless the connection failed.
    ///
    /// For places that show an error's text unauthenticated (`/readyz`'s projector): libpq's words
    /// about a connection name the database's host, port and user. A server's own error (a full
    /// disk, a missing table) says nothing about where the database is, and helps the operator.
    public static func publicDescription(of error: any Error) -> String {
        switch error {
        case is DatabaseUnavailable: return databaseUnavailableMessage
        case let error as PostgresError where error.kind == .connectionFailed || error.kind == .connectionLost:
            return databaseUnavailableMessage
        default: return "\(error)"
        }
    }
}

/// `{"error": "…", "code": "…"}` (`code` only when the failure has one).
struct ErrorBody: Encodable {
    var error: String
    var code: String?
}

extension PostgresError {
    /// True for failures that say nothing about the request: the connection, the server's state or
    /// its resources (SQLSTATE classes 08, 53, 57, 58), a read-only standby, or a schema that is not
    /// migrated yet (42P01). Retrying later can succeed.
    var isTransient: Bool {
        switch kind {
        case .connectionFailed, .connectionLost: return true
        case .server:
            guard let sqlState else { return false }
            return ["08", "53", "57", "58"].contains(String(sqlState.prefix(2)))
                || ["25006", "42P01", "40001", "40P01"].contains(sqlState)
        case .invalidParameter, .decoding, .protocolViolation: return false
        }
    }
}

/// JSON response bodies: snake_case keys, sorted, no escaped slashes — ``LedgerJSON``, as the CLI prints them.
enum JSONBody {
    static func encoder() -> JSONEncoder { LedgerJSON.encoder() }

    /// A response with `value` as its JSON body.
    static func response(
        _ status: HTTPResponse.Status = .ok, _ value: some Encodable, headers: HTTPFields = [:]
    ) -> Response {
        let data: Data
        do {
            data = try encoder().encode(value)
        } catch {
            // Our own response types always encode; this is a programmer error made visible, not a crash.
            data = Data(#"{"error":"response could not be encoded"}"#.utf8)
        }
        return response(status, json: data, headers: headers)
    }

    /// A response whose JSON body is already encoded.
    static func response(_ status: HTTPResponse.Status, json: some Sequence<UInt8>, headers: HTTPFields = [:])
        -> Response
    {
        var fields = headers
        fields[.contentType] = "application/json"
        fields[.cacheControl] = "no-store"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }
}

/// Turns every error that reaches it into a JSON error response, including the router's own 404.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            if let detail = error.detail {
                context.logger.warning(
                    "request failed",
                    metadata: ["status": "\(error.status.code)", "error": "\(detail)", "path": "\(request.uri.path)"])
            }
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            let message =
                error.status == .notFound
                ? "no such endpoint: \(request.method) \(request.uri.path) (see /openapi.yaml)"
                : error.body ?? error.status.reasonPhrase
            return try APIError(error.status, message, headers: error.headers).response(
                from: request, context: context)
        } catch let error as NIOTooManyBytesError {
            _ = error
            return try APIError(.contentTooLarge, "request body too large", headers: [.connection: "close"])
                .response(from: request, context: context)
        } catch let error as HTTPParserError {
            // The body's framing is broken (a bad chunk size, …): the client's fault, and the rest of
            // the connection cannot be parsed, so it is closed after this answer.
            context.logger.notice(
                "malformed request body", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return try APIError.malformedBody(error).response(from: request, context: context)
        } catch let error as RequestBodyTimedOut {
            context.logger.notice(
                "request body too slow", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return try APIError.bodyTimedOut(error).response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            return try APIError(error.status, error.status.reasonPhrase).response(
                from: request, context: context)
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return try APIError(.internalServerError, "internal error; see the server log").response(
                from: request, context: context)
        }
    }
}
