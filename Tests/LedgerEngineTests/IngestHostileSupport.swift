import Foundation
import LedgerCore
import LedgerTestSupport

/// The inputs of issue 13 points 5 and 6, built from the real Stripe shapes in `Tests/Fixtures/stripe`.
enum IngestHostileInput {
    static let events = Repository.stripeFixtures.appendingPathComponent("webhook-events-2020-08-27")
    static let openAPI = Repository.stripeFixtures.appendingPathComponent("openapi/fixtures3-2026-07-29.json")

    /// A recorded webhook event as one compact line, with its own `evt_` id (the recordings share a zeroed one).
    static func recorded(_ file: String, id: String, objectID: String? = nil) throws -> String {
        var event = try object(Data(contentsOf: events.appendingPathComponent(file)))
        event["id"] = id
        if let objectID {
            var data = event["data"] as? [String: Any] ?? [:]
            var inner = data["object"] as? [String: Any] ?? [:]
            inner["id"] = objectID
            data["object"] = inner
            event["data"] = data
        }
        return try line(event)
    }

    /// A delivery of `type` around Stripe's example `resource` (openapi fixtures3) without the keys in `removing`.
    static func delivery(_ id: String, type: String, resource: String, removing: [String] = []) throws -> String {
        let resources = try object(Data(contentsOf: openAPI))["resources"] as? [String: Any]
        var inner = resources?[resource] as? [String: Any] ?? [:]
        for key in removing { inner[key] = nil }
        return try line([
            "id": id, "object": "event", "api_version": "2025-02-24.acacia", "created": 1_700_000_000,
            "livemode": false, "pending_webhooks": 1, "type": type, "data": ["object": inner],
        ])
    }

    /// A subscription event over one MiB long (a huge metadata value): valid, but past `ingestDocumentBytesMax`.
    static func oversized(_ id: String) throws -> String {
        var event = try object(Data(contentsOf: events.appendingPathComponent("customer.subscription.updated.json")))
        event["id"] = id
        var data = event["data"] as? [String: Any] ?? [:]
        var inner = data["object"] as? [String: Any] ?? [:]
        inner["metadata"] = ["note": String(repeating: "x", count: Limits.ingestDocumentBytesMax)]
        data["object"] = inner
        event["data"] = data
        return try line(event)
    }

    /// 204 characters, 600 UTF-8 bytes: within the envelope's 255 characters, past the 512-byte stream id.
    static let longObjectID = "sub_" + String(repeating: "\u{20AC}", count: 198) + "ab"

    /// One line per numbered failure, with what each must become.
    struct Mixed {
        var text: String
        /// `evt_` ids that must be stored, with the stream each must land in.
        var stored: [(id: String, stream: String)]
        /// 1-based lines that must be in `ledger.rejected_inputs`, with a fragment of their reason.
        var rejected: [(line: Int, reason: String)]
    }

    /// BOM + valid, `balance.available`, id-less `invoice.upcoming`, 600-byte object id, garbage,
    /// a recorded PaymentIntent event, an oversized document, and a valid event after it.
    static func mixed() throws -> Mixed {
        let lines = [
            "\u{FEFF}" + (try recorded("customer.subscription.created.json", id: "evt_bom1")),  // 1
            try delivery("evt_balance1", type: "balance.available", resource: "balance"),  // 2
            try delivery("evt_upcoming1", type: "invoice.upcoming", resource: "invoice", removing: ["id"]),  // 3
            try recorded("customer.subscription.updated.json", id: "evt_long1", objectID: longObjectID),  // 4
            "this is not json",  // 5
            try recorded("payment_intent.succeeded.json", id: "evt_pi1"),  // 6
            try oversized("evt_huge1"),  // 7
            try recorded("invoice.paid.json", id: "evt_after1"),  // 8
        ]
        return Mixed(
            text: lines.joined(separator: "\n") + "\n",
            stored: [
                ("evt_bom1", "subscription:sub_000000000000000000000000"),
                ("evt_balance1", "event:evt_balance1"),
                ("evt_upcoming1", "event:evt_upcoming1"),
                ("evt_long1", "event:evt_long1"),
                ("evt_pi1", "payment:pi_000000000000000000000000"),
                ("evt_after1", "invoice:in_000000000000000000000000"),
            ],
            rejected: [
                (5, "expected a JSON object"),
                (7, "only its first \(Limits.ingestDocumentBytesMax) of "),
            ])
    }

    static func object(_ data: Data) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestSupportError("fixture is not a JSON object")
        }
        return object
    }

    static func line(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}
