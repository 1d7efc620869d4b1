import Foundation
import LedgerCore
import LedgerTestRandom
import LedgerTestSupport
import Testing

/// Issue 13 point 5: a well-formed Stripe event is accepted whatever its `data.object` holds.
@Suite("Stripe event envelope: the object never refuses an event")
struct StripeEventEnvelopeObjectTests {
    /// A Stripe event around `object` (JSON text), shaped like the recorded 2020-08-27 deliveries.
    static func event(_ id: String, type: String, object: String, created: Int64 = 1_700_000_000) -> [UInt8] {
        utf8(
            #"{"id": "\#(id)", "object": "event", "api_version": "2025-02-24.acacia", "created": \#(created), "#
                + #""data": {"object": \#(object)}, "livemode": false, "pending_webhooks": 1, "#
                + #""request": {"id": null, "idempotency_key": null}, "type": "\#(type)"}"#)
    }

    /// Stripe's own example `balance` (openapi fixtures3): an object with no `id` at all.
    static func balanceObject() throws -> String {
        try OpenAPIFixture.resource("balance")
    }

    @Test func balanceAvailableWithoutAnObjectIDGetsItsOwnStream() throws {
        let envelope = try StripeEventEnvelope.scan(
            Self.event("evt_balance1", type: "balance.available", object: try Self.balanceObject())
        ).get()
        #expect(envelope.objectID == nil)
        #expect(envelope.objectKind == "balance")
        #expect(envelope.streamID == "event:evt_balance1")
    }

    @Test func upcomingInvoiceWithoutAnIDGetsItsOwnStreamAndKeepsItsCustomer() throws {
        // Real `invoice.upcoming` deliveries carry a preview invoice that has no id yet.
        let invoice = try OpenAPIFixture.resource("invoice", removing: "id")
        let envelope = try StripeEventEnvelope.scan(
            Self.event("evt_upcoming1", type: "invoice.upcoming", object: invoice)
        )
        .get()
        #expect(envelope.objectID == nil)
        #expect(envelope.objectKind == "invoice")
        #expect(envelope.customerID != nil)
        #expect(envelope.streamID == "event:evt_upcoming1")
    }

    @Test func anObjectIDThatCannotNameAStreamGivesTheEventItsOwnStream() throws {
        let euro = "\u{20AC}"  // 3 UTF-8 bytes, 1 character
        let cases: [(object: String, objectID: String?, stream: String)] = [
            (#"{"object": "invoice"}"#, nil, "event:evt_1"),
            (#"{"id": null, "object": "invoice"}"#, nil, "event:evt_1"),
            (#"{"id": 42, "object": "invoice"}"#, nil, "event:evt_1"),
            (#"{"id": {"nested": true}}"#, nil, "event:evt_1"),
            (#"{"id": ""}"#, nil, "event:evt_1"),
            (#"{"id": "in_\u0007"}"#, "in_\u{07}", "event:evt_1"),
            (#"{"id": "in_\u0000"}"#, "in_\u{00}", "event:evt_1"),
            (#"{"id": "in_\u0085x"}"#, "in_\u{85}x", "event:evt_1"),
            // 601 UTF-8 bytes in 203 characters: within the 255-character bound, past the 512-byte stream id.
            (
                #"{"id": "sub_\#(String(repeating: euro, count: 199))"}"#, "sub_" + String(repeating: euro, count: 199),
                "event:evt_1"
            ),
            // 256 characters: longer than any Stripe id the ledger names a stream after.
            (
                #"{"id": "in_\#(String(repeating: "a", count: 253))"}"#, "in_" + String(repeating: "a", count: 253),
                "event:evt_1"
            ),
        ]
        for (object, objectID, stream) in cases {
            let envelope = try StripeEventEnvelope.scan(StripeEventEnvelopeTests.event(object: object)).get()
            #expect(envelope.objectID == objectID, "\(object)")
            #expect(envelope.streamID == stream, "\(object)")
        }
    }

    @Test func theStreamIDBoundIsExactInBytes() throws {
        let euro = "\u{20AC}"
        // "subscription:" is 13 bytes; "sub_" + 165 × 3 bytes = 499 → 512 bytes, the schema's bound.
        let fits = "sub_" + String(repeating: euro, count: 165)
        let fitting = try StripeEventEnvelope.scan(StripeEventEnvelopeTests.event(object: #"{"id": "\#(fits)"}"#))
            .get()
        #expect(fitting.streamID == "subscription:\(fits)")
        #expect(fitting.streamID.utf8.count == Limits.streamIDBytesMax)
        let over = fits + "a"
        let overflowing = try StripeEventEnvelope.scan(StripeEventEnvelopeTests.event(object: #"{"id": "\#(over)"}"#))
            .get()
        #expect(overflowing.objectID == over)
        #expect(overflowing.streamID == "event:evt_1")
    }

    @Test func everyAcceptedEnvelopeHasAStreamIDTheSchemaAccepts() throws {
        // Property: whatever id the object holds, the stream id fits `events_stream_id_check` and has no NUL.
        let seed = TestSeed.value(default: 19)
        var generator = SeededGenerator(seed: seed)
        let alphabet: [String] = ["a", "_", "\u{20AC}", "\u{1F600}", "\\u0000", "\\u001f", "\\u0085", "\\\"", "é"]
        for _ in 0..<500 {
            let length = Int.random(in: 0...300, using: &generator)
            let id = (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? "a" }.joined()
            let kind =
                ["", #", "object": "subscription""#, #", "object": "Bad Kind""#, #", "object": 7"#]
                .randomElement(using: &generator) ?? ""
            let envelope = try StripeEventEnvelope.scan(
                StripeEventEnvelopeTests.event(object: #"{"id": "\#(id)"\#(kind)}"#)
            ).get()
            let stream = envelope.streamID.utf8
            #expect(
                (1...Limits.streamIDBytesMax).contains(stream.count) && !stream.contains(0),
                "seed \(seed): id \(id) gave stream \(envelope.streamID)")
        }
    }

    @Test func anUnusableKindOrCustomerIsLeftOutNotRefused() throws {
        let cases: [(object: String, kind: String?, customer: String?, stream: String)] = [
            (#"{"id": "sub_1", "object": "Subscription"}"#, nil, nil, "subscription:sub_1"),
            (#"{"id": "sub_1", "object": 7}"#, nil, nil, "subscription:sub_1"),
            (#"{"id": "in_1", "customer": 7}"#, nil, nil, "invoice:in_1"),
            (#"{"id": "in_1", "customer": {"object": "customer"}}"#, nil, nil, "invoice:in_1"),
            (#"{"id": "in_1", "customer": "cus_\u0000"}"#, nil, nil, "invoice:in_1"),
            (#"{"id": "in_1", "customer": "\#(String(repeating: "c", count: 256))"}"#, nil, nil, "invoice:in_1"),
            (#"{"id": "in_1", "customer": {"id": "cus_9"}}"#, nil, "cus_9", "invoice:in_1"),
        ]
        for (object, kind, customer, stream) in cases {
            let envelope = try StripeEventEnvelope.scan(StripeEventEnvelopeTests.event(object: object)).get()
            #expect(envelope.objectKind == kind, "\(object)")
            #expect(envelope.customerID == customer, "\(object)")
            #expect(envelope.streamID == stream, "\(object)")
        }
    }

    @Test func createdIsCheckedAgainstItsWindowWithoutOverflow() throws {
        let latest = Limits.envelopeCreatedSecondsMax
        for accepted in ["1", "\(latest)"] {
            #expect(throws: Never.self) {
                try StripeEventEnvelope.scan(StripeEventEnvelopeTests.event(created: accepted)).get()
            }
        }
        for refused in [
            "-1", "\(latest + 1)", "9223372036854775807", "99999999999999999999999", "-9223372036854775808",
        ] {
            #expect(
                StripeEventEnvelope.scan(StripeEventEnvelopeTests.event(created: refused)).failureReason
                    == "created must be between 1 and \(latest) seconds (got \(refused))")
        }
        #expect(
            StripeEventEnvelope.scan(StripeEventEnvelopeTests.event(created: "1e10")).failureReason
                == "created must be an integer (got 1e10)")
    }
}

/// Stripe's example objects from `Tests/Fixtures/stripe/openapi/fixtures3-2026-07-29.json`.
enum OpenAPIFixture {
    static let file = Repository.stripeFixtures.appendingPathComponent("openapi/fixtures3-2026-07-29.json")

    /// The example `name` as compact JSON text, without the keys in `removing`.
    static func resource(_ name: String, removing: String...) throws -> String {
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
        let resources = all?["resources"] as? [String: Any]
        guard var object = resources?[name] as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "no resource \(name)"])
        }
        for key in removing { object[key] = nil }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
