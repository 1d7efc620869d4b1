import Foundation
import LedgerTestSupport
import Testing

/// The read API refuses what the CLI refuses: a time without a zone, or a position past the head, is a 400
/// naming the accepted forms, never a 200 with an empty or future state.
@Suite("read API audit inputs")
struct AuditInputServeTests {
    @Test func zonelessTimesAndPositionsPastTheHeadAre400() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database) { server in
                let body = subscriptionEvent("evt_audit_input", subscription: "sub_audit")
                #expect(try await server.postWebhook(body, signature: sign(body)).status == 200)

                for time in [
                    "2025-03-01T12:00:00", "2026-12-02T09:29:45.123456", "2025%2F03%2F01", "2025-03-01%2012:00:00",
                ] {
                    let response = try await server.get("/v1/subscriptions/sub_audit?as_of=\(time)")
                    #expect(response.status == 400, "\(time): \(response.text)")
                    let message = response.json?["error"] as? String ?? ""
                    #expect(message.contains("with a zone"), "\(time): \(message)")
                }
                let beyond = try await server.get("/v1/subscriptions/sub_audit?at_position=2")
                #expect(beyond.status == 400, "\(beyond.text)")
                #expect(
                    (beyond.json?["error"] as? String)?.contains("beyond the log's head (1)") == true, "\(beyond.text)")
                // A zoned time keeps its microseconds and is answered.
                let zoned = try await server.get("/v1/subscriptions/sub_audit?as_of=2099-03-01T12:00:00.000001Z")
                #expect(zoned.status == 200, "\(zoned.text)")
                #expect(try await server.get("/v1/subscriptions/sub_audit?at_position=1").status == 200)
            }
        }
    }
}
