import Foundation
import LedgerCore
import Testing

/// Golden lifecycles built from the recorded fixture shapes, tie rules, and parking.
@Suite struct LifecycleProjectionTests {
    typealias F = ProjectionFixtures
    static let sub = "sub_000000000000000000000000"
    static let pi = "pi_000000000000000000000000"

    /// An old-shape subscription event: the recorded fixture with `changes` applied to its object.
    static func subscription(
        _ type: String = "customer.subscription.updated", at created: Int64, _ changes: [String: Any] = [:],
        previous: [String: Any]? = nil, unitAmount: Int = 1500, quantity: Int = 1, interval: String = "month",
        plan: String = "starter", license: String = F.licenseID
    ) throws -> [String: Any] {
        var envelope = try F.webhook("customer.subscription.updated")
        envelope["type"] = type
        envelope["created"] = created
        envelope["id"] = "evt_\(type)_\(created)_\(changes.keys.sorted().joined())"
        var data = envelope["data"] as? [String: Any] ?? [:]
        data["previous_attributes"] = previous
        envelope["data"] = data
        var object = F.object(envelope)
        var items = object["items"] as? [String: Any] ?? [:]
        var item = (items["data"] as? [[String: Any]])?.first ?? [:]
        var price = item["price"] as? [String: Any] ?? [:]
        price["unit_amount"] = unitAmount
        price["recurring"] = ["interval": interval, "interval_count": 1]
        item["price"] = price
        item["plan"] = nil
        item["quantity"] = quantity
        items["data"] = [item]
        object["items"] = items
        object["metadata"] = ["license_id": license, "plan_type": plan]
        for (key, value) in changes { object[key] = value }
        return F.setting(envelope, object)
    }

    static func charge(_ type: String, at created: Int64, refunded: Int, full: Bool, status: String = "succeeded")
        throws -> [String: Any]
    {
        var envelope = try F.webhook("charge.succeeded")
        envelope["type"] = type
        envelope["created"] = created
        envelope["id"] = "evt_\(type)_\(created)_\(refunded)"
        return F.setting(envelope, ["amount_refunded": refunded, "refunded": full, "status": status])
    }

    static func events(_ envelopes: [[String: Any]]) throws -> [RecordedEvent] {
        try envelopes.enumerated().map { try F.recorded($1, position: Int64($0 + 1)) }
    }

    static func rows(_ envelopes: [[String: Any]]) throws -> ([SubscriptionRow], [PaymentTransactionRow]) {
        let state = F.project(try events(envelopes))
        return (state.subscriptionRows(), state.paymentRows())
    }

    @Test func trialToActiveToUpgradeToRenewalToCancelAtPeriodEndToDeleted() throws {
        let day: Int64 = 86_400
        let t0: Int64 = 1_700_000_000
        // Stripe keeps the trial dates on the subscription after the trial ends.
        let trial: [String: Any] = ["trial_start": t0, "trial_end": t0 + 14 * day]
        let history = [
            try Self.subscription(
                "customer.subscription.created", at: t0,
                [
                    "status": "trialing", "trial_start": t0, "trial_end": t0 + 14 * day, "current_period_start": t0,
                    "current_period_end": t0 + 14 * day,
                ]),
            try Self.subscription(
                at: t0 + 14 * day,
                [
                    "status": "active", "trial_start": t0, "trial_end": t0 + 14 * day,
                    "current_period_start": t0 + 14 * day,
                    "current_period_end": t0 + 44 * day,
                ], previous: ["status": "trialing"]),
            try Self.subscription(
                at: t0 + 20 * day,
                ["status": "active", "current_period_start": t0 + 14 * day, "current_period_end": t0 + 44 * day]
                    .merging(trial) { value, _ in value },
                unitAmount: 4900, quantity: 2, plan: "pro"),
            try Self.subscription(
                at: t0 + 44 * day,
                ["status": "active", "current_period_start": t0 + 44 * day, "current_period_end": t0 + 74 * day]
                    .merging(trial) { value, _ in value },
                previous: ["current_period_start": t0 + 14 * day], unitAmount: 4900, quantity: 2, plan: "pro"),
            try Self.subscription(
                at: t0 + 50 * day,
                [
                    "status": "active", "cancel_at_period_end": true, "current_period_start": t0 + 44 * day,
                    "current_period_end": t0 + 74 * day,
                ].merging(trial) { value, _ in value }, previous: ["cancel_at_period_end": false], unitAmount: 4900,
                quantity: 2, plan: "pro"),
            try Self.subscription(
                "customer.subscription.deleted", at: t0 + 74 * day,
                [
                    "status": "canceled", "canceled_at": t0 + 74 * day, "cancel_at_period_end": true,
                    "current_period_start": t0 + 44 * day, "current_period_end": t0 + 74 * day,
                ].merging(trial) { value, _ in value }, unitAmount: 4900,
                quantity: 2, plan: "pro"),
        ]
        let (rows, _) = try Self.rows(history)
        let row = try #require(rows.first)
        #expect(rows.count == 1)
        #expect(row.status == .canceled && row.planType == .pro && row.amountCents == 9800)
        #expect(row.cancelAtPeriodEnd && row.canceledAt == F.time(t0 + 74 * day))
        #expect(row.trialStart == F.time(t0) && row.trialEnd == F.time(t0 + 14 * day))
        #expect(row.currentPeriodStart == F.time(t0 + 44 * day) && row.currentPeriodEnd == F.time(t0 + 74 * day))
        // `created_at` is the object's own `created` (the fixture's), earlier than any of these events.
        let objectCreated = try F.objectCreated("customer.subscription.updated")
        #expect(objectCreated < t0)
        #expect(row.createdAt == F.time(objectCreated) && row.updatedAt == F.time(t0 + 74 * day))
        // Any delivery order gives the same row; a later `updated` does not resurrect the deleted subscription.
        #expect(try Self.rows(history.reversed()).0 == rows)
        #expect(try Self.rows([history[5], history[0], history[3], history[1], history[4], history[2]]).0 == rows)
        var state = F.project(try Self.events(history))
        let late = try Self.subscription(at: t0 + 90 * day, ["status": "active"])
        #expect(state.apply(try F.recorded(late, position: 99)) == .ignored(.objectDeleted))
        #expect(state.subscriptionRows() == rows)
    }

    @Test func pastDueRecoversWhenTheRetrySucceeds() throws {
        let t0: Int64 = 1_700_000_000
        var failed = try F.webhook("payment_intent.payment_failed")
        failed["created"] = t0 + 10
        var succeeded = try F.webhook("payment_intent.succeeded")
        succeeded["created"] = t0 + 3600
        var invoice = try F.webhook("invoice.paid")
        invoice["created"] = t0 + 3600
        invoice = F.setting(invoice, ["subscription": Self.sub])
        let history = [
            try Self.subscription("customer.subscription.created", at: t0, ["status": "active"]),
            try Self.subscription(at: t0 + 11, ["status": "past_due"], previous: ["status": "active"]),
            failed,
            try Self.subscription(at: t0 + 3601, ["status": "active"], previous: ["status": "past_due"]),
            succeeded, invoice,
        ]
        let (subscriptions, payments) = try Self.rows(history)
        #expect(subscriptions.first?.status == .active)
        let payment = try #require(payments.first)
        #expect(payment.status == .succeeded && payment.failureReason == nil)
        #expect(payment.processedAt == F.time(t0 + 3600))
        #expect(payment.createdAt == F.time(min(t0 + 10, try F.objectCreated("payment_intent.payment_failed"))))
        #expect(payment.stripeInvoiceID == "in_000000000000000000000000")
        #expect(payment.subscriptionID == UUID(version5Name: Self.sub))
        #expect(try Self.rows(history.reversed()) == (subscriptions, payments))
    }

    @Test func incompleteExpiredIsNotUndoneBySameSecondIncomplete() throws {
        let t0: Int64 = 1_700_000_000
        let created = try Self.subscription("customer.subscription.created", at: t0, ["status": "incomplete"])
        let expired = try Self.subscription(
            at: t0 + 82_800, ["status": "incomplete_expired"], previous: ["status": "incomplete"])
        let sameSecond = try Self.subscription(at: t0 + 82_800, ["status": "incomplete", "latest_invoice": "in_x"])
        for order in [
            [created, expired, sameSecond], [created, sameSecond, expired], [sameSecond, expired, created],
        ] {
            #expect(try Self.rows(order).0.first?.status == .incompleteExpired)
        }
    }

    @Test func sameSecondUpdatesFollowPreviousAttributesChain() throws {
        let t0: Int64 = 1_700_000_000
        let created = try Self.subscription("customer.subscription.created", at: t0, ["status": "active"])
        let first = try Self.subscription(at: t0 + 5, ["status": "past_due"], previous: ["status": "active"])
        let second = try Self.subscription(
            at: t0 + 5, ["status": "past_due", "cancel_at_period_end": true], previous: ["cancel_at_period_end": false])
        for order in [[created, first, second], [created, second, first], [second, first, created]] {
            let row = try #require(try Self.rows(order).0.first)
            #expect(row.status == .pastDue && row.cancelAtPeriodEnd)
        }
    }

    @Test func staleAndDuplicateEventsAreIgnored() throws {
        let t0: Int64 = 1_700_000_000
        var state = ProjectionState()
        let newer = try Self.subscription(at: t0 + 10, ["status": "past_due"])
        let older = try Self.subscription(at: t0, ["status": "active"])
        #expect(state.apply(try F.recorded(newer, position: 1)) == .applied)
        #expect(state.apply(try F.recorded(older, position: 2)) == .ignored(.stale))
        #expect(state.apply(try F.recorded(newer, position: 3)) == .ignored(.duplicate))
        let row = try #require(state.subscriptionRow(stripeID: Self.sub))
        #expect(row.status == .pastDue && row.updatedAt == F.time(t0 + 10))
        #expect(row.createdAt == F.time(try F.objectCreated("customer.subscription.updated")))
    }

    @Test func partialThenFullRefund() throws {
        let t0: Int64 = 1_700_000_000
        let succeeded = try Self.charge("charge.succeeded", at: t0, refunded: 0, full: false)
        let partial = try Self.charge("charge.refunded", at: t0 + 100, refunded: 500, full: false)
        let full = try Self.charge("charge.refunded", at: t0 + 200, refunded: 2000, full: true)
        let (_, afterPartial) = try Self.rows([succeeded, partial])
        #expect(afterPartial.first?.status == .succeeded && afterPartial.first?.refundedAmountCents == 500)
        let (_, payments) = try Self.rows([succeeded, partial, full])
        let row = try #require(payments.first)
        #expect(row.status == .refunded && row.refundedAmountCents == 2000 && row.processedAt == F.time(t0))
        #expect(try Self.rows([full, succeeded, partial]).1 == payments)
        // A same-second non-refund event does not undo the full refund.
        let sameSecond = try Self.charge("charge.succeeded", at: t0 + 200, refunded: 0, full: false)
        #expect(try Self.rows([succeeded, full, sameSecond]).1.first?.status == .refunded)
    }

    @Test func pausedThenResumed() throws {
        let t0: Int64 = 1_700_000_000
        let created = try Self.subscription("customer.subscription.created", at: t0, ["status": "active"])
        let paused = try Self.subscription(
            "customer.subscription.paused", at: t0 + 100, ["status": "paused"], previous: ["status": "active"])
        let resumed = try Self.subscription(
            "customer.subscription.resumed", at: t0 + 200, ["status": "active"], previous: ["status": "paused"])
        #expect(try Self.rows([created, paused]).0.first?.status == .paused)
        #expect(try Self.rows([resumed, paused, created]).0.first?.status == .active)
    }

    @Test func invalidSubscriptionsAreParkedWithTheirReason() throws {
        let t0: Int64 = 1_700_000_000
        let cases: [([String: Any], ParkReason)] = [
            (try Self.subscription(at: t0, license: ""), .missingLicenseID(keys: ["license_id"])),
            (
                try Self.subscription(at: t0, license: "not-a-uuid"),
                .invalidLicenseID(key: "license_id", "not-a-uuid")
            ),
            (try Self.subscription(at: t0, plan: "gold"), .invalidPlanType(rule: "metadata:plan_type", "gold")),
            (try Self.subscription(at: t0, interval: "week"), .unsupportedInterval("week")),
            (try Self.subscription(at: t0, unitAmount: -5), .negativeAmount(-5)),
            (try Self.subscription(at: t0, ["status": "on_hold"]), .invalidStatus("on_hold")),
        ]
        for (envelope, reason) in cases {
            var state = ProjectionState()
            #expect(state.apply(try F.recorded(envelope, position: 7)) == .parked(reason))
            #expect(
                state.parked[.subscription(Self.sub)]
                    == ParkedEvent(position: 7, eventType: "customer.subscription.updated", reason: reason))
            #expect(state.subscriptionRows().isEmpty)
            // A later valid event clears the parked item and makes the row.
            #expect(state.apply(try F.recorded(try Self.subscription(at: t0 + 1), position: 8)) == .applied)
            #expect(state.parked.isEmpty && state.subscriptionRows().count == 1)
        }
    }

    @Test func aNewerInvalidEventKeepsTheLastValidRow() throws {
        let t0: Int64 = 1_700_000_000
        let valid = try Self.subscription(at: t0, ["status": "active"])
        let invalid = try Self.subscription(at: t0 + 5, plan: "gold")
        for order in [[valid, invalid], [invalid, valid]] {
            let state = F.project(try Self.events(order))
            #expect(state.subscriptionRows().first?.updatedAt == F.time(t0))
            #expect(
                state.parked[.subscription(Self.sub)]?.reason == .invalidPlanType(rule: "metadata:plan_type", "gold"))
        }
    }

    @Test func planTypeComesFromThePriceMapWithoutMetadata() throws {
        var envelope = try Self.subscription(at: 1_700_000_000)
        envelope = F.setting(envelope, ["metadata": ["license_id": F.licenseID]])
        var mapping = ProjectionMapping.default
        mapping.planType.append(.priceID(["price_000000000000000000000000": .enterprise]))
        let state = F.project([try F.recorded(envelope, position: 1)], configuration: .init(mapping: mapping))
        #expect(state.subscriptionRows().first?.planType == .enterprise)
        #expect(
            F.project([try F.recorded(envelope, position: 1)]).parked.first?.value.reason
                == .missingPlanType(rules: ["metadata:plan_type"]))
    }

    @Test func malformedBodiesAreParkedByPosition() {
        var state = ProjectionState()
        let event = F.recorded(
            body: Array(#"{"id": "evt_1", "data": {"object": "#.utf8), type: "invoice.paid", position: 3, created: 1)
        guard case .parked(.malformedBody) = state.apply(event) else {
            Issue.record("expected a parked malformed body")
            return
        }
        #expect(state.parked[.event(3)] != nil)
    }
}
