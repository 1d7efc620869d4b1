import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerPostgres
import LedgerTestSupport
import Logging
import LoopbackHTTPClient
import Testing

@testable import LedgerServer

/// `ledger serve`'s application run inside the test process (Hummingbird's testing support) against
/// a real database: the router, listener bounds, appender, pools and live projector the binary runs
/// (``LedgerHTTPServer/makeApplication(onListening:)``), without a process to start and wait for.
///
/// Tests of what only a process shows (signals, exit codes, standard error, kill -9, a lost
/// database, listen failures, the metrics listener) start the binary with ``ServedLedger`` instead.
struct InProcessLedger: Sendable {
    /// How requests reach the application.
    enum Transport {
        /// Straight to the router: no socket, no channel handlers.
        case router
        /// A real listener on a loopback port, with the channel handlers and HTTP decoder limits of
        /// `ledger serve` (for raw bytes, slow bodies and headers the decoder refuses).
        case live
    }

    let client: any TestClientProtocol
    let metrics: ServerMetrics

    /// The configuration ``ServedLedger`` starts the binary with: its secret and API token, the
    /// migrations built in, no snapshot directory.
    static func configuration(_ database: TestDatabase) throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.databaseURL = database.url
        configuration.port = 0
        configuration.webhookSecrets = [ServedLedger.secret]
        configuration.apiTokens = [ServedLedger.token]
        configuration.migrations = try MigrationSource.embedded()
        return configuration
    }

    /// Runs `body` against the application configured as ``configuration(_:)`` and then `configure`;
    /// the application shuts down gracefully (appender flushed, pools closed) when `body` returns.
    static func with<T>(
        _ database: TestDatabase, transport: Transport = .router,
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: @Sendable (InProcessLedger) async throws -> T
    ) async throws -> T {
        var configuration = try configuration(database)
        configure(&configuration)
        let server = LedgerHTTPServer(configuration: configuration, logger: .quiet)
        let (application, _) = server.makeApplication()
        return try await application.test(transport == .router ? .router : .live) { client in
            try await body(InProcessLedger(client: client, metrics: server.metrics))
        }
    }

    /// The bound loopback port (``Transport/live`` only), for raw bytes sent with `LoopbackHTTP`.
    var port: Int {
        get throws {
            guard let port = client.port else { throw TestSupportError("a router-only application has no port") }
            return port
        }
    }

    /// One request, answered as ``ServedLedger`` answers it (header names in lower case); on a live
    /// listener each on a fresh connection, as ``ServedLedger`` sends it.
    func request(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) async throws -> LoopbackHTTPResponse {
        if let port = client.port {
            return try await LoopbackHTTP.request(port: port, method, path, headers: headers, body: body)
        }
        guard let method = HTTPRequest.Method(method) else { throw TestSupportError("bad method \(method)") }
        var fields = HTTPFields()
        for (name, value) in headers {
            guard let name = HTTPField.Name(name) else { throw TestSupportError("bad header name \(name)") }
            fields.append(HTTPField(name: name, value: value))
        }
        let response = try await client.executeRequest(
            uri: path, method: method, headers: fields,
            body: body.isEmpty ? nil : ByteBuffer(bytes: body))
        return LoopbackHTTPResponse(
            status: response.status.code,
            headers: response.headers.map { ($0.name.canonicalName, $0.value) },
            body: Array(buffer: response.body))
    }

    /// A read API request with the test token.
    func get(_ path: String, token: String? = ServedLedger.token) async throws -> LoopbackHTTPResponse {
        try await request("GET", path, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
    }

    /// Posts a webhook body with a `Stripe-Signature` header (none when nil).
    func postWebhook(_ body: [UInt8], signature: String?) async throws -> LoopbackHTTPResponse {
        var headers = [("Content-Type", "application/json")]
        if let signature { headers.append(("Stripe-Signature", signature)) }
        return try await request("POST", "/webhooks/stripe", headers: headers, body: body)
    }
}

extension LoopbackHTTPConnection {
    /// Runs `body` with this connection on a thread of its own. In process, the server's handlers run
    /// on the same small cooperative pool as the test: a read blocked there until the server answers
    /// could hold the very thread the answer needs. The caller awaits, so one thread uses it at a time.
    func offPool<T: Sendable>(_ body: @escaping @Sendable (LoopbackHTTPConnection) throws -> T) async throws -> T {
        let handed = HandedConnection(connection: self)
        return try await BackgroundThread("test.http") { try body(handed.connection) }.value
    }
}

/// A connection passed to the thread that uses it while its owner waits (``LoopbackHTTPConnection/offPool(_:)``).
private struct HandedConnection: @unchecked Sendable {
    let connection: LoopbackHTTPConnection
}
