import Foundation

/// One customer's paid subscription invoice whose payment is partly refunded and then lost in a dispute, in
/// either Stripe API shape, with another customer's refunded payment beside it: the log an audit of refunds
/// and disputes (`ledger history`) reads. Built from the checked-in Stripe fixtures.
///
/// Log order: subscription created, invoice paid, PaymentIntent succeeded, charge succeeded, then the other
/// customer's charge and its refund (naming only that charge), then a refund of 500 naming the intent and the
/// charge, a dispute over the remaining 1500 opened and then lost, both naming only the charge (so an audit
/// finds them only through the charge → PaymentIntent link the charge event holds).
public struct AdjustmentLifecycle: Sendable {
    /// The API version whose object shapes the events use.
    public enum Shape: String, CaseIterable, Sendable {
        /// `invoice.payment_intent` and `invoice.subscription` on the invoice.
        case v2020_08_27 = "2020-08-27"
        /// `invoice.payments` and `invoice.parent.subscription_details`, no intent on the invoice.
        case v2026_07_29 = "2026-07-29"
    }

    public static let customer = "cus_adjusted000000001"
    public static let subscription = "sub_adjusted000000001"
    public static let invoice = "in_adjusted000000001"
    public static let paymentIntent = "pi_adjusted000000001"
    public static let charge = "ch_adjusted000000001"
    public static let refund = "re_adjusted000000001"
    public static let dispute = "dp_adjusted000000001"
    /// The other customer's payment, charge and refund, which no audit of ``customer`` may show.
    public static let otherCustomer = "cus_other000000000001"
    public static let otherPaymentIntent = "pi_other000000000001"
    public static let otherCharge = "ch_other000000000001"
    public static let otherRefund = "re_other000000000001"
    /// The license the subscription's metadata names.
    public static let license = UUID(uuidString: "0b7e5d1c-2f3a-4b5c-8d6e-7f8091a2b3c4") ?? UUID()
    public static let amount = 2000
    public static let refunded = 500
    public static let t0: Int64 = 1_760_000_000

    public var shape: Shape

    public init(_ shape: Shape) { self.shape = shape }

    /// The events in log order, each with the type an audit lists.
    public func envelopes() throws -> [[String: Any]] {
        let other: [[String: Any]] = [
            try chargeSucceeded(Self.otherCharge, of: Self.otherPaymentIntent, customer: Self.otherCustomer, at: 4),
            try adjustment(
                "refund", "refund.created", Self.otherRefund, at: 5,
                ["charge": Self.otherCharge, "payment_intent": NSNull(), "amount": 300, "status": "succeeded"]),
        ]
        return [
            try subscriptionCreated(at: 0), try invoicePaid(at: 1), try paymentIntentSucceeded(at: 2),
            try chargeSucceeded(Self.charge, of: Self.paymentIntent, customer: Self.customer, at: 3),
        ] + other + [
            try adjustment(
                "refund", "refund.created", Self.refund, at: 6,
                [
                    "charge": Self.charge, "payment_intent": Self.paymentIntent, "amount": Self.refunded,
                    "status": "succeeded",
                ]),
            try adjustment(
                "dispute", "charge.dispute.created", Self.dispute, at: 7,
                [
                    "charge": Self.charge, "payment_intent": NSNull(), "amount": Self.amount - Self.refunded,
                    "status": "needs_response",
                ]),
            try adjustment(
                "dispute", "charge.dispute.closed", Self.dispute, at: 8,
                [
                    "charge": Self.charge, "payment_intent": NSNull(), "amount": Self.amount - Self.refunded,
                    "status": "lost",
                ]),
        ]
    }

    /// The events as JSON Lines, for `ledger ingest stripe`.
    public func jsonLines() throws -> [UInt8] { try Self.jsonLines(envelopes()) }

    /// `envelopes` as JSON Lines.
    public static func jsonLines(_ envelopes: [[String: Any]]) throws -> [UInt8] {
        try envelopes.flatMap {
            Array(try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys])) + [0x0A]
        }
    }

    // MARK: Events

    func subscriptionCreated(at offset: Int64) throws -> [String: Any] {
        let metadata = ["license_id": Self.license.uuidString.lowercased(), "plan_type": "pro"]
        let changes: [String: Any] = [
            "id": Self.subscription, "customer": Self.customer, "status": "active", "metadata": metadata,
        ]
        switch shape {
        case .v2020_08_27:
            return try webhook("customer.subscription.created", at: offset, changes)
        case .v2026_07_29:
            return try resource("subscription", "customer.subscription.created", at: offset, changes)
        }
    }

    func invoicePaid(at offset: Int64) throws -> [String: Any] {
        let common: [String: Any] = [
            "id": Self.invoice, "customer": Self.customer, "status": "paid", "amount_paid": Self.amount,
            "currency": "usd",
        ]
        switch shape {
        case .v2020_08_27:
            return try webhook(
                "invoice.paid", at: offset,
                common.merging(["subscription": Self.subscription, "payment_intent": Self.paymentIntent]) { $1 })
        case .v2026_07_29:
            let parent: [String: Any] = [
                "type": "subscription_details",
                "subscription_details": ["subscription": Self.subscription, "metadata": [:] as [String: Any]],
            ]
            let payments: [String: Any] = [
                "object": "list",
                "data": [["payment": ["type": "payment_intent", "payment_intent": Self.paymentIntent]]],
            ]
            return try resource(
                "invoice", "invoice.paid", at: offset,
                common.merging(["parent": parent, "payments": payments]) { $1 })
        }
    }

    func paymentIntentSucceeded(at offset: Int64) throws -> [String: Any] {
        let changes: [String: Any] = [
            "id": Self.paymentIntent, "customer": Self.customer, "status": "succeeded", "amount": Self.amount,
            "amount_received": Self.amount, "currency": "usd",
        ]
        switch shape {
        case .v2020_08_27:
            return try webhook(
                "payment_intent.succeeded", at: offset, changes.merging(["invoice": Self.invoice]) { $1 })
        case .v2026_07_29:
            return try resource(
                "payment_intent", "payment_intent.succeeded", at: offset,
                changes.merging(["latest_charge": Self.charge, "canceled_at": NSNull()]) { $1 })
        }
    }

    func chargeSucceeded(_ id: String, of paymentIntent: String, customer: String, at offset: Int64) throws
        -> [String: Any]
    {
        let changes: [String: Any] = [
            "id": id, "payment_intent": paymentIntent, "customer": customer, "status": "succeeded",
            "amount": Self.amount, "amount_captured": Self.amount, "amount_refunded": 0, "captured": true,
            "refunded": false, "currency": "usd",
        ]
        switch shape {
        case .v2020_08_27: return try webhook("charge.succeeded", at: offset, changes)
        case .v2026_07_29: return try resource("charge", "charge.succeeded", at: offset, changes)
        }
    }

    /// A Refund or Dispute object's event. The 2020 refund is the recorded `charge.refund.updated` object; no
    /// 2020 dispute is recorded, so both shapes use the OpenAPI example, whose fields 2020-08-27 already had.
    func adjustment(
        _ resource: String, _ type: String, _ id: String, at offset: Int64, _ changes: [String: Any]
    ) throws -> [String: Any] {
        let changes = changes.merging(["id": id, "currency": "usd"]) { $1 }
        if shape == .v2020_08_27, resource == "refund" {
            var envelope = try webhook("charge.refund.updated", at: offset, changes)
            envelope["type"] = type
            envelope["id"] = eventID(type, id, offset)
            return envelope
        }
        var envelope = try self.resource(resource, type, at: offset, changes)
        envelope["id"] = eventID(type, id, offset)
        return envelope
    }

    // MARK: Fixtures

    func eventID(_ type: String, _ object: String, _ offset: Int64) -> String {
        "evt_\(shape == .v2020_08_27 ? "a" : "b")\(offset)_\(type.replacingOccurrences(of: ".", with: "_"))_\(object)"
    }

    /// A recorded 2020-08-27 webhook of `type` at `t0 + offset`, its object changed by `changes`.
    func webhook(_ type: String, at offset: Int64, _ changes: [String: Any]) throws -> [String: Any] {
        var envelope = try Self.json("webhook-events-2020-08-27/\(type).json")
        var data = envelope["data"] as? [String: Any] ?? [:]
        var object = data["object"] as? [String: Any] ?? [:]
        for (key, value) in changes { object[key] = value }
        object["livemode"] = false
        data["object"] = object
        envelope["data"] = data
        envelope["created"] = Self.t0 + offset
        envelope["livemode"] = false
        envelope["id"] = eventID(type, object["id"] as? String ?? "", offset)
        return envelope
    }

    /// The 2026-07-29 OpenAPI example of `resource`, changed by `changes`, in an event of `type` at `t0 + offset`.
    func resource(_ resource: String, _ type: String, at offset: Int64, _ changes: [String: Any]) throws
        -> [String: Any]
    {
        let all = try Self.json("openapi/fixtures3-2026-07-29.json")
        guard var object = (all["resources"] as? [String: Any])?[resource] as? [String: Any] else {
            throw TestSupportError("no \(resource) in the 2026-07-29 OpenAPI fixtures")
        }
        for (key, value) in changes { object[key] = value }
        object["livemode"] = false
        return [
            "id": eventID(type, object["id"] as? String ?? "", offset), "object": "event",
            "api_version": shape.rawValue, "created": Self.t0 + offset, "livemode": false, "data": ["object": object],
            "type": type,
        ]
    }

    static func json(_ relativePath: String) throws -> [String: Any] {
        let data = try Data(contentsOf: Repository.stripeFixtures.appendingPathComponent(relativePath))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestSupportError("\(relativePath) is not a JSON object")
        }
        return object
    }
}
