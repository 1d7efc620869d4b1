import Foundation
import LedgerCore
import Testing

@Suite("Stripe event envelope scanner")
struct StripeEventEnvelopeTests {
    typealias Expected = (
        file: String, id: String, type: String, created: Int64, objectID: String, kind: String, customer: String?
    )

    static let expected: [Expected] = [
        (
            "charge.failed.json", "evt_000000000000000000000000", "charge.failed", 1_648_320_028,
            "ch_000000000000000000000000", "charge", nil
        ),
        (
            "charge.refund.updated.json", "evt_000000000000000000000000", "charge.refund.updated", 1_648_319_945,
            "re_000000000000000000000000", "refund", nil
        ),
        (
            "charge.refunded.json", "evt_000000000000000000000000", "charge.refunded", 1_648_319_949,
            "ch_000000000000000000000000", "charge", nil
        ),
        (
            "charge.succeeded.json", "evt_000000000000000000000000", "charge.succeeded", 1_648_320_032,
            "ch_000000000000000000000000", "charge", nil
        ),
        (
            "customer.subscription.created.json", "evt_000000000000000000000000", "customer.subscription.created",
            1_648_320_110, "sub_000000000000000000000000", "subscription", "cus_00000000000000"
        ),
        (
            "customer.subscription.deleted.json", "evt_000000000000000000000000", "customer.subscription.deleted",
            1_648_320_097, "sub_000000000000000000000000", "subscription", "cus_00000000000000"
        ),
        (
            "customer.subscription.trial_will_end.json", "evt_00000000000000", "customer.subscription.trial_will_end",
            1_326_853_478, "su_00000000000000", "subscription", "cus_00000000000000"
        ),
        (
            "customer.subscription.updated.json", "evt_000000000000000000000000", "customer.subscription.updated",
            1_648_320_106, "sub_000000000000000000000000", "subscription", "cus_00000000000000"
        ),
        (
            "invoice.created.json", "evt_000000000000000000000000", "invoice.created", 1_648_320_110,
            "in_000000000000000000000000", "invoice", "cus_00000000000000"
        ),
        (
            "invoice.finalized.json", "evt_000000000000000000000000", "invoice.finalized", 1_648_320_015,
            "in_000000000000000000000000", "invoice", "cus_00000000000000"
        ),
        (
            "invoice.paid.json", "evt_000000000000000000000000", "invoice.paid", 1_648_320_015,
            "in_000000000000000000000000", "invoice", "cus_00000000000000"
        ),
        (
            "invoice.payment_action_required.json", "evt_000000000000000000000000", "invoice.payment_action_required",
            1_648_320_004, "in_000000000000000000000000", "invoice", "cus_00000000000000"
        ),
        (
            "invoice.payment_failed.json", "evt_000000000000000000000000", "invoice.payment_failed", 1_648_320_009,
            "in_000000000000000000000000", "invoice", "cus_00000000000000"
        ),
        (
            "invoice.payment_succeeded.json", "evt_000000000000000000000000", "invoice.payment_succeeded",
            1_648_320_015, "in_000000000000000000000000", "invoice", "cus_00000000000000"
        ),
        (
            "invoice.updated.json", "evt_000000000000000000000000", "invoice.updated", 1_648_320_099,
            "in_000000000000000000000000", "invoice", "cus_00000000000000"
        ),
        (
            "payment_intent.canceled.json", "evt_000000000000000000000000", "payment_intent.canceled", 1_648_320_024,
            "pi_000000000000000000000000", "payment_intent", nil
        ),
        (
            "payment_intent.created.json", "evt_000000000000000000000000", "payment_intent.created", 1_648_320_032,
            "pi_000000000000000000000000", "payment_intent", nil
        ),
        (
            "payment_intent.payment_failed.json", "evt_000000000000000000000000", "payment_intent.payment_failed",
            1_648_320_029, "pi_000000000000000000000000", "payment_intent", nil
        ),
        (
            "payment_intent.processing.json", "evt_00000000000000", "payment_intent.processing", 1_578_499_109,
            "pi_00000000000000", "payment_intent", "cus_00000000000000"
        ),
        (
            "payment_intent.requires_action.json", "evt_000000000000000000000000", "payment_intent.requires_action",
            1_648_320_004, "pi_000000000000000000000000", "payment_intent", "cus_00000000000000"
        ),
        (
            "payment_intent.succeeded.json", "evt_000000000000000000000000", "payment_intent.succeeded", 1_648_320_033,
            "pi_000000000000000000000000", "payment_intent", nil
        ),
    ]

    @Test func everyFixtureScansPrettyAndMinified() throws {
        #expect(try IngestFixtures.eventNames().count == Self.expected.count)
        for expected in Self.expected {
            let pretty = try IngestFixtures.event(expected.file)
            for bytes in [pretty, IngestFixtures.minified(pretty)] {
                let envelope = try StripeEventEnvelope.scan(bytes).get()
                #expect(envelope.id == expected.id, "\(expected.file)")
                #expect(envelope.type == expected.type, "\(expected.file)")
                #expect(envelope.created == expected.created, "\(expected.file)")
                #expect(envelope.objectID == expected.objectID, "\(expected.file)")
                #expect(envelope.objectKind == expected.kind, "\(expected.file)")
                #expect(envelope.customerID == expected.customer, "\(expected.file)")
                #expect(envelope.livemode == false, "\(expected.file)")
                let category = expected.kind == "payment_intent" ? "payment" : expected.kind
                #expect(envelope.streamID == "\(category):\(expected.objectID)", "\(expected.file)")
            }
        }
        let old = try StripeEventEnvelope.scan(IngestFixtures.event("payment_intent.processing.json")).get()
        #expect(old.apiVersion == "2018-02-28")
        let noVersion = try StripeEventEnvelope.scan(IngestFixtures.event("customer.subscription.trial_will_end.json"))
            .get()
        #expect(noVersion.apiVersion == nil)
    }

    /// A small valid event; `replacing` swaps one field's JSON text.
    static func event(
        id: String = "\"evt_1\"", type: String = "\"invoice.paid\"", created: String = "1700000000",
        object: String = #"{"id": "in_1", "object": "invoice", "customer": "cus_1"}"#
    ) -> [UInt8] {
        utf8(#"{"id": \#(id), "type": \#(type), "created": \#(created), "data": {"object": \#(object)}}"#)
    }

    @Test func escapedStringsAreUnescaped() throws {
        let envelope = try StripeEventEnvelope.scan(
            Self.event(
                id: #""evt_\u0031""#, type: #""invoice\u002epaid""#,
                object:
                    #"{"\u0069d": "in_\ud83d\ude00 \"q\" \\ \/ é", "customer": {"id": "cus_\u00e9", "object": "customer"}}"#
            )
        ).get()
        #expect(envelope.id == "evt_1")
        #expect(envelope.type == "invoice.paid")
        #expect(envelope.objectID == "in_😀 \"q\" \\ / é")
        #expect(envelope.customerID == "cus_é")
        #expect(envelope.objectKind == nil)
        #expect(envelope.streamID == "invoice:in_😀 \"q\" \\ / é")
    }

    @Test func streamIDFollowsKindElsePrefix() throws {
        let cases: [(object: String, stream: String)] = [
            (#"{"id": "sub_1", "object": "subscription"}"#, "subscription:sub_1"),
            (#"{"id": "pi_1", "object": "payment_intent"}"#, "payment:pi_1"),
            (#"{"id": "inpay_1", "object": "invoice_payment"}"#, "invoice_payment:inpay_1"),
            (#"{"id": "x_1", "object": "checkout.session"}"#, "checkout.session:x_1"),
            (#"{"id": "sub_1"}"#, "subscription:sub_1"),
            (#"{"id": "pi_1"}"#, "payment:pi_1"),
            (#"{"id": "in_1"}"#, "invoice:in_1"),
            (#"{"id": "inpay_1"}"#, "invoice_payment:inpay_1"),
            (#"{"id": "ch_1"}"#, "charge:ch_1"),
            (#"{"id": "re_1"}"#, "refund:re_1"),
            (#"{"id": "cus_1"}"#, "customer:cus_1"),
            (#"{"id": "zz_1"}"#, "object:zz_1"),
        ]
        for (object, stream) in cases {
            #expect(try StripeEventEnvelope.scan(Self.event(object: object)).get().streamID == stream, "\(object)")
        }
    }

    @Test func fieldRejectionsNameTheField() {
        let long = String(repeating: "a", count: 296)
        let cases: [(document: [UInt8], reason: String)] = [
            (utf8("{}"), "id is missing"),
            (Self.event(id: #""abc""#), #"id must start with evt_ (got "abc")"#),
            (Self.event(id: "\"evt_\(long)\""), "id is 300 characters long; at most 255"),
            (Self.event(id: #""evt_""#), "id is 4 characters long; at least 5"),
            (Self.event(id: #""evt_a-b""#), #"id may contain only letters, digits and '_' (got "evt_a-b")"#),
            (Self.event(id: "42"), "id must be a string (got a number)"),
            (Self.event(type: "null"), "type must be a string (got null)"),
            (Self.event(type: #""""#), "type is empty"),
            (
                Self.event(type: #""Invoice.Paid""#),
                #"type may contain only a-z, 0-9, '_' and '.' (got "Invoice.Paid")"#
            ),
            (Self.event(created: #""yesterday""#), "created must be an integer (got a string)"),
            (Self.event(created: "1.5"), "created must be an integer (got 1.5)"),
            (Self.event(created: "0"), "created must be between 1 and 99999999999 seconds (got 0)"),
            (
                Self.event(created: "100000000000"),
                "created must be between 1 and 99999999999 seconds (got 100000000000)"
            ),
            (Self.event(object: "[]"), "data.object must be an object (got an array)"),
            (Self.event(object: #"{"id": "in_1", "id": "in_2"}"#), "data.object.id appears more than once"),
            (
                Self.event(object: #"{"id": "in_1", "customer": "cus_1", "customer": "cus_2"}"#),
                "data.object.customer appears more than once"
            ),
            (utf8(#"{"id": "evt_1", "type": "a", "created": 1}"#), "data is missing"),
            (utf8(#"{"id": "evt_1", "type": "a", "created": 1, "data": {}}"#), "data.object is missing"),
            (
                utf8(#"{"id": "evt_1", "type": "a", "created": 1, "livemode": "no", "data": {"object": {"id": "x"}}}"#),
                "livemode must be a boolean (got a string)"
            ),
            (utf8("[1, 2]"), "event must be a JSON object (got an array)"),
        ]
        for (document, reason) in cases {
            #expect(
                StripeEventEnvelope.scan(document).failureReason == reason,
                "\(String(decoding: document, as: UTF8.self))")
        }
    }

    @Test func invalidJSONIsRejectedWithItsOffset() {
        let cases: [(document: String, reason: String)] = [
            ("", "invalid JSON at byte 0: empty document"),
            (#"{"id": "evt_1"#, "invalid JSON at byte 7: unterminated string"),
            (#"{"id": "evt_1"} x"#, "invalid JSON at byte 16: unexpected 'x' after the JSON value"),
            (#"{"id": "evt_1",}"#, "invalid JSON at byte 15: expected a string key, found '}'"),
            (#"{"a": 01}"#, "invalid JSON at byte 6: invalid number: leading zeros are not allowed"),
            (#"{"a": 1.}"#, "invalid JSON at byte 6: invalid number: a digit must follow '.'"),
            (#"{"a": -}"#, "invalid JSON at byte 6: invalid number: a digit must follow '-'"),
            (#"{"a": 1e}"#, "invalid JSON at byte 6: invalid number: the exponent needs a digit"),
            (#"{"a": tru}"#, "invalid JSON at byte 6: invalid literal (expected true)"),
            (#"{"a": "\x"}"#, "invalid JSON at byte 7: invalid escape \\'x'"),
            (#"{"a": "\ud83d"}"#, "invalid JSON at byte 7: unpaired surrogate \\uD83D"),
            (#"{"a": "\ude00x"}"#, "invalid JSON at byte 7: unpaired surrogate \\uDE00"),
            (#"{"a": "\u12g4"}"#, "invalid JSON at byte 7: \\u must be followed by four hex digits"),
            ("{\"a\": \"x\ty\"}", "invalid JSON at byte 8: control character 0x9 inside a string"),
            (#"{"a" 1}"#, "invalid JSON at byte 5: expected ':' after an object key"),
            (#"{"a": [1 2]}"#, "invalid JSON at byte 9: expected ',' or ']' in an array, found '2'"),
            (#"{"a": 1"#, "invalid JSON at byte 7: input ended inside an object"),
            (#"{"a": }"#, "invalid JSON at byte 6: unexpected '}' where a value was expected"),
        ]
        for (document, reason) in cases {
            #expect(StripeEventEnvelope.scan(utf8(document)).failureReason == reason, "\(document)")
        }
    }

    @Test func invalidUTF8IsRejected() throws {
        let prefix = utf8(#"{"id": "evt_1", "type": "a", "created": 1, "data": {"object": {"id": "in_"#)
        let suffix = utf8(#""}}}"#)
        let bad: [[UInt8]] = [
            [0xC3, 0x28], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF], [0xE2, 0x82],
        ]
        for sequence in bad {
            let result = StripeEventEnvelope.scan(prefix + sequence + suffix)
            #expect(result.failureReason?.contains("invalid UTF-8") == true, "\(sequence)")
        }
        let good: [[UInt8]] = [[0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98, 0x80]]
        for sequence in good {
            #expect(
                try StripeEventEnvelope.scan(prefix + sequence + suffix).get().objectID == "in_"
                    + String(decoding: sequence, as: UTF8.self))
        }
        #expect(
            StripeEventEnvelope.scan(utf8("{\"a\": 1, \u{00e9}: 2}")).failureReason?.contains(
                "expected a string key, found byte 0xc3") == true)
    }

    @Test func everyByteLaneOfAStringIsChecked() throws {
        // The scanner skips strings eight bytes at a time; a stop byte in any lane must still be seen.
        let prefix = utf8(#"{"id": "evt_1", "type": "a", "created": 1, "data": {"object": {"id": ""#)
        let suffix = utf8(#""}}}"#)
        for padding in 0..<20 {
            let run = [UInt8](repeating: UInt8(ascii: "a"), count: padding)
            let control = StripeEventEnvelope.scan(prefix + run + [0x01] + run + suffix)
            #expect(
                control.failureReason
                    == "invalid JSON at byte \(prefix.count + padding): control character 0x1 inside a string")
            let invalid = StripeEventEnvelope.scan(prefix + run + [0xC3, 0x28] + suffix)
            #expect(invalid.failureReason == "invalid JSON at byte \(prefix.count + padding): invalid UTF-8 sequence")
            let escaped = try StripeEventEnvelope.scan(prefix + run + utf8(#"\"é"#) + run + suffix).get()
            #expect(
                escaped.objectID == String(decoding: run, as: UTF8.self) + "\"é" + String(decoding: run, as: UTF8.self))
            let cut = StripeEventEnvelope.scan(prefix + run)
            #expect(cut.failureReason == "invalid JSON at byte \(prefix.count - 1): unterminated string")
        }
    }

    @Test func nestingDeeperThanTheLimitIsRejected() {
        func nested(_ depth: Int) -> [UInt8] {
            // The event object is level 1; `data.object.x` adds levels inside it.
            let inner = String(repeating: "[", count: depth - 3) + String(repeating: "]", count: depth - 3)
            return utf8(
                #"{"id": "evt_1", "type": "a", "created": 1, "data": {"object": {"id": "x", "deep": \#(inner)}}}"#)
        }
        #expect((try? StripeEventEnvelope.scan(nested(Limits.jsonDepthMax)).get()) != nil)
        #expect(
            StripeEventEnvelope.scan(nested(Limits.jsonDepthMax + 1)).failureReason?.hasSuffix(
                "nesting deeper than 64 levels") == true)
        let hostile = utf8(String(repeating: "[", count: 100_000))
        #expect(
            StripeEventEnvelope.scan(hostile).failureReason == "invalid JSON at byte 64: nesting deeper than 64 levels")
    }

    @Test func onlyTheEnvelopeLevelsAreRead() throws {
        // `id`, `customer` and `object` nested elsewhere must not be taken for the envelope's.
        let document = utf8(
            #"{"data": {"previous_attributes": {"object": {"id": "wrong"}}, "object": {"items": {"id": "no", "customer": "no"}, "id": "sub_9"}}, "#
                + #""meta": {"id": "evt_nested"}, "id": "evt_9", "type": "customer.subscription.updated", "created": 1700000000, "livemode": true}"#
        )
        let envelope = try StripeEventEnvelope.scan(document).get()
        #expect(envelope.id == "evt_9")
        #expect(envelope.objectID == "sub_9")
        #expect(envelope.customerID == nil)
        #expect(envelope.livemode == true)
        #expect(envelope.streamID == "subscription:sub_9")
    }

    @Test func aJSONErrorOutranksAFieldError() {
        #expect(
            StripeEventEnvelope.scan(utf8(#"{"id": "abc", "x": 01}"#)).failureReason
                == "invalid JSON at byte 19: invalid number: leading zeros are not allowed")
        let rejection = StripeEventEnvelope.scan(utf8(#"{"id": "abc"}"#)).failure
        #expect(rejection?.kind == .invalidField("id"))
    }
}

extension Result where Failure == EnvelopeRejection {
    var failure: EnvelopeRejection? {
        if case .failure(let rejection) = self { return rejection }
        return nil
    }

    var failureReason: String? { failure?.reason }
}
