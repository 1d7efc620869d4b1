import Foundation
import HTTPTypes
import Hummingbird
import LedgerCore

/// The headers every `/ui` response carries, and the console's cookies.
enum ConsoleSecurity {
    /// Only this server's own files; no inline script or style, no plugin, no framing, forms post here only.
    static let contentSecurityPolicy =
        "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    static let headers: HTTPFields = [
        .contentSecurityPolicy: contentSecurityPolicy,
        .xContentTypeOptions: "nosniff",
        .referrerPolicy: "no-referrer",
        .xFrameOptions: "DENY",
        // Pages show billing data: never kept in a shared or browser cache.
        .cacheControl: "no-store",
    ]

    /// The session cookie: the opaque id of a ``ConsoleSession``.
    static let sessionCookie = "ledger_console_session"
    /// The login form's CSRF cookie (double submit: the form carries the same value).
    static let loginCookie = "ledger_console_login"

    /// Whether the browser reached us over TLS: only a TLS-terminating proxy in front can say so
    /// (`ledger serve` speaks plain HTTP). Trusting the header is safe here because it can only make
    /// a cookie stricter: a forged `https` makes the browser withhold the cookie on plain HTTP.
    static func cameOverTLS(_ request: Request) -> Bool {
        request.headers[.xForwardedProto]?.lowercased() == "https"
    }

    /// A cookie of the console: HttpOnly, SameSite=Strict, scoped to `/ui`, Secure behind TLS.
    static func cookie(_ name: String, _ value: String, maxAge: Int, request: Request) -> Cookie {
        Cookie(
            name: name, value: value, maxAge: maxAge, path: "/ui", secure: cameOverTLS(request), httpOnly: true,
            sameSite: .strict)
    }

    /// Whether two secrets are equal, in time that does not depend on where they differ.
    static func same(_ presented: String?, _ expected: String) -> Bool {
        guard let presented, !presented.isEmpty, presented.utf8.count <= Limits.credentialBytesMax else { return false }
        return BearerAuthentication<BasicRequestContext>(tokens: [expected]).matches(presented)
    }
}

/// Puts ``ConsoleSecurity/headers`` on every `/ui` response, and turns a failure into an HTML page
/// (the rest of the service answers JSON) so that error pages carry the same headers.
struct ConsoleHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    let pages: ConsolePages

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            if let detail = error.detail {
                context.logger.warning(
                    "console request failed",
                    metadata: ["status": "\(error.status.code)", "error": "\(detail)", "path": "\(request.uri.path)"])
            }
            response = pages.error(status: error.status, message: error.message)
        } catch let error as HTTPError {
            response = pages.error(status: error.status, message: error.body ?? error.status.reasonPhrase)
        }
        for field in ConsoleSecurity.headers { response.headers[field.name] = field.value }
        return response
    }
}

/// A form the console posts (`application/x-www-form-urlencoded`), read with a size bound.
struct ConsoleForm {
    var fields: [String: String]

    static func read(_ request: Request) async throws -> ConsoleForm {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else {
            throw APIError(.unsupportedMediaType, "the console's forms are sent as application/x-www-form-urlencoded")
        }
        let buffer = try await request.body.collect(upTo: Limits.consoleFormBytesMax)
        var fields: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decoded(parts[0]) else { continue }
            fields[name] = parts.count == 2 ? Self.decoded(parts[1]) : ""
        }
        return ConsoleForm(fields: fields)
    }

    /// `+` as space, then percent-decoding; nil when the escapes are broken.
    static func decoded(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    subscript(_ name: String) -> String? { fields[name] }
}

extension HTTPField.Name {
    // Names HTTPTypes does not define; each is a valid token, so the fallback is never taken.
    static var referrerPolicy: HTTPField.Name { HTTPField.Name("Referrer-Policy") ?? .xContentTypeOptions }
    static var xFrameOptions: HTTPField.Name { HTTPField.Name("X-Frame-Options") ?? .xContentTypeOptions }
    static var xForwardedProto: HTTPField.Name { HTTPField.Name("X-Forwarded-Proto") ?? .xContentTypeOptions }
}
