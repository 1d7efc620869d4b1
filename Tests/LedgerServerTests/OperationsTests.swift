import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import LoopbackHTTPClient
import Testing

@Suite("/healthz, /readyz, /metrics, /openapi.yaml, shutdown")
struct OperationsTests {
    @Test func readinessFollowsTheDatabaseAndItsMigrations() async throws {
        try await TestDatabase.with { database in
            // Not migrated: alive, not ready, and the reason says what to do.
            try await InProcessLedger.with(database, configure: { $0.projector = false }) { server in
                #expect(try await server.request("GET", "/healthz").status == 200)
                let unmigrated = try await server.request("GET", "/readyz")
                #expect(unmigrated.status == 503)
                #expect((unmigrated.json?["pending_migrations"] as? [String])?.isEmpty == false)
                #expect((unmigrated.json?["reason"] as? String)?.contains("ledger migrate up") == true)
                let migrate = try runLedger(["migrate", "up"], environment: ["DATABASE_URL": database.url])
                #expect(migrate.status == 0, "\(migrate.standardError)")
                let ready = try await server.request("GET", "/readyz")
                #expect(ready.status == 200, "\(ready.text)")
                #expect(ready.json?["status"] as? String == "ready")
            }
        }
    }

    @Test func metricsCountWebhooksByOutcomeAndShowTheProjector() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database) { server in
                let body = subscriptionEvent("evt_metrics")
                #expect(try await server.postWebhook(body, signature: sign(body)).status == 200)
                #expect(try await server.postWebhook(body, signature: sign(body)).status == 200)
                #expect(try await server.postWebhook(body, signature: nil).status == 400)
                try await waitUntil("the projector applied the event") {
                    let text = try await server.request("GET", "/metrics").text
                    return text.contains("ledger_projector_checkpoint_position 1.0")
                }
                let metrics = try await server.request("GET", "/metrics")
                #expect(metrics.status == 200)
                #expect(metrics.header("content-type")?.hasPrefix("text/plain") == true)
                let text = metrics.text
                for line in [
                    #"ledger_webhooks_total{outcome="appended"} 1"#, #"ledger_webhooks_total{outcome="duplicate"} 1"#,
                    #"ledger_webhooks_total{outcome="bad_signature"} 1"#, "ledger_projector_lag_events 0.0",
                    "ledger_log_head_position 1.0", "ledger_database_up 1.0", "ledger_parked_events ",
                    "ledger_append_duration_seconds_bucket", "ledger_group_commit_batch_requests_bucket",
                ] {
                    #expect(text.contains(line), "missing \(line)")
                }
                #expect(!text.contains(ServedLedger.secret))
            }
        }
    }

    @Test func theOpenAPIDocumentIsServed() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database) { server in
                let response = try await server.request("GET", "/openapi.yaml")
                #expect(response.status == 200)
                let document = try String(
                    contentsOf: Repository.root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
                #expect(response.text == document)
                let unknown = try await server.request("GET", "/nowhere")
                #expect(unknown.status == 404)
                #expect(unknown.json?["error"] is String)
            }
        }
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalDrainsInFlightWebhooksAndExitsZero(signal: Int32) async throws {
        try await TestDatabase.withMigrated { database in
            let server = try await ServedLedger.start(databaseURL: database.url)
            let port = server.port
            // Clients on threads of their own keep posting until the server stops answering.
            let clients = (0..<4).map { client in
                BackgroundThread("test.client") { () -> [String] in
                    var acknowledged: [String] = []
                    var connection = try LoopbackHTTPConnection(port: port)
                    for index in 0..<10_000 {
                        let id = "evt_drain_\(client)_\(index)"
                        let body = subscriptionEvent(id, subscription: "sub_drain\(client)")
                        guard
                            let response = try? connection.send(
                                "POST", "/webhooks/stripe",
                                headers: [("Stripe-Signature", sign(body)), ("Content-Type", "application/json")],
                                body: body)
                        else {
                            // Closed while shutting down: a new connection is refused once the server stopped.
                            guard let again = try? LoopbackHTTPConnection(port: port) else { break }
                            connection = again
                            continue
                        }
                        if response.status == 200 { acknowledged.append(id) }
                    }
                    return acknowledged
                }
            }
            try await waitUntil("some webhooks are stored") { try storedCount(database) > 50 }
            let output = await server.stop(signal)
            #expect(output.status == 0, "\(output.standardError)")
            var acknowledged: [String] = []
            for client in clients { acknowledged += try await client.value }
            let stored = Set(
                try database.connect().query("SELECT source_event_id FROM ledger.events").map {
                    try $0.decode(String.self, at: 0)
                })
            #expect(!acknowledged.isEmpty)
            #expect(acknowledged.allSatisfy(stored.contains), "an acknowledged webhook is not in the log")
            #expect(try storedCount(database) == stored.count)
        }
    }
}
