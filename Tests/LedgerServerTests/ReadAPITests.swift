import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

/// In process: the application `ledger serve` runs, without the process (``InProcessLedger``).
@Suite("read API /v1")
struct ReadAPITests {
    /// A migrated database with a small generated history ingested (licenses seeded, so it projects).
    func loadHistory(_ database: TestDatabase) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let events = directory.appendingPathComponent("events.jsonl")
        let fixtures = directory.appendingPathComponent("fixtures.sql")
        let environment = ["DATABASE_URL": database.url]
        let generated = try runLedger(
            [
                "generate", "--customers", "8", "--months", "4", "--seed", "3", "--out", events.path,
                "--fixtures-sql", fixtures.path,
            ], environment: environment)
        #expect(generated.status == 0, "\(generated.standardError)")
        try database.connect().execute(try String(contentsOf: fixtures, encoding: .utf8))
        let ingested = try runLedger(["ingest", "stripe", events.path], environment: environment)
        #expect(ingested.status == 0, "\(ingested.standardError)")
    }

    @Test func theReadAPINeedsTheRightBearerToken() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database) { server in
                for path in ["/v1/status", "/v1/events", "/v1/subscriptions/sub_x", "/v1/subscriptions/sub_x/history"] {
                    let missing = try await server.get(path, token: nil)
                    #expect(missing.status == 401, "\(path)")
                    #expect(missing.header("www-authenticate")?.hasPrefix("Bearer") == true)
                    #expect(missing.json?["error"] is String)
                    #expect(try await server.get(path, token: "wrong").status == 401, "\(path)")
                    #expect(try await server.get(path, token: ServedLedger.token + "x").status == 401, "\(path)")
                    let basic = try await server.request(
                        "GET", path, headers: [("Authorization", "Basic dXNlcjpwYXNz")])
                    #expect(basic.status == 401, "\(path)")
                }
                #expect(try await server.get("/v1/status").status == 200)
                #expect(try await server.get("/v1/events").status == 200)
            }

            // No token configured: the read API is off, and says so.
            try await InProcessLedger.with(database, configure: { $0.apiTokens = [] }) { closed in
                let off = try await closed.get("/v1/status")
                #expect(off.status == 404)
                #expect((off.json?["error"] as? String)?.contains("read API is off") == true, "\(off.text)")
                #expect(try await closed.request("GET", "/healthz").status == 200)
            }
        }
    }

    @Test func eventsArePagedByPosition() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database) { server in
                let bodies = (0..<25).map { subscriptionEvent("evt_page_\($0)", subscription: "sub_page\($0 % 3)") }
                for body in bodies { #expect(try await server.postWebhook(body, signature: sign(body)).status == 200) }
                var after: Int64 = 0
                var seen: [[String: Any]] = []
                while true {
                    let page = try #require(try await server.get("/v1/events?after=\(after)&limit=10").json)
                    let events = try #require(page["events"] as? [[String: Any]])
                    #expect((page["head"] as? NSNumber)?.int64Value == 25)
                    if events.isEmpty {
                        #expect((page["next_after"] as? NSNumber)?.int64Value == after)
                        break
                    }
                    #expect(events.count <= 10)
                    seen += events
                    after = try #require((page["next_after"] as? NSNumber)?.int64Value)
                }
                #expect(seen.count == 25)
                #expect(seen.compactMap { ($0["position"] as? NSNumber)?.int64Value } == Array(1...25))
                // The body comes back byte for byte, and so does its hash chain.
                for (event, body) in zip(seen, bodies) {
                    #expect(event["body"] as? String == String(decoding: body, as: UTF8.self))
                    #expect(event["body_encoding"] as? String == "utf-8")
                    #expect(event["source"] as? String == "stripe")
                    #expect((event["hash"] as? String)?.count == 64)
                }
                let defaulted = try #require(try await server.get("/v1/events").json?["events"] as? [Any])
                #expect(defaulted.count == 25)
                for bad in ["limit=0", "limit=1001", "limit=x", "after=-1", "after=1e3"] {
                    let response = try await server.get("/v1/events?\(bad)")
                    #expect(response.status == 400, "\(bad)")
                    #expect(response.json?["error"] is String, "\(bad)")
                }
            }
        }
    }

    @Test func subscriptionsLiveHistoryAndStateAtAPastInstant() async throws {
        try await TestDatabase.withMigrated { database in
            try loadHistory(database)
            try await InProcessLedger.with(database) { server in
                let connection = try database.connect()
                let head: Int64 = try connection.query("SELECT position FROM ledger.head")[0].decode(at: 0)
                try await waitUntil("the server's projector caught up") {
                    let status = try await server.get("/v1/status").json
                    let projector = status?["projector"] as? [String: Any]
                    return (projector?["checkpoint"] as? NSNumber)?.int64Value == head
                }
                let row = try connection.query(
                    "SELECT stripe_subscription_id, id::text, status FROM subscriptions ORDER BY id LIMIT 1")[0]
                let stripeID: String = try row.decode(at: 0)
                let uuid: String = try row.decode(at: 1)
                let status: String = try row.decode(at: 2)

                for reference in [stripeID, uuid] {
                    let live = try await server.get("/v1/subscriptions/\(reference)")
                    #expect(live.status == 200, "\(live.text)")
                    let subscription = live.json?["subscription"] as? [String: Any]
                    #expect(subscription?["stripe_subscription_id"] as? String == stripeID)
                    #expect(subscription?["status"] as? String == status)
                    #expect((live.json?["checkpoint"] as? NSNumber)?.int64Value == head)
                }

                let history = try await server.get("/v1/subscriptions/\(stripeID)/history?include_payments=true")
                #expect(history.status == 200, "\(history.text)")
                let entries = try #require(history.json?["entries"] as? [[String: Any]])
                #expect(!entries.isEmpty)
                #expect(
                    entries.allSatisfy { ["applied", "ignored", "parked"].contains($0["outcome"] as? String ?? "") })
                let first = try #require((entries.first?["position"] as? NSNumber)?.int64Value)

                let atFirst = try await server.get("/v1/subscriptions/\(stripeID)?at_position=\(first)")
                #expect(atFirst.status == 200, "\(atFirst.text)")
                #expect((atFirst.json?["at_position"] as? NSNumber)?.int64Value == first)
                let now = try await server.get("/v1/subscriptions/\(stripeID)?as_of=2999-01-01")
                let rows = try #require(now.json?["subscriptions"] as? [[String: Any]])
                #expect(rows.first?["status"] as? String == status, "the state now is the live row")
                let before = try await server.get("/v1/subscriptions/\(stripeID)?as_of=2000-01-01T00:00:00Z")
                #expect(before.status == 200)
                #expect((before.json?["subscriptions"] as? [Any])?.isEmpty == true)

                #expect(try await server.get("/v1/subscriptions/sub_doesnotexist").status == 404)
                #expect(try await server.get("/v1/subscriptions/sub_doesnotexist/history").status == 404)
                #expect(try await server.get("/v1/subscriptions/\(UUID().uuidString)").status == 404)
                for bad in [
                    "cus_123", "pi_123", "nonsense", "sub_x?as_of=yesterday", "sub_x?at_position=-2",
                    "sub_x/history?include_payments=maybe",
                ] {
                    let response = try await server.get("/v1/subscriptions/\(bad)")
                    #expect(response.status == 400, "\(bad): \(response.text)")
                }
            }
        }
    }

    @Test func statusShowsTheLogTheProjectorAndGroupCommit() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database) { server in
                let body = subscriptionEvent("evt_status")
                #expect(try await server.postWebhook(body, signature: sign(body)).status == 200)
                let status = try #require(try await server.get("/v1/status").json)
                let log = status["log"] as? [String: Any]
                #expect((log?["head_position"] as? NSNumber)?.int64Value == 1)
                #expect((status["group_commit"] as? [String: Any])?["transactions"] as? Int == 1)
                let server_ = status["server"] as? [String: Any]
                #expect(server_?["webhook_secrets"] as? Int == 1)
                #expect(!status.description.contains(ServedLedger.secret))
                try await waitUntil("the projector applied the event") {
                    let projector = try await server.get("/v1/status").json?["projector"] as? [String: Any]
                    return projector?["state"] as? String == "following"
                        && (projector?["checkpoint"] as? NSNumber)?.int64Value == 1
                }
            }
        }
    }
}
