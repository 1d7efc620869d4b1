import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import LoopbackHTTPClient
import Testing

@Suite("POST /webhooks/stripe")
struct WebhookTests {
    @Test func everyFixtureSignedByStripesLibraryIsStoredOnceAndProjected() async throws {
        try await TestDatabase.withMigrated { database in
            let server = try await ServedLedger.start(databaseURL: database.url)
            let fixtures = try WebhookFixture.all()
            #expect(fixtures.count >= 20)
            let now = unixNow()
            let signatures = try await PythonTools.stripeSignatures(
                fixtures.map { ($0.body, ServedLedger.secret, now) })
            var positions: [String: Int64] = [:]
            for (fixture, signature) in zip(fixtures, signatures) {
                let response = try await server.postWebhook(fixture.body, signature: signature)
                #expect(response.status == 200, "\(fixture.name): \(response.text)")
                #expect(response.json?["duplicate"] as? Bool == false, "\(fixture.name)")
                #expect(response.json?["event_id"] as? String == fixture.eventID)
                positions[fixture.eventID] = (response.json?["position"] as? NSNumber)?.int64Value
            }
            // Every redelivery: 200, the original position, nothing written.
            for (fixture, signature) in zip(fixtures, signatures) {
                let response = try await server.postWebhook(fixture.body, signature: signature)
                #expect(response.status == 200, "\(fixture.name): \(response.text)")
                #expect(response.json?["duplicate"] as? Bool == true, "\(fixture.name)")
                #expect((response.json?["position"] as? NSNumber)?.int64Value == positions[fixture.eventID])
            }
            #expect(try storedCount(database) == fixtures.count)
            // Stored byte for byte as received (the signature can be checked again from the log).
            let events = try EventStore(connection: try database.connect()).read(after: 0)
            for (event, fixture) in zip(events, fixtures) {
                #expect(event.body == fixture.body, "\(fixture.name) not stored verbatim")
                #expect(event.sourceEventID == fixture.eventID)
            }
            // The projector in the server applies them all.
            let head = Int64(fixtures.count)
            try await waitUntil("the projector reached the head") {
                let status = try await server.get("/v1/status").json
                let projector = status?["projector"] as? [String: Any]
                return (projector?["checkpoint"] as? NSNumber)?.int64Value == head
            }
            let output = await server.stop()
            #expect(output.status == 0, "\(output.standardError)")
        }
    }

    @Test func signaturesAreCheckedAsStripeMakesThem() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database) { server in
                let body = subscriptionEvent("evt_sig_ok")
                var stored = 0
                func expect(_ body: [UInt8], _ signature: String?, status: Int, _ comment: Comment) async throws {
                    let response = try await server.postWebhook(body, signature: signature)
                    #expect(response.status == status, "\(comment): \(response.text)")
                    #expect(response.header("content-type") == "application/json", "\(comment)")
                    if status == 200 { stored += 1 } else { #expect(response.json?["error"] is String, "\(comment)") }
                }
                try await expect(body, sign(body), status: 200, "our signer, right secret")
                try await expect(
                    subscriptionEvent("evt_sig_wrong"), sign(subscriptionEvent("evt_sig_wrong"), secret: "whsec_other"),
                    status: 400, "wrong secret")
                // The exact 300 s boundary is tested with an injected clock (StripeSignatureTests); the server
                // reads its own clock a moment later, so these stay a minute clear of it: a
                // signature 301 s ahead became 300 s ahead, and accepted, whenever a second ticked in between.
                let stale = subscriptionEvent("evt_sig_stale")
                try await expect(stale, sign(stale, at: unixNow() - 360), status: 400, "6 minutes old")
                let future = subscriptionEvent("evt_sig_future")
                try await expect(future, sign(future, at: unixNow() + 360), status: 400, "6 minutes ahead")
                let within = subscriptionEvent("evt_sig_within")
                try await expect(within, sign(within, at: unixNow() - 200), status: 200, "within the tolerance")
                try await expect(subscriptionEvent("evt_sig_missing"), nil, status: 400, "no header")
                try await expect(subscriptionEvent("evt_sig_garbled"), "t=abc,v1=zz", status: 400, "garbled header")
                var tampered = subscriptionEvent("evt_sig_tampered")
                let signature = sign(tampered)
                tampered[tampered.count - 3] = UInt8(ascii: " ")
                try await expect(tampered, signature, status: 400, "body changed after signing")
                #expect(try storedCount(database) == stored)
                #expect(try storedCount(database, sourceEventID: "evt_sig_tampered") == 0)
            }
        }
    }

    @Test func rotatedSecretsFromAFileAreAllAccepted() async throws {
        try await TestDatabase.withMigrated { database in
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID())")
            defer { try? FileManager.default.removeItem(at: file) }
            try Data("# old and new, during rotation\nwhsec_old_1234\n\nwhsec_new_5678\n".utf8).write(to: file)
            let server = try await ServedLedger.start(
                databaseURL: database.url, arguments: ["--webhook-secrets-file", file.path])
            let old = subscriptionEvent("evt_rot_old")
            let new = subscriptionEvent("evt_rot_new")
            let neither = subscriptionEvent("evt_rot_neither")
            let headers = try await PythonTools.stripeSignatures([
                (old, "whsec_old_1234", unixNow()), (new, "whsec_new_5678", unixNow()),
                (neither, ServedLedger.secret, unixNow()),
            ])
            #expect(try await server.postWebhook(old, signature: headers[0]).status == 200)
            #expect(try await server.postWebhook(new, signature: headers[1]).status == 200)
            // The file replaces STRIPE_WEBHOOK_SECRETS, whose secret signed this one.
            #expect(try await server.postWebhook(neither, signature: headers[2]).status == 400)
            // A header carrying two v1 signatures (Stripe sends one per active secret) passes on either.
            let both = subscriptionEvent("evt_rot_both")
            let now = unixNow()
            let twice =
                sign(both, secret: "whsec_unknown", at: now) + ","
                + sign(both, secret: "whsec_new_5678", at: now).split(separator: ",")[1]
            #expect(try await server.postWebhook(both, signature: twice).status == 200)
            #expect(try storedCount(database) == 3)
            await server.stop()
        }
    }

    @Test func aSignedInvalidEventIsKeptAsRejectedAndUnsignedGarbageIsNot() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database) { server in
                let invalid = Array(#"{"id":"evt_no_type","object":"event","created":1700000000}"#.utf8)
                let response = try await server.postWebhook(invalid, signature: sign(invalid))
                #expect(response.status == 400)
                #expect((response.json?["error"] as? String)?.hasPrefix("invalid event") == true, "\(response.text)")
                let notJSON = Array("this is not json".utf8)
                #expect(try await server.postWebhook(notJSON, signature: sign(notJSON)).status == 400)
                #expect(try await server.postWebhook(Array("unsigned garbage".utf8), signature: nil).status == 400)
                #expect(
                    try await server.postWebhook(invalid, signature: sign(invalid, secret: "whsec_x")).status == 400)
                let rows = try database.connect().query(
                    "SELECT origin, source, body FROM ledger.rejected_inputs ORDER BY id")
                #expect(rows.count == 2)
                for row in rows {
                    #expect(try row.decode(String.self, at: 0) == "webhook")
                    #expect(try row.decode(String.self, at: 1) == "stripe")
                }
                #expect(try rows[0].decode([UInt8].self, at: 2) == invalid)
                #expect(try storedCount(database) == 0)
            }
        }
    }

    @Test func bodiesOverTheLimitAre413AndNoSecretMeans503() async throws {
        try await TestDatabase.withMigrated { database in
            let small = subscriptionEvent("evt_small")
            try await InProcessLedger.with(database, configure: { $0.webhookBodyBytesMax = 2000 }) { server in
                var large = subscriptionEvent("evt_large")
                large.insert(contentsOf: Array(repeating: UInt8(ascii: " "), count: 3000), at: 1)
                let response = try await server.postWebhook(large, signature: sign(large))
                #expect(response.status == 413, "\(response.text)")
                #expect(response.json?["error"] is String)
                #expect(try await server.postWebhook(small, signature: sign(small)).status == 200)
            }

            try await InProcessLedger.with(database, configure: { $0.webhookSecrets = [] }) { unconfigured in
                let refused = try await unconfigured.postWebhook(small, signature: sign(small))
                #expect(refused.status == 503)
                #expect(refused.header("retry-after") != nil)
            }
        }
    }

    @Test func randomBytesAndHugeHeadersAreAnswered4xx() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database, transport: .live) { server in
                let seed = TestSeed.value(default: 19)
                var generator = SeededGenerator(seed: seed)
                for round in 0..<20 {
                    let noise = (0..<(16 + round * 97)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                    // Random bytes as the whole request: not HTTP at all.
                    if let response = try? await LoopbackHTTP.raw(port: try server.port, noise + Array("\r\n\r\n".utf8))
                    {
                        #expect(
                            (400..<500).contains(response.status), "seed \(seed), round \(round): \(response.status)")
                    }
                    // Random bytes as a webhook body, with and without a plausible signature.
                    let unsigned = try await server.postWebhook(noise, signature: nil)
                    #expect(unsigned.status == 400, "seed \(seed), round \(round)")
                    let signed = try await server.postWebhook(
                        noise, signature: "t=\(unixNow()),v1=" + String(repeating: "ab", count: 32))
                    #expect(signed.status == 400, "seed \(seed), round \(round)")
                }
                let huge = String(repeating: "x", count: 100_000)
                let response = try await server.request(
                    "POST", "/webhooks/stripe", headers: [("Stripe-Signature", huge)], body: subscriptionEvent("evt_h"))
                #expect((400..<500).contains(response.status), "\(response.status)")
                let many = (0..<300).map { ("X-Filler-\($0)", "value") }
                #expect((400..<500).contains(try await server.request("GET", "/healthz", headers: many).status))
                // The server is still well.
                #expect(try await server.request("GET", "/healthz").status == 200)
                #expect(try storedCount(database) == 0)
            }
        }
    }
}

/// Issue 13 point 5: a signed, well-formed Stripe event whose `data.object` has no `id` is still an
/// event Stripe expects acknowledged (it retries 4xx for three days and disables the endpoint).
@Suite("POST /webhooks/stripe: events without an object id")
struct IdlessWebhookTests {
    /// `balance.available`: its object (`balance`, Stripe's own example from fixtures3) has no id.
    static func balanceAvailable(_ eventID: String) throws -> [UInt8] {
        let fixtures = Repository.stripeFixtures.appendingPathComponent("openapi/fixtures3-2026-07-29.json")
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures)) as? [String: Any]
        let resources = try #require(document?["resources"] as? [String: Any])
        let balance = try #require(resources["balance"] as? [String: Any])
        #expect(balance["id"] == nil, "the fixture's balance has an id now")
        let object = String(decoding: try JSONSerialization.data(withJSONObject: balance), as: UTF8.self)
        return Array(
            #"{"id":"\#(eventID)","object":"event","api_version":"2026-07-29","created":1764000000,"data":{"object":\#(object)},"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"balance.available"}"#
                .utf8)
    }

    /// `invoice.upcoming` as Stripe delivers it: the recorded `invoice.created` delivery, retyped,
    /// without `data.object.id` (an upcoming invoice is not created yet).
    static func invoiceUpcoming(_ eventID: String) throws -> [UInt8] {
        let file = Repository.stripeFixtures.appendingPathComponent("webhook-events-2020-08-27/invoice.created.json")
        var text = try String(contentsOf: file, encoding: .utf8)
        let withoutID = text.replacingOccurrences(
            of: #""id": "in_[0-9A-Za-z]+",\s*"#, with: "", options: .regularExpression)
        #expect(withoutID != text, "the fixture's invoice id was not found")
        text = withoutID.replacingOccurrences(of: #""type": "invoice.created""#, with: #""type": "invoice.upcoming""#)
            .replacingOccurrences(of: #""evt_0+""#, with: "\"\(eventID)\"", options: .regularExpression)
        #expect(text.contains("invoice.upcoming"))
        return Array(text.utf8)
    }

    @Test func balanceAvailableAndAnUpcomingInvoiceAreAcknowledgedAndStoredOnce() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database) { server in
                let events = [
                    ("evt_balance_available", try Self.balanceAvailable("evt_balance_available")),
                    ("evt_invoice_upcoming", try Self.invoiceUpcoming("evt_invoice_upcoming")),
                ]
                // Signed by Stripe's own library, as a real delivery is.
                let signatures = try await PythonTools.stripeSignatures(
                    events.map { ($0.1, ServedLedger.secret, unixNow()) })
                var positions: [String: Int64] = [:]
                for ((id, body), signature) in zip(events, signatures) {
                    let response = try await server.postWebhook(body, signature: signature)
                    #expect(response.status == 200, "\(id): \(response.text)")
                    #expect(response.json?["duplicate"] as? Bool == false, "\(id)")
                    #expect(response.json?["event_id"] as? String == id)
                    positions[id] = (response.json?["position"] as? NSNumber)?.int64Value
                }
                for ((id, body), signature) in zip(events, signatures) {
                    let again = try await server.postWebhook(body, signature: signature)
                    #expect(again.status == 200, "\(id): \(again.text)")
                    #expect(again.json?["duplicate"] as? Bool == true, "\(id)")
                    #expect((again.json?["position"] as? NSNumber)?.int64Value == positions[id])
                }
                for (id, body) in events {
                    #expect(try storedCount(database, sourceEventID: id) == 1, "\(id)")
                    let stored = try database.connect().query(
                        "SELECT body FROM ledger.events WHERE source_event_id = $1", [id])
                    #expect(try stored.first?.decode([UInt8].self, at: 0) == body, "\(id) not stored verbatim")
                }
                let rejected = try database.connect().query("SELECT count(*) FROM ledger.rejected_inputs")
                #expect(try rejected[0].decode(Int.self, at: 0) == 0)
                // The projector goes past them (it does not read balances or upcoming invoices).
                try await waitUntil("the projector passed both events") {
                    let projector = try await server.get("/v1/status").json?["projector"] as? [String: Any]
                    return (projector?["checkpoint"] as? NSNumber)?.int64Value == 2
                }
            }
        }
    }
}
