import Foundation
import LedgerCore
import LedgerTestRandom
import Testing

/// Invoices, refunds, disputes and payment methods (issue 15 point 3): golden lifecycles in both API shapes,
/// each checked in every delivery order, and a seeded property over random refund and dispute histories.
@Suite struct PaymentLifecycleTests {
    typealias F = ProjectionFixtures
    typealias L = LifecycleProjectionTests
    static let sub = L.sub
    static let pi = L.pi
    static let charge = "ch_000000000000000000000000"
    static let invoice = "in_000000000000000000000000"
    static let t0: Int64 = 1_700_000_000

    /// A 2020-08-27 fixture event of `type` at `created`, its object changed by `changes` (NSNull removes a value).
    static func old(_ fixture: String, _ type: String? = nil, at created: Int64, _ changes: [String: Any]) throws
        -> [String: Any]
    {
        var envelope = try F.webhook(fixture)
        envelope["type"] = type ?? fixture
        envelope["created"] = created
        envelope["id"] = "evt_\(type ?? fixture)_\(created)"
        return F.setting(envelope, changes)
    }

    /// A 2026 resource wrapped in an event of `type` at `created`, changed by `changes`.
    static func new(_ resource: String, _ type: String, at created: Int64, _ changes: [String: Any]) throws
        -> [String: Any]
    {
        var object = try F.resource2026(resource)
        for (key, value) in changes { object[key] = value }
        return F.envelope(type: type, created: created, object: object, id: "evt_\(type)_\(created)")
    }

    /// A Refund object's event (the 2020 fixture's shape: `payment_intent` null unless given).
    static func refund(
        _ id: String, _ type: String = "refund.updated", at created: Int64, amount: Int, status: String = "succeeded",
        paymentIntent: String? = nil
    ) throws -> [String: Any] {
        var envelope = try old(
            "charge.refund.updated", type, at: created,
            [
                "id": id, "charge": charge, "amount": amount, "status": status,
                "payment_intent": paymentIntent ?? NSNull(),
            ])
        envelope["id"] = "evt_\(id)_\(type)_\(created)_\(status)"
        return envelope
    }

    /// A Dispute object's event (the 2026 resource, naming only its charge unless `paymentIntent` is given).
    static func dispute(
        _ id: String, _ type: String, at created: Int64, amount: Int, status: String, paymentIntent: String? = nil
    ) throws -> [String: Any] {
        var envelope = try new(
            "dispute", type, at: created,
            [
                "id": id, "charge": charge, "amount": amount, "status": status,
                "payment_intent": paymentIntent ?? NSNull(),
            ])
        envelope["id"] = "evt_\(id)_\(type)_\(created)"
        return envelope
    }

    static func chargeRefunded(at created: Int64, refunded: Int, full: Bool) throws -> [String: Any] {
        try L.charge("charge.refunded", at: created, refunded: refunded, full: full)
    }

    /// The rows `envelopes` give in every order (all permutations up to six events), which must all agree.
    static func rowsInEveryOrder(_ envelopes: [[String: Any]]) throws -> ([SubscriptionRow], [PaymentTransactionRow]) {
        let events = try L.events(envelopes)
        let first = F.project(events)
        for order in permutations(Array(events.indices)) {
            let state = F.project(order.map { events[$0] })
            #expect(state.paymentRows() == first.paymentRows(), "order \(order)")
            #expect(state.subscriptionRows() == first.subscriptionRows(), "order \(order)")
        }
        return (first.subscriptionRows(), first.paymentRows())
    }

    static func permutations(_ items: [Int]) -> [[Int]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { index -> [[Int]] in
            var rest = items
            let head = rest.remove(at: index)
            return permutations(rest).map { [head] + $0 }
        }
    }

    // MARK: Invoices

    /// `payment_behavior=default_incomplete`, first invoice finalized then voided: the intent is canceled with
    /// `void_invoice`. The link is on the invoice events only; a cancellation is not a failure.
    @Test func aVoidedDefaultIncompleteFirstInvoiceLinksItsCanceledIntent2020() throws {
        let (subscriptions, payments) = try Self.rowsInEveryOrder([
            try L.subscription("customer.subscription.created", at: Self.t0, ["id": Self.sub, "status": "incomplete"]),
            try Self.old(
                "invoice.finalized", at: Self.t0 + 1,
                ["subscription": Self.sub, "payment_intent": Self.pi, "status": "open"]),
            try Self.old(
                "payment_intent.canceled", at: Self.t0 + 2,
                ["id": Self.pi, "cancellation_reason": "void_invoice", "invoice": NSNull()]),
            try Self.old(
                "invoice.finalized", "invoice.voided", at: Self.t0 + 2,
                ["subscription": Self.sub, "payment_intent": Self.pi, "status": "void"]),
        ])
        #expect(subscriptions.map(\.stripeSubscriptionID) == [Self.sub])
        let row = try #require(payments.first)
        #expect(payments.count == 1)
        #expect(row.subscriptionID == UUID(version5Name: Self.sub) && row.stripeInvoiceID == Self.invoice)
        #expect(row.status == .canceled && row.failureReason == nil)
        #expect(row.processedAt == F.time(Self.t0 + 2))
        #expect(row.createdAt == F.time(min(Self.t0 + 2, try F.objectCreated("payment_intent.canceled"))))
    }

    @Test func aVoidedDefaultIncompleteFirstInvoiceLinksItsCanceledIntent2026() throws {
        let parent: [String: Any] = [
            "type": "subscription_details", "subscription_details": ["subscription": Self.sub, "metadata": [:]],
        ]
        let listed: [String: Any] = [
            "object": "list", "data": [["payment": ["type": "payment_intent", "payment_intent": Self.pi]]],
        ]
        var subscription = try F.resource2026("subscription")
        subscription["id"] = Self.sub
        subscription["status"] = "incomplete"
        subscription["metadata"] = ["license_id": F.licenseID, "plan_type": "pro"]
        let (subscriptions, payments) = try Self.rowsInEveryOrder([
            F.envelope(type: "customer.subscription.created", created: Self.t0, object: subscription),
            try Self.new(
                "invoice", "invoice.finalized", at: Self.t0 + 1,
                ["id": Self.invoice, "parent": parent, "status": "open"]),
            try Self.new(
                "payment_intent", "payment_intent.canceled", at: Self.t0 + 2,
                ["id": Self.pi, "status": "canceled", "cancellation_reason": "void_invoice"]),
            try Self.new(
                "invoice", "invoice.voided", at: Self.t0 + 2,
                ["id": Self.invoice, "parent": parent, "status": "void", "payments": listed]),
        ])
        #expect(subscriptions.map(\.stripeSubscriptionID) == [Self.sub])
        let row = try #require(payments.first)
        #expect(payments.count == 1)
        #expect(row.subscriptionID == UUID(version5Name: Self.sub) && row.stripeInvoiceID == Self.invoice)
        #expect(row.status == .canceled && row.failureReason == nil)
    }

    /// Only the events that report payment set a status: a draft's `invoice.created` naming an intent gives it
    /// neither a status nor a row, and does not override the intent's own.
    @Test func invoiceEventsThatReportNoPaymentGiveLinksOnly() throws {
        let created = try Self.old(
            "invoice.created", at: Self.t0, ["payment_intent": Self.pi, "status": "draft", "subscription": Self.sub])
        var state = F.project(try L.events([created]))
        #expect(state.paymentRows().isEmpty)
        #expect(state.paymentIDs(ofSubscription: Self.sub) == [Self.pi])
        let succeeded = try Self.old("payment_intent.succeeded", at: Self.t0 - 5, ["id": Self.pi])
        #expect(state.apply(try F.recorded(succeeded, position: 2)) == .applied)
        let row = try #require(state.paymentRow(paymentIntentID: Self.pi))
        #expect(row.status == .succeeded && row.stripeInvoiceID == Self.invoice)
        #expect(row.createdAt == F.time(min(Self.t0 - 5, try F.objectCreated("payment_intent.succeeded"))))
        #expect(row.updatedAt == F.time(Self.t0 - 5))
        let again = try Self.old(
            "invoice.created", "invoice.updated", at: Self.t0 + 9,
            ["payment_intent": Self.pi, "subscription": Self.sub])
        // A newer link event is applied, a redelivery is a duplicate, an older one linking nothing new is stale.
        #expect(state.apply(try F.recorded(again, position: 3)) == .applied)
        #expect(state.apply(try F.recorded(again, position: 3)) == .ignored(.duplicate))
        #expect(state.apply(try F.recorded(created, position: 1)) == .ignored(.stale))
        let older = try Self.old(
            "invoice.created", "invoice.updated", at: Self.t0 - 9,
            ["payment_intent": Self.pi, "subscription": Self.sub])
        #expect(state.apply(try F.recorded(older, position: 5)) == .ignored(.stale))
        var upcoming = try Self.old("invoice.created", "invoice.upcoming", at: Self.t0, [:])
        upcoming = F.setting(upcoming, ["id": NSNull()])
        #expect(state.apply(try F.recorded(upcoming, position: 4)) == .ignored(.noInvoiceID))
    }

    // MARK: Refunds

    /// Refund objects and `charge.refunded` report the same money: counted once, in any order, partial then full.
    @Test func refundsByObjectAndByChargeEventAreCountedOnce() throws {
        let succeeded = try L.charge("charge.succeeded", at: Self.t0, refunded: 0, full: false)
        let partialObject = try Self.refund("re_1", "refund.created", at: Self.t0 + 10, amount: 500)
        let partialCharge = try Self.chargeRefunded(at: Self.t0 + 10, refunded: 500, full: false)
        let (_, partial) = try Self.rowsInEveryOrder([succeeded, partialObject, partialCharge])
        #expect(partial.first?.status == .succeeded && partial.first?.refundedAmountCents == 500)
        // The refund object alone, then the charge event alone: each says the same.
        #expect(try L.rows([succeeded, partialObject]).1.first?.refundedAmountCents == 500)
        #expect(try L.rows([succeeded, partialCharge]).1.first?.refundedAmountCents == 500)

        let restObject = try Self.refund("re_2", "charge.refund.updated", at: Self.t0 + 20, amount: 1500)
        let fullCharge = try Self.chargeRefunded(at: Self.t0 + 20, refunded: 2000, full: true)
        let (_, full) = try Self.rowsInEveryOrder([succeeded, partialObject, partialCharge, restObject, fullCharge])
        let row = try #require(full.first)
        #expect(row.status == .refunded && row.refundedAmountCents == 2000)
        #expect(row.processedAt == F.time(Self.t0) && row.updatedAt == F.time(Self.t0 + 20))
        // Both refunds as objects, no charge event for the second: full all the same.
        let (_, byObjects) = try Self.rowsInEveryOrder([succeeded, partialObject, partialCharge, restObject])
        #expect(byObjects.first?.status == .refunded && byObjects.first?.refundedAmountCents == 2000)
    }

    /// Only a succeeded refund counts; the newest state of each refund wins (pending → succeeded → failed).
    @Test func pendingFailedAndCanceledRefundsCountNothing() throws {
        let succeeded = try L.charge("charge.succeeded", at: Self.t0, refunded: 0, full: false)
        let pending = try Self.refund("re_1", "refund.created", at: Self.t0 + 1, amount: 700, status: "pending")
        #expect(try Self.rowsInEveryOrder([succeeded, pending]).1.first?.refundedAmountCents == 0)
        let settled = try Self.refund("re_1", at: Self.t0 + 2, amount: 700)
        #expect(try Self.rowsInEveryOrder([succeeded, pending, settled]).1.first?.refundedAmountCents == 700)
        let failed = try Self.refund("re_1", "refund.failed", at: Self.t0 + 3, amount: 700, status: "failed")
        let (_, rows) = try Self.rowsInEveryOrder([succeeded, pending, settled, failed])
        #expect(rows.first?.refundedAmountCents == 0 && rows.first?.status == .succeeded)
        // Same second: a failure outranks the success it follows.
        let sameSecond = try Self.refund("re_1", "refund.failed", at: Self.t0 + 2, amount: 700, status: "failed")
        #expect(try Self.rowsInEveryOrder([succeeded, settled, sameSecond]).1.first?.refundedAmountCents == 0)
        let canceled = try Self.refund("re_2", at: Self.t0 + 4, amount: 300, status: "canceled")
        #expect(try Self.rowsInEveryOrder([succeeded, canceled]).1.first?.refundedAmountCents == 0)
    }

    /// A refund naming its intent needs no charge event; one naming only a charge waits for an event that ties
    /// the charge to an intent, and a snapshot's records carry it while it waits.
    @Test func aRefundWaitsForItsChargeThroughASnapshot() throws {
        let direct = try Self.refund("re_1", at: Self.t0 + 5, amount: 400, paymentIntent: Self.pi)
        let intent = try Self.old("payment_intent.succeeded", at: Self.t0, ["id": Self.pi])
        #expect(try Self.rowsInEveryOrder([direct, intent]).1.first?.refundedAmountCents == 400)

        // An intent that names no charge (the recorded one lists its charge in `charges.data`, which ties it).
        let chargeless = try Self.old(
            "payment_intent.succeeded", at: Self.t0, ["id": Self.pi, "charges": ["object": "list", "data": []]])
        let waiting = try Self.refund("re_2", at: Self.t0 + 6, amount: 600)
        var state = F.project(try L.events([chargeless, waiting]))
        #expect(state.paymentRow(paymentIntentID: Self.pi)?.refundedAmountCents == 0)
        let records = state.reducerRecords()
        #expect(records.contains { $0.kind == .chargeAdjustments && $0.key == Self.charge })
        var restored = try ProjectionState(configuration: .init(), reducerRecords: records)
        let charge = try F.recorded(
            try L.charge("charge.succeeded", at: Self.t0, refunded: 0, full: false), position: 3)
        #expect(state.apply(charge) == .applied && restored.apply(charge) == .applied)
        #expect(restored.paymentRow(paymentIntentID: Self.pi)?.refundedAmountCents == 600)
        #expect(restored.reducerRecords() == state.reducerRecords())
        #expect(!restored.reducerRecords().contains { $0.kind == .chargeAdjustments })
    }

    // MARK: Disputes

    /// An open or won dispute leaves the row as it is; a lost one is money returned (refunded when it is all).
    @Test func aDisputeOpenedThenWonLeavesTheRowAndALostOneRefundsIt() throws {
        let succeeded = try L.charge("charge.succeeded", at: Self.t0, refunded: 0, full: false)
        let opened = try Self.dispute(
            "dp_1", "charge.dispute.created", at: Self.t0 + 1, amount: 2000, status: "needs_response")
        let withdrawn = try Self.dispute(
            "dp_1", "charge.dispute.funds_withdrawn", at: Self.t0 + 2, amount: 2000, status: "under_review")
        let (_, open) = try Self.rowsInEveryOrder([succeeded, opened, withdrawn])
        #expect(open.first?.status == .succeeded && open.first?.refundedAmountCents == 0)
        #expect(open.first?.updatedAt == F.time(Self.t0 + 2))
        let won = try Self.dispute("dp_1", "charge.dispute.closed", at: Self.t0 + 3, amount: 2000, status: "won")
        let (_, wonRows) = try Self.rowsInEveryOrder([succeeded, opened, withdrawn, won])
        #expect(wonRows.first?.status == .succeeded && wonRows.first?.refundedAmountCents == 0)
        let lost = try Self.dispute("dp_1", "charge.dispute.closed", at: Self.t0 + 3, amount: 2000, status: "lost")
        let (_, lostRows) = try Self.rowsInEveryOrder([succeeded, opened, withdrawn, lost])
        #expect(lostRows.first?.status == .refunded && lostRows.first?.refundedAmountCents == 2000)
    }

    /// After a partial refund, a lost dispute over the rest makes the payment refunded in full (2026 shape,
    /// the dispute naming its intent); the dispute's events are about the payment, so `history` shows them.
    @Test func aLostDisputeAfterAPartialRefundAddsUp() throws {
        var intent = try F.resource2026("payment_intent")
        intent["id"] = Self.pi
        intent["status"] = "succeeded"
        intent["amount"] = 2000
        intent["latest_charge"] = Self.charge
        let paid = F.envelope(type: "payment_intent.succeeded", created: Self.t0, object: intent, id: "evt_pi")
        let refunded = try Self.refund("re_1", "refund.created", at: Self.t0 + 1, amount: 500, paymentIntent: Self.pi)
        let lost = try Self.dispute(
            "dp_1", "charge.dispute.closed", at: Self.t0 + 2, amount: 1500, status: "lost", paymentIntent: Self.pi)
        let (_, rows) = try Self.rowsInEveryOrder([paid, refunded, lost])
        #expect(rows.first?.status == .refunded && rows.first?.refundedAmountCents == 2000)
        let events = try L.events([paid, refunded, lost])
        let state = F.project(events)
        #expect(state.subject(of: events[2]).paymentIntentIDs == [Self.pi])
        #expect(state.subject(of: events[1]).paymentIntentIDs == [Self.pi])
    }

    // MARK: Payment method

    @Test func thePaymentMethodComesFromTheIntentsOwnMethodOrItsLatestCharge() throws {
        var intent = try F.resource2026("payment_intent")
        intent["id"] = Self.pi
        intent["payment_method_types"] = ["card", "sepa_debit"]
        let expanded = F.envelope(
            type: "payment_intent.processing", created: Self.t0,
            object: intent.merging(["payment_method": ["id": "pm_1", "type": "sepa_debit"]]) { $1 })
        #expect(try L.rows([expanded]).1.first?.paymentMethod == "sepa_debit")
        let latestCharge: [String: Any] = [
            "id": Self.charge, "object": "charge", "payment_method_details": ["type": "us_bank_account"],
        ]
        let viaCharge = F.envelope(
            type: "payment_intent.succeeded", created: Self.t0,
            object: intent.merging(["status": "succeeded", "latest_charge": latestCharge]) { $1 })
        #expect(try L.rows([viaCharge]).1.first?.paymentMethod == "us_bank_account")
        // An unexpanded method (an id) and several types say nothing.
        let unexpanded = F.envelope(
            type: "payment_intent.created", created: Self.t0, object: intent.merging(["payment_method": "pm_1"]) { $1 })
        #expect(try L.rows([unexpanded]).1.first?.paymentMethod == nil)
    }

    // MARK: Hostile values

    /// A refund's or dispute's amount the column cannot hold parks the event; the row keeps what it had.
    @Test func unusableRefundAndDisputeValuesPark() throws {
        let succeeded = try F.recorded(
            try L.charge("charge.succeeded", at: Self.t0, refunded: 0, full: false), position: 1)
        let cases: [([String: Any], ParkReason)] = [
            (try Self.refund("re_1", at: Self.t0 + 1, amount: 0), .negativeAmount(-5)),
            (try Self.refund("re_2", at: Self.t0 + 1, amount: 0), .amountOutOfRange(1 << 40)),
            (
                try Self.dispute("dp_1", "charge.dispute.closed", at: Self.t0 + 1, amount: 0, status: "lost"),
                .notAnInteger(field: "amount", "1.5")
            ),
        ]
        let values: [Any] = [-5, 1 << 40, 1.5]
        for ((envelope, reason), value) in zip(cases, values) {
            var state = ProjectionState()
            _ = state.apply(succeeded)
            let hostile = F.setting(envelope, ["amount": value])
            let outcome = state.apply(try F.recorded(hostile, position: 2))
            #expect(outcome == .parked(reason))
            #expect(state.paymentRow(paymentIntentID: Self.pi)?.refundedAmountCents == 0)
        }
        var state = ProjectionState()
        let noID = F.setting(try Self.refund("re_3", at: Self.t0, amount: 1), ["id": NSNull()])
        #expect(state.apply(try F.recorded(noID, position: 1)) == .parked(.missingField("data.object.id")))
        let nothing = F.setting(try Self.refund("re_4", at: Self.t0, amount: 1), ["charge": NSNull()])
        #expect(state.apply(try F.recorded(nothing, position: 2)) == .ignored(.noPaymentIntent))
    }

    // MARK: Seeded property

    /// Random refund and dispute histories of one charge: every delivery order, with duplicates, and a resume from
    /// a snapshot's records midway give the same row, and its refunded amount is the documented rule's.
    @Test func refundAndDisputeHistoriesGiveOneRowInAnyOrder() throws {
        let seed = TestSeed.value(default: 153)
        var random = SeededGenerator(seed: seed)
        for round in 0..<60 {
            var envelopes = [try L.charge("charge.succeeded", at: Self.t0, refunded: 0, full: false)]
            var refunded: Int64 = 0
            var cumulative = 0
            for index in 0..<Int.random(in: 0...3, using: &random) {
                let id = "re_\(index)"
                let amount = Int.random(in: 1...500, using: &random)
                let at = Self.t0 + Int64.random(in: 1...50, using: &random)
                envelopes.append(try Self.refund(id, "refund.created", at: at, amount: amount, status: "pending"))
                let final = ["succeeded", "failed", "canceled", "pending"].randomElement(using: &random) ?? "pending"
                envelopes.append(try Self.refund(id, at: at + 1 + Int64(index), amount: amount, status: final))
                guard final == "succeeded" else { continue }
                refunded += Int64(amount)
                cumulative += amount
                // Stripe's charge reports the cumulative amount, sometimes before the refund object arrives.
                if Bool.random(using: &random) {
                    envelopes.append(
                        try Self.chargeRefunded(at: at + 1 + Int64(index), refunded: cumulative, full: false))
                }
            }
            var lost: Int64 = 0
            if Bool.random(using: &random) {
                let amount = 2000 - cumulative
                let at = Self.t0 + 100
                envelopes.append(
                    try Self.dispute("dp_1", "charge.dispute.created", at: at, amount: amount, status: "needs_response")
                )
                let outcome = ["won", "lost", "under_review"].randomElement(using: &random) ?? "won"
                envelopes.append(
                    try Self.dispute("dp_1", "charge.dispute.closed", at: at + 5, amount: amount, status: outcome))
                if outcome == "lost" { lost = Int64(amount) }
            }
            let events = try L.events(envelopes)
            let expected = F.project(events)
            let row = try #require(expected.paymentRow(paymentIntentID: Self.pi), "seed \(seed) round \(round)")
            #expect(Int64(row.refundedAmountCents) == refunded + lost, "seed \(seed) round \(round)")
            #expect((row.status == .refunded) == (refunded + lost >= 2000), "seed \(seed) round \(round)")

            var delivered = events + events.filter { _ in Double.random(in: 0..<1, using: &random) < 0.3 }
            delivered.shuffle(using: &random)
            for index in delivered.indices { delivered[index].position = Int64(index + 1) }
            let split = Int.random(in: 0...delivered.count, using: &random)
            var resumed = try ProjectionState(
                configuration: .init(), reducerRecords: F.project(Array(delivered[..<split])).reducerRecords())
            for event in delivered[split...] { _ = resumed.apply(event) }
            #expect(resumed.paymentRows() == expected.paymentRows(), "seed \(seed) round \(round)")
            #expect(F.project(delivered).paymentRows() == expected.paymentRows(), "seed \(seed) round \(round)")
        }
    }
}
