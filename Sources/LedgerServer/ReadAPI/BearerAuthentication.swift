import HTTPTypes
import Hummingbird
import LedgerCore

/// Guards the read API: `Authorization: Bearer <token>` must name one of the configured tokens.
///
/// Tokens are compared by their SHA-256 digests, every configured token each time, with no early
/// exit on the first differing byte, so the time an answer takes does not tell how much of a guess
/// was right, nor which token matched, nor the tokens' lengths. With no token configured the read
/// API is off: 404 with a JSON error saying so (a deployment that serves webhooks only).
struct BearerAuthentication<Context: RequestContext>: RouterMiddleware {
    private let digests: [[UInt8]]

    init(tokens: [String]) {
        digests = tokens.map { Array(HexEncoding.sha256(Array($0.utf8)).utf8) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard !digests.isEmpty else {
            throw APIError.notFound(
                "the read API is off: no API token is configured on this server (LEDGER_API_TOKENS or --api-tokens-file)"
            )
        }
        guard let presented = Self.token(in: request.headers[.authorization]) else {
            throw Self.unauthorized("missing bearer token: send Authorization: Bearer <token>")
        }
        guard matches(presented) else { throw Self.unauthorized("the bearer token is not valid") }
        return try await next(request, context)
    }

    /// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive, RFC 6750).
    static func token(in header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty || token.utf8.count > Limits.credentialBytesMax ? nil : token
    }

    func matches(_ token: String) -> Bool {
        let presented = Array(HexEncoding.sha256(Array(token.utf8)).utf8)
        var matched: UInt8 = 0
        for digest in digests {
            var difference: UInt8 = 0
            for (left, right) in zip(digest, presented) { difference |= left ^ right }
            matched |= difference == 0 ? 1 : 0
        }
        return matched == 1
    }

    static func unauthorized(_ message: String) -> APIError {
        APIError(.unauthorized, message, headers: [.wwwAuthenticate: #"Bearer realm="ledger""#])
    }
}
