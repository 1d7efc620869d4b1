import Foundation
import LedgerCore
import LedgerPostgres
import LedgerServer
import LedgerTestSupport
import LoopbackHTTPClient
import Testing

/// `ledger serve` never logs or answers the database's password, its unauthenticated answers never
/// say where the database is, and `/metrics` can ask for a token or move to a listener of its own.
@Suite("secrets: ledger serve")
struct SecretsServeTests {
    static let metricsTokens = ["metrics-7d2a9c", "metrics-4e1b8f"]

    /// For each form of connection string with a password: the start-up log shows it masked; with
    /// the database cut (a TCP proxy), `/readyz`, the read API and a webhook answer 503 "database
    /// unavailable" with a stable code, and none of them names the password, host, port or user.
    @Test func outagesSayOnlyDatabaseUnavailableAndThePasswordIsNeverShown() async throws {
        try await TestDatabase.withMigrated { database in
            try await PasswordRole.with { role in
                let target = try #require(URLComponents(string: database.url))
                let proxy = try TCPProxy(targetPort: try #require(target.port))
                defer { proxy.close() }
                let forms = PasswordRole.forms(
                    user: role.name, host: "127.0.0.1", port: proxy.port, database: database.name)
                for form in forms.prefix(3) {
                    proxy.restore()
                    let server = try await ServedLedger.start(
                        databaseURL: form.url, environment: ["LEDGER_LOG_LEVEL": "info"])
                    #expect(try await server.request("GET", "/readyz").status == 200, "\(form.name)")
                    proxy.cut()
                    let body = subscriptionEvent("evt_secrets_\(form.name.count)")
                    let answers = [
                        ("/readyz", try await server.request("GET", "/readyz")),
                        ("/v1/status", try await server.get("/v1/status")),
                        ("webhook", try await server.postWebhook(body, signature: sign(body))),
                    ]
                    for (what, answer) in answers {
                        #expect(answer.status == 503, "\(form.name), \(what): \(answer.status) \(answer.text)")
                        #expect(answer.json?["code"] as? String == "database_unavailable", "\(what): \(answer.text)")
                        #expect(answer.text.contains("database unavailable"), "\(what): \(answer.text)")
                        let named = [role.name, "127.0.0.1", "\(proxy.port)", database.name, "connection to server"]
                            .filter { answer.text.contains($0) }
                        #expect(named.isEmpty, "\(form.name), \(what) names \(named): \(answer.text)")
                        #expect(PasswordRole.leaks(in: answer.text).isEmpty, "\(form.name), \(what): \(answer.text)")
                    }
                    let output = await server.stop()
                    #expect(output.status == 0, "\(output.standardError)")
                    #expect(
                        PasswordRole.leaks(in: output.standardError + output.standardOutput).isEmpty,
                        "\(form.name) logged: \(output.standardError)")
                    #expect(
                        output.standardError.contains(ConnectionString.mask), "\(form.name): \(output.standardError)")
                }
            }
        }
    }

    @Test func metricsAskForTheirOwnBearerTokenWhenConfigured() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database, configure: { $0.metricsTokens = Self.metricsTokens }) { server in
                #expect(try await server.get("/metrics", token: nil).status == 401)
                #expect(try await server.get("/metrics", token: "not-a-token").status == 401)
                // The read API's token is not a metrics token, nor the other way round.
                #expect(try await server.get("/metrics", token: ServedLedger.token).status == 401)
                #expect(try await server.get("/v1/status", token: Self.metricsTokens[0]).status == 401)
                let metrics = try await server.get("/metrics", token: Self.metricsTokens[1])
                #expect(metrics.status == 200)
                #expect(metrics.text.contains("ledger_database_up 1.0"), "\(metrics.text)")
                #expect(try await server.request("GET", "/readyz").status == 200)
                #expect(try await server.request("GET", "/healthz").status == 200)
            }
        }
    }

    @Test func metricsOnTheirOwnAddressAreServedThereOnly() async throws {
        try await TestDatabase.withMigrated { database in
            var metricsPort = 0
            let server = try await ServedLedger.retryingPortClashes {
                metricsPort = try LoopbackHTTP.freePort()
                return try await ServedLedger.start(
                    databaseURL: database.url, arguments: ["--metrics-address", "127.0.0.1:\(metricsPort)"],
                    environment: ["LEDGER_METRICS_TOKENS": Self.metricsTokens[0]])
            }
            let authorization = [("Authorization", "Bearer \(Self.metricsTokens[0])")]
            #expect(try await server.request("GET", "/metrics", headers: authorization).status == 404)
            var scraped: LoopbackHTTPResponse?
            try await waitUntil("the metrics listener answers") {
                scraped = try? await LoopbackHTTP.request(
                    port: metricsPort, "GET", "/metrics", headers: authorization)
                return scraped?.status == 200
            }
            #expect(scraped?.text.contains("ledger_database_up") == true)
            #expect(try await LoopbackHTTP.request(port: metricsPort, "GET", "/metrics").status == 401)
            #expect(try await LoopbackHTTP.request(port: metricsPort, "GET", "/readyz").status == 404)
            // Both listeners bound a request's head alike (Listener): past the bytes or the fields a head
            // may have, the metrics listener answers what the main one answers, never the metrics.
            let oversized: [(String, [(String, String)])] = [
                ("a long header", [("X-Filler", String(repeating: "x", count: Limits.requestHeadBytesMax + 8_000))]),
                ("many header fields", (0...Limits.requestHeaderFieldsMax + 50).map { ("X-Filler-\($0)", "value") }),
            ]
            for (what, headers) in oversized {
                let main = try? await server.request("GET", "/healthz", headers: headers)
                let metrics = try? await LoopbackHTTP.request(
                    port: metricsPort, "GET", "/metrics", headers: authorization + headers)
                #expect(metrics?.status == main?.status, "\(what): \(String(describing: metrics?.status))")
                #expect(metrics.map { (400..<500).contains($0.status) } ?? true, "\(what): \(metrics?.text ?? "")")
            }
            // A busy metrics address is named with the option that sets it, not the main listener's --port.
            let busy = try runLedger(
                [
                    "serve", "--port", "\(try LoopbackHTTP.freePort())", "--metrics-address",
                    "127.0.0.1:\(metricsPort)",
                ], environment: ["DATABASE_URL": database.url])
            #expect(busy.status != 0)
            #expect(
                busy.standardError.contains("port \(metricsPort) on 127.0.0.1 is already in use")
                    && busy.standardError.contains("--metrics-address") && !busy.standardError.contains("errno"),
                "\(busy.standardError)")
            let output = await server.stop()
            #expect(output.status == 0, "\(output.standardError)")

            let refused = try runLedger(
                ["serve", "--metrics-address", "9090"], environment: ["DATABASE_URL": database.url])
            #expect(refused.status == 2)
            #expect(refused.standardError.contains("HOST:PORT"), "\(refused.standardError)")
        }
    }

    @Test func openMetricsOnANonLoopbackAddressAreWarnedAbout() async throws {
        try await TestDatabase.withMigrated { database in
            let open = try await ServedLedger.start(databaseURL: database.url, arguments: ["--host", "0.0.0.0"])
            let warned = await open.stop()
            #expect(warned.standardError.contains("/metrics is open"), "\(warned.standardError)")
            let loopback = try await ServedLedger.start(databaseURL: database.url)
            let quiet = await loopback.stop()
            #expect(!quiet.standardError.contains("/metrics is open"), "\(quiet.standardError)")
            // Open to every interface, but asking for a token: not warned about.
            let guarded = try await ServedLedger.start(
                databaseURL: database.url, arguments: ["--host", "0.0.0.0"],
                environment: ["LEDGER_METRICS_TOKENS": Self.metricsTokens.joined(separator: ",")])
            let tokened = await guarded.stop()
            #expect(tokened.status == 0, "\(tokened.standardError)")
            #expect(!tokened.standardError.contains("/metrics is open"), "\(tokened.standardError)")
        }
    }
}
