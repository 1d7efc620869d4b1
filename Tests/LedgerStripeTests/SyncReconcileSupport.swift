import Foundation
import LedgerTestRandom
import LedgerTestSupport

/// A seeded Stripe account for the reconcile tests: subscriptions (each with its license and customer) and one
/// paid PaymentIntent per subscription, served by the fake both as the events that made them (what `ledger sync
/// events` delivers, `latest_charge` an id as in webhooks) and as the current objects (`latest_charge` expanded).
struct ReconcileAccount {
    struct Subscription {
        var id: String
        var customer: String
        var license: UUID
        var object: [String: Any]
    }

    var subscriptions: [Subscription] = []
    var paymentIntents: [[String: Any]] = []
    var licenses: [UUID] { subscriptions.map(\.license) }

    init(subscriptions count: Int, random: inout SeededGenerator) {
        for index in 0..<count {
            let suffix = "\(index)x\(String(random.next() % 1_000_000_000, radix: 36))"
            let created = fakeNow - 86_400 * Int64(2 + random.below(20)) - Int64(random.below(86_400))
            let yearly = random.below(3) == 0
            let amount = random.pick([900, 1_900, 4_900]) * (yearly ? 10 : 1)
            let license =
                UUID(
                    uuidString: String(
                        format: "%08x-0000-4000-8000-%012llx", UInt32(index), random.next() % 0xFFFF_FFFF_FFFF)
                ) ?? UUID()
            let customer = "cus_rc\(suffix)"
            let subscription: [String: Any] = [
                "id": "sub_rc\(suffix)", "object": "subscription", "customer": customer, "status": "active",
                "created": created, "start_date": created, "current_period_start": created,
                "current_period_end": created + (yearly ? 365 : 30) * 86_400, "cancel_at_period_end": false,
                "canceled_at": NSNull(), "trial_start": NSNull(), "trial_end": NSNull(), "currency": "usd",
                "livemode": false,
                "metadata": ["license_id": license.uuidString.lowercased(), "plan_type": "pro"],
                "items": [
                    "object": "list",
                    "data": [
                        [
                            "id": "si_rc\(suffix)", "object": "subscription_item", "quantity": 1,
                            "price": [
                                "id": "price_rc\(index)", "object": "price", "currency": "usd", "unit_amount": amount,
                                "product": "prod_rc",
                                "recurring": ["interval": yearly ? "year" : "month", "interval_count": 1],
                            ],
                        ]
                    ],
                ],
            ]
            subscriptions.append(
                Subscription(id: "sub_rc\(suffix)", customer: customer, license: license, object: subscription))
            let paid = created + 60
            let charge: [String: Any] = [
                "id": "ch_rc\(suffix)", "object": "charge", "amount": amount, "amount_refunded": 0, "refunded": false,
                "status": "succeeded", "paid": true, "captured": true, "currency": "usd", "customer": customer,
                "created": paid, "payment_intent": "pi_rc\(suffix)", "invoice": "in_rc\(suffix)", "livemode": false,
                "payment_method_details": ["type": "card"],
            ]
            paymentIntents.append([
                "id": "pi_rc\(suffix)", "object": "payment_intent", "amount": amount, "amount_received": amount,
                "currency": "usd", "status": "succeeded", "customer": customer, "created": paid,
                "invoice": "in_rc\(suffix)", "livemode": false, "metadata": [String: Any](),
                "payment_method_types": ["card"], "last_payment_error": NSNull(), "latest_charge": charge,
            ])
        }
    }

    /// Puts the events into the fake's `/v1/events` and the objects into its lists.
    func serve(on fake: FakeStripe) {
        var events: [FakeStripe.Event] = []
        for subscription in subscriptions {
            let created = subscription.object["created"] as? Int64 ?? 0
            events.append(Self.event("customer.subscription.created", created: created, subscription.object))
        }
        for intent in paymentIntents {
            var delivered = intent
            delivered["latest_charge"] = (intent["latest_charge"] as? [String: Any])?["id"]
            let created = intent["created"] as? Int64 ?? 0
            events.append(Self.event("payment_intent.succeeded", created: created, delivered))
        }
        fake.state.withLock { $0.events += events }
        fake.setObjects("/v1/subscriptions", subscriptions.map { Self.bytes($0.object) })
        fake.setObjects("/v1/payment_intents", paymentIntents.map(Self.bytes))
    }

    /// Changes object `id` of `path` at Stripe (the fake's current object), with no event.
    func change(
        _ id: String, at path: String = "/v1/subscriptions", on fake: FakeStripe,
        _ mutate: (inout [String: Any]) -> Void
    ) {
        let stored = fake.state.withLock { state in
            state.objects[path]?.first { Self.object($0)["id"] as? String == id }
        }
        guard let stored else { preconditionFailure("the fake holds no \(id)") }
        var object = Self.object(stored)
        mutate(&object)
        fake.replaceObject(path, id: id, with: Self.bytes(object))
    }

    /// Adds this account's objects to the fake's lists, without their events (objects the ledger never heard of).
    func addObjectsOnly(to fake: FakeStripe) {
        fake.state.withLock { state in
            state.objects["/v1/subscriptions", default: []] += subscriptions.map { Self.bytes($0.object) }
            state.objects["/v1/payment_intents", default: []] += paymentIntents.map(Self.bytes)
        }
    }

    static func event(_ type: String, created: Int64, _ object: [String: Any]) -> FakeStripe.Event {
        let id = "evt_\(object["id"] as? String ?? "")_\(type.replacingOccurrences(of: ".", with: "_"))"
        let envelope: [String: Any] = [
            "id": id, "object": "event", "api_version": "2024-06-20", "created": created, "data": ["object": object],
            "livemode": false, "pending_webhooks": 1, "request": ["id": NSNull(), "idempotency_key": NSNull()],
            "type": type,
        ]
        return FakeStripe.Event(id: id, created: created, account: "", body: bytes(envelope))
    }

    static func bytes(_ object: [String: Any]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data())
    }

    static func object(_ bytes: [UInt8]) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
    }
}
