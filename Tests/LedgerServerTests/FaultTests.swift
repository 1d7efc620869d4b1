import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import LoopbackHTTPClient
import Testing

@Suite("faults: database gone, server killed")
struct FaultTests {
    /// The server reaches its database through a TCP proxy the test cuts and restores, so the
    /// database "goes away" for this server only: the shared test cluster keeps serving other tests.
    @Test func databaseLossIs503AndNothingAcknowledgedIsLost() async throws {
        try await TestDatabase.withMigrated { database in
            let target = try #require(URLComponents(string: database.url))
            let proxy = try TCPProxy(targetPort: try #require(target.port))
            defer { proxy.close() }
            var proxied = target
            proxied.port = proxy.port
            let server = try await ServedLedger.start(databaseURL: try #require(proxied.string))
            func post(_ id: String) async throws -> LoopbackHTTPResponse {
                let body = subscriptionEvent(id, subscription: "sub_fault")
                return try await server.postWebhook(body, signature: sign(body))
            }
            var acknowledged: Set<String> = []
            for index in 0..<10 where try await post("evt_before_\(index)").status == 200 {
                acknowledged.insert("evt_before_\(index)")
            }
            #expect(acknowledged.count == 10)

            proxy.cut()
            for index in 0..<10 {
                let response = try await post("evt_during_\(index)")
                #expect(response.status == 503, "\(response.status) \(response.text)")
                #expect(response.header("retry-after") != nil)
                if response.status == 200 { acknowledged.insert("evt_during_\(index)") }
            }
            #expect(try await server.request("GET", "/readyz").status == 503)
            #expect(try await server.request("GET", "/healthz").status == 200)
            #expect(try await server.get("/v1/status").status == 503)
            let metrics = try await server.request("GET", "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.text.contains("ledger_database_up 0.0"))

            proxy.restore()
            // Stripe retries what got 503; the same server recovers without a restart.
            try await waitUntil("the server appends again") { try await post("evt_during_0").status == 200 }
            for index in 0..<10 {
                let response = try await post("evt_during_\(index)")
                #expect(response.status == 200, "\(response.text)")
                acknowledged.insert("evt_during_\(index)")
            }
            for index in 0..<10 {
                let redelivery = try await post("evt_before_\(index)")
                #expect(redelivery.status == 200)
                #expect(redelivery.json?["duplicate"] as? Bool == true)
            }
            #expect(try await server.request("GET", "/readyz").status == 200)
            let stored = try database.connect().query("SELECT source_event_id FROM ledger.events").map {
                try $0.decode(String.self, at: 0)
            }
            #expect(Set(stored) == acknowledged)
            #expect(stored.count == acknowledged.count, "an event is stored twice")
            // The projector came back too.
            try await waitUntil("the projector caught up after the outage") {
                let projector = try await server.get("/v1/status").json?["projector"] as? [String: Any]
                return (projector?["checkpoint"] as? NSNumber)?.int64Value == Int64(stored.count)
            }
            let output = await server.stop()
            #expect(output.status == 0, "\(output.standardError)")
        }
    }

    /// kill -9 in the middle of a load, restart, retry what was not acknowledged: every event
    /// acknowledged with 2xx is in the log exactly once, and nothing is stored twice.
    @Test func killedMidLoadRestartedAndRetriedLosesAndDuplicatesNothing() async throws {
        try await TestDatabase.withMigrated { database in
            let port = try LoopbackHTTP.freePort()
            let first = try await ServedLedger.start(databaseURL: database.url, port: port)
            let ids = (0..<2000).map { "evt_kill_\($0)" }
            // The killer watches from a thread of its own, so a busy test run cannot make it late.
            let process = first.process
            let killer = BackgroundThread("test.killer") {
                let connection = try database.connect()
                while process.isRunning {
                    if try connection.query("SELECT count(*) FROM ledger.events")[0].decode(Int.self, at: 0) > 100 {
                        process.send(SIGKILL)
                        return
                    }
                    usleep(1_000)
                }
            }
            let load = LoadClients(port: port, ids: ids, clients: 8)
            try await killer.value
            await first.stop(SIGKILL)
            let firstRound = try await load.finish()
            #expect(firstRound.acknowledged.count < ids.count, "the server finished before it was killed")

            let second = try await ServedLedger.start(databaseURL: database.url, port: port)
            let retry = LoadClients(
                port: port, ids: ids.filter { !firstRound.acknowledged.contains($0) }, clients: 8)
            let secondRound = try await retry.finish()
            #expect(secondRound.acknowledged.count + firstRound.acknowledged.count == ids.count)
            let stored = try database.connect().query("SELECT source_event_id FROM ledger.events").map {
                try $0.decode(String.self, at: 0)
            }
            #expect(stored.count == ids.count, "an event is missing or stored twice")
            #expect(Set(stored) == Set(ids))
            #expect(firstRound.acknowledged.isSubset(of: Set(stored)))
            await second.stop()
        }
    }
}

/// Clients on threads of their own, each with a keep-alive connection, posting signed events until
/// every id is acknowledged or the server is gone.
final class LoadClients: Sendable {
    struct Result: Sendable {
        var acknowledged: Set<String>
    }

    private let threads: [BackgroundThread<Set<String>>]

    init(port: Int, ids: [String], clients: Int) {
        threads = (0..<clients).map { client in
            let mine = ids.enumerated().filter { $0.offset % clients == client }.map(\.element)
            return BackgroundThread("test.load") {
                var acknowledged: Set<String> = []
                guard var connection = try? LoopbackHTTPConnection(port: port) else { return acknowledged }
                for id in mine {
                    let body = subscriptionEvent(id, subscription: "sub_load\(client)")
                    let headers = [("Stripe-Signature", sign(body)), ("Content-Type", "application/json")]
                    guard let response = try? connection.send("POST", "/webhooks/stripe", headers: headers, body: body)
                    else {
                        guard let again = try? LoopbackHTTPConnection(port: port) else { break }
                        connection = again
                        continue
                    }
                    if (200..<300).contains(response.status) { acknowledged.insert(id) }
                }
                return acknowledged
            }
        }
    }

    func finish() async throws -> Result {
        var acknowledged: Set<String> = []
        for thread in threads { acknowledged.formUnion(try await thread.value) }
        return Result(acknowledged: acknowledged)
    }
}
