import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import LoopbackHTTPClient
import Testing

/// The HTTP edge of issue 13, each against the application `ledger serve` runs, in process (on a real
/// loopback listener where the bytes on the wire matter): a request's own bytes (headers, body
/// framing, body timing, query values) never stop the server and never get a 500. A trap, as in
/// issue 13 point 1, would take the test process down with it.
@Suite("HTTP edge: hostile headers, slow and broken bodies, query values")
struct HTTPEdgeTests {
    static let zeros = String(repeating: "0", count: 64)

    /// Issue 13 point 1: this header, with no secret known, once trapped the server (SIGILL).
    @Test func aSignatureTimestampOfInt64MinIsRefusedAndTheServerStaysUp() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database) { server in
                let body = subscriptionEvent("evt_overflow")
                for timestamp in [
                    "-9223372036854775808", "9223372036854775807", "-9223372036854775807", "-1",
                    String(repeating: "9", count: 400),
                ] {
                    let response = try await server.postWebhook(body, signature: "t=\(timestamp),v1=\(Self.zeros)")
                    #expect(response.status == 400, "t=\(timestamp.prefix(30)): \(response.text)")
                    #expect(response.json?["error"] is String)
                }
                #expect(try await server.request("GET", "/healthz").status == 200)
                let metrics = try await server.request("GET", "/metrics").text
                #expect(metrics.contains(#"ledger_webhooks_total{outcome="stale_timestamp"} 4"#), "\(metrics)")
                #expect(try storedCount(database) == 0)
            }
        }
    }

    /// A body trickled one byte at a time resets every idle timer; the body deadline still ends it:
    /// 408, then the connection is closed, and the server goes on serving. The deadline is set to 2 s
    /// (the default is 10 s): any deadline shorter than the whole trickle proves the same.
    @Test func aTrickledBodyIsAnswered408AndItsConnectionClosed() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(
                database, transport: .live, configure: { $0.requestBodyReadSeconds = 2 }
            ) { server in
                let connection = try LoopbackHTTPConnection(port: try server.port, timeoutSeconds: 60)
                let body = subscriptionEvent("evt_trickled")
                let head =
                    "POST /webhooks/stripe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Stripe-Signature: \(sign(body))\r\nContent-Length: \(body.count)\r\n\r\n"
                try connection.sendWithoutReading(Array(head.utf8))
                // One byte every 100 ms: the whole body would take far longer than the deadline.
                let trickle = connection.trickle(body, pauseMicroseconds: 100_000)
                let response = try await connection.offPool { try $0.readResponse() }
                #expect(response.status == 408, "\(response.text)")
                #expect((response.json?["error"] as? String)?.contains("did not arrive within") == true)
                #expect(
                    try await connection.offPool { $0.closedByServer() }, "the connection stayed open after the 408")
                let sent = try await trickle.value
                #expect(sent < body.count, "the server took the whole trickled body")
                connection.close()
                #expect(try await server.request("GET", "/healthz").status == 200)
                let metrics = try await server.request("GET", "/metrics").text
                #expect(metrics.contains(#"ledger_webhooks_total{outcome="too_slow"} 1"#))
                #expect(try storedCount(database, sourceEventID: "evt_trickled") == 0)
            }
        }
    }

    /// Chunked bodies whose framing is broken are the client's fault: 400 and the connection closed.
    @Test func malformedChunkingIsAnswered400NeverA500() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database, transport: .live) { server in
                let body = subscriptionEvent("evt_chunked")
                let head =
                    "POST /webhooks/stripe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Stripe-Signature: \(sign(body))\r\nTransfer-Encoding: chunked\r\n\r\n"
                let text = String(decoding: body, as: UTF8.self)
                let broken: [(String, String)] = [
                    ("size not hex", "zz\r\n\(text)\r\n0\r\n\r\n"),
                    ("size beyond 64 bits", "ffffffffffffffffffffffff\r\n\(text)\r\n0\r\n\r\n"),
                    ("no CRLF after the data", "5\r\nhelloXX3\r\nabc\r\n0\r\n\r\n"),
                    ("negative size", "-5\r\nhello\r\n0\r\n\r\n"),
                    ("NUL in the size line", "5\u{0}\r\nhello\r\n0\r\n\r\n"),
                ]
                for (what, chunks) in broken {
                    let connection = try LoopbackHTTPConnection(port: try server.port)
                    defer { connection.close() }
                    let request = Array((head + chunks).utf8)
                    let response = try await connection.offPool { try $0.sendRaw(request) }
                    #expect(response.status == 400, "\(what): \(response.status) \(response.text)")
                    #expect(try await connection.offPool { $0.closedByServer() }, "\(what): the connection stayed open")
                }
                // Well-formed chunks are read as the body.
                let split = body.count / 2
                let good =
                    String(split, radix: 16) + "\r\n" + String(decoding: body[..<split], as: UTF8.self) + "\r\n"
                    + String(body.count - split, radix: 16) + "\r\n" + String(decoding: body[split...], as: UTF8.self)
                    + "\r\n0\r\n\r\n"
                let accepted = try await LoopbackHTTP.raw(port: try server.port, Array((head + good).utf8))
                #expect(accepted.status == 200, "\(accepted.text)")
                #expect(try await server.request("GET", "/healthz").status == 200)
            }
        }
    }

    /// Webhook bodies are read before anything is authenticated, so only so many are read at once:
    /// past the cap the answer is 503 with Retry-After, nothing of the body is read, and the
    /// connection is closed; once the held reads end, webhooks are taken again.
    @Test func webhookBodyReadsOverTheCapAre503WithRetryAfter() async throws {
        try await TestDatabase.withMigrated { database in
            // A small cap (`--webhook-body-reads`) and the longest body deadline (`--body-read-timeout`), so
            // the held reads are still being read when the one over the cap arrives, however loaded the machine.
            let cap = 8
            let bounds = (cap, Limits.requestBodyReadSecondsMax)
            try await InProcessLedger.with(
                database, transport: .live,
                configure: { ($0.webhookBodyReadsInFlight, $0.requestBodyReadSeconds) = bounds }
            ) { server in
                let head =
                    "POST /webhooks/stripe HTTP/1.1\r\nHost: 127.0.0.1\r\nStripe-Signature: t=1,v1=\(Self.zeros)\r\n"
                    + "Content-Length: 1048576\r\n\r\n"
                var held: [LoopbackHTTPConnection] = []
                defer { for connection in held { connection.close() } }
                for _ in 0..<cap {
                    let connection = try LoopbackHTTPConnection(port: try server.port)
                    try connection.sendWithoutReading(Array((head + "{").utf8))
                    held.append(connection)
                }
                try await waitUntil("the server reads \(cap) bodies at once") {
                    try await server.request("GET", "/metrics").text.contains(
                        "ledger_webhook_body_reads_in_flight \(cap).0")
                }
                let body = subscriptionEvent("evt_over_cap")
                let refused = try await server.postWebhook(body, signature: sign(body))
                #expect(refused.status == 503, "\(refused.text)")
                #expect(refused.header("retry-after") == "\(Limits.retryAfterSeconds)")
                #expect(refused.header("connection") == "close")
                #expect((refused.json?["error"] as? String)?.contains("retry") == true)
                // Reads and health checks other than webhook bodies are not capped.
                #expect(try await server.request("GET", "/healthz").status == 200)
                for connection in held { connection.close() }
                held = []
                try await waitUntil("the held reads end") {
                    try await server.request("GET", "/metrics").text.contains("ledger_webhook_body_reads_in_flight 0.0")
                }
                let accepted = try await server.postWebhook(body, signature: sign(body))
                #expect(accepted.status == 200, "\(accepted.text)")
                let metrics = try await server.request("GET", "/metrics").text
                #expect(metrics.contains(#"ledger_webhooks_total{outcome="over_capacity"} 1"#))
            }
        }
    }

    /// Every query parameter of the read API is checked: a value out of range, unparsable, outside
    /// 1970–9999, repeated or unknown is a 400 naming the parameter, never a 500.
    @Test func queryValuesOutOfRangeAre400NamingTheParameter() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database) { server in
                let body = subscriptionEvent("evt_query", subscription: "sub_query")
                #expect(try await server.postWebhook(body, signature: sign(body)).status == 200)
                let refused: [(String, String)] = [
                    ("/v1/subscriptions/sub_query?as_of=0001-01-01", "as_of"),
                    ("/v1/subscriptions/sub_query?as_of=1969-12-31T23:59:59Z", "as_of"),
                    ("/v1/subscriptions/sub_query?as_of=10000-01-01", "as_of"),
                    ("/v1/subscriptions/sub_query?as_of=+275760-09-13T00:00:00Z", "as_of"),
                    ("/v1/subscriptions/sub_query?as_of=2025-13-01", "as_of"),
                    ("/v1/subscriptions/sub_query?as_of=%00", "as_of"),
                    ("/v1/subscriptions/sub_query?as_of=\(String(repeating: "9", count: 700))", "as_of"),
                    ("/v1/subscriptions/sub_query?at_position=-1", "at_position"),
                    ("/v1/subscriptions/sub_query?at_position=9223372036854775808", "at_position"),
                    ("/v1/subscriptions/sub_query?at_position=1e3", "at_position"),
                    ("/v1/subscriptions/sub_query?at_position=1&at_position=2", "at_position"),
                    ("/v1/subscriptions/sub_query?asof=2025-01-01", "asof"),
                    ("/v1/events?limit=0", "limit"),
                    ("/v1/events?limit=1001", "limit"),
                    ("/v1/events?limit=2147483648", "limit"),
                    ("/v1/events?limit=%FF%FE", "limit"),
                    ("/v1/events?after=-9223372036854775808", "after"),
                    ("/v1/events?after=99999999999999999999", "after"),
                    ("/v1/events?after=1.5", "after"),
                    ("/v1/subscriptions/sub_query/history?include_payments=yes", "include_payments"),
                    ("/v1/status?verbose=1", "verbose"),
                ]
                for (path, parameter) in refused {
                    let response = try await server.get(path)
                    #expect(response.status == 400, "\(path.prefix(80)): \(response.status) \(response.text)")
                    let message = response.json?["error"] as? String ?? ""
                    #expect(message.contains(parameter), "\(path.prefix(80)): \(message)")
                }
                for path in [
                    "/v1/subscriptions/sub_query?as_of=1970-01-01", "/v1/subscriptions/sub_query?as_of=9999-12-31",
                    "/v1/subscriptions/sub_query?as_of=2030-01-01T00:00:00.123456Z",
                    "/v1/subscriptions/sub_query?at_position=9223372036854775807",
                    "/v1/events?after=9223372036854775807&limit=1000", "/v1/events?after=0&limit=1",
                    "/v1/subscriptions/sub_query/history?include_payments=true",
                ] {
                    let response = try await server.get(path)
                    #expect(response.status < 500, "\(path): \(response.status) \(response.text)")
                    #expect(response.status != 400, "\(path): \(response.text)")
                }
                #expect(try await server.request("GET", "/healthz").status == 200)
            }
        }
    }
}
