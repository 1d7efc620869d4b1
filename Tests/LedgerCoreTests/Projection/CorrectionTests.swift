import Foundation
import LedgerCore
import LedgerTestRandom
import Testing

/// Corrections (`ledger correct`, issue 15 point 2): each kind, how it ranks against Stripe's events for the same
/// field before and after it (docs/0015-corrections.md), withdrawal, exclusion, out-of-band refunds, order
/// independence of the Stripe events around corrections, and the reducer archive.
@Suite struct CorrectionTests {
    typealias F = ProjectionFixtures
    typealias L = LifecycleProjectionTests
    typealias P = PaymentLifecycleTests
    static let sub = L.sub
    static let pi = L.pi
    static let t0: Int64 = 1_700_000_000
    static let otherLicense = UUID(version5Name: "license-corrected")
    static let metadataLicense = UUID(uuidString: F.licenseID) ?? UUID(version5Name: F.licenseID)

    /// A logged correction of `object`, as `ledger correct` appends it.
    static func correction(
        _ object: ProjectionObjectKey, _ fact: Correction.Fact, position: Int64, reason: String = "ticket 4411"
    ) throws -> RecordedEvent {
        let correction = Correction(object: object, fact: fact, actor: "alice", reason: reason)
        return RecordedEvent(
            position: position, eventID: UUID(version5Name: "correction-\(position)"), streamID: correction.streamID,
            streamVersion: position, type: correction.fact.kind.rawValue, source: EventSource.ledger,
            sourceEventID: nil, occurredAt: F.time(t0), recordedAt: F.time(t0), customerID: nil,
            body: try correction.body(), metadata: "{}", hash: [])
    }

    /// Stripe's envelopes and the corrections, in log order: `log` holds either, positions follow the order.
    enum Entry {
        case stripe([String: Any])
        case correct(ProjectionObjectKey, Correction.Fact)
    }

    static func events(_ log: [Entry]) throws -> [RecordedEvent] {
        try log.enumerated().map { offset, entry in
            switch entry {
            case .stripe(let envelope): try F.recorded(envelope, position: Int64(offset + 1))
            case .correct(let object, let fact): try correction(object, fact, position: Int64(offset + 1))
            }
        }
    }

    static func subscription(at created: Int64, license: String = F.licenseID, plan: String = "starter")
        throws -> Entry
    {
        .stripe(try L.subscription(at: created, ["id": sub, "status": "active"], plan: plan, license: license))
    }

    static func row(_ state: ProjectionState) throws -> SubscriptionRow {
        try #require(state.subscriptionRow(stripeID: sub))
    }

    // MARK: License and plan type

    @Test func aLicenseCorrectionClearsTheParkAndOutranksEveryLaterStripeEvent() throws {
        var state = ProjectionState()
        let events = try Self.events([
            try Self.subscription(at: Self.t0, license: ""),
            .correct(.subscription(Self.sub), .license(Self.otherLicense)),
            .stripe(
                try L.subscription(
                    at: Self.t0 + 10, ["id": Self.sub, "status": "past_due"], license: F.licenseID)),
        ])
        let parked = state.apply(events[0])
        #expect({ if case .parked(.missingLicenseID) = parked { true } else { false } }())
        #expect(state.subscriptionRow(stripeID: Self.sub) == nil)
        _ = state.takeChangedObjects()
        #expect(state.apply(events[1]) == .applied)
        #expect(state.parked[.subscription(Self.sub)] == nil)
        #expect(state.takeChangedObjects() == [.subscription(Self.sub)])
        #expect(state.subscriptionsChangedByLastEvent == [Self.sub])
        #expect(try Self.row(state).licenseID == Self.otherLicense)
        // Stripe's newer event is applied for its other fields; the corrected column keeps the correction.
        #expect(state.apply(events[2]) == .applied)
        #expect(try Self.row(state).status == .pastDue)
        #expect(try Self.row(state).licenseID == Self.otherLicense)
        #expect(state.corrections(of: .subscription(Self.sub)).map(\.position) == [2])
    }

    @Test func anOlderStripeEventDeliveredAfterTheCorrectionDoesNotUndoIt() throws {
        let state = F.project(
            try Self.events([
                try Self.subscription(at: Self.t0 + 10),
                .correct(.subscription(Self.sub), .license(Self.otherLicense)),
                .correct(.subscription(Self.sub), .planType(.enterprise)),
                // Created before the first event, delivered after the corrections.
                try Self.subscription(at: Self.t0, plan: "pro"),
            ]))
        let row = try Self.row(state)
        #expect(row.licenseID == Self.otherLicense && row.planType == .enterprise)
        #expect(row.createdAt == F.time(min(Self.t0, try F.objectCreated("customer.subscription.updated"))))
    }

    @Test func aPlanTypeCorrectionOutranksStripeUntilWithdrawn() throws {
        var state = ProjectionState()
        let events = try Self.events([
            try Self.subscription(at: Self.t0, plan: "starter"),
            .correct(.subscription(Self.sub), .planType(.enterprise)),
            try Self.subscription(at: Self.t0 + 10, plan: "pro"),
            .correct(.subscription(Self.sub), .planTypeWithdrawn),
        ])
        var plans: [PlanType?] = []
        for event in events {
            _ = state.apply(event)
            plans.append(state.subscriptionRow(stripeID: Self.sub)?.planType)
        }
        #expect(plans == [.starter, .enterprise, .enterprise, .pro])
        #expect(state.corrections(of: .subscription(Self.sub)).isEmpty)
    }

    @Test func withdrawingALicenseCorrectionParksAgainWhenStripeHasNone() throws {
        var state = F.project(
            try Self.events([
                try Self.subscription(at: Self.t0, license: "not-a-uuid"),
                .correct(.subscription(Self.sub), .license(Self.otherLicense)),
            ]))
        #expect(try Self.row(state).licenseID == Self.otherLicense)
        _ = state.takeChangedObjects()
        #expect(state.apply(try Self.correction(.subscription(Self.sub), .licenseWithdrawn, position: 3)) == .applied)
        #expect(state.subscriptionRow(stripeID: Self.sub) == nil)
        let reason = state.parked[.subscription(Self.sub)]?.reason
        #expect({ if case .invalidLicenseID(_, "not-a-uuid") = reason { true } else { false } }())
        #expect(state.takeChangedObjects().contains(.subscription(Self.sub)))
        // A newer correction of the same field replaces the older one.
        _ = state.apply(try Self.correction(.subscription(Self.sub), .license(Self.metadataLicense), position: 4))
        _ = state.apply(try Self.correction(.subscription(Self.sub), .license(Self.otherLicense), position: 5))
        #expect(try Self.row(state).licenseID == Self.otherLicense)
    }

    @Test func aCorrectionBeforeTheObjectsFirstEventAppliesWhenItComes() throws {
        let state = F.project(
            try Self.events([
                .correct(.subscription(Self.sub), .license(Self.otherLicense)),
                try Self.subscription(at: Self.t0, license: ""),
            ]))
        #expect(try Self.row(state).licenseID == Self.otherLicense)
        #expect(state.parked.isEmpty)
    }

    @Test func aRedeliveredCorrectionChangesNothing() throws {
        var state = F.project(
            try Self.events([
                try Self.subscription(at: Self.t0),
                .correct(.subscription(Self.sub), .planType(.pro)),
                .correct(.payment(Self.pi), .refund(amountCents: 300)),
            ]))
        let records = state.reducerRecords()
        #expect(
            state.apply(try Self.correction(.subscription(Self.sub), .planType(.pro), position: 2))
                == .ignored(.duplicate))
        #expect(
            state.apply(try Self.correction(.payment(Self.pi), .refund(amountCents: 300), position: 3))
                == .ignored(.duplicate))
        #expect(state.reducerRecords() == records)
    }

    @Test func aCorrectionTheProjectionCannotReadIsIgnoredWithWhy() throws {
        var state = F.project(try Self.events([try Self.subscription(at: Self.t0)]))
        var empty = try Self.correction(.subscription(Self.sub), .planType(.pro), position: 2, reason: " ")
        guard case .ignored(.invalidSetting(let why)) = state.apply(empty) else {
            Issue.record("an empty reason was applied")
            return
        }
        #expect(why.contains("reason"))
        empty.body = Array(#"{"actor":"alice","reason":"x","plan_type":"gold"}"#.utf8)
        empty.position = 3
        #expect(state.apply(empty) != .applied)
        var onPayment = try Self.correction(.payment(Self.pi), .excluded, position: 4)
        onPayment.type = Correction.Fact.Kind.license.rawValue
        onPayment.body = Array(#"{"actor":"alice","license_id":"\#(Self.otherLicense)","reason":"x"}"#.utf8)
        #expect(state.apply(onPayment) != .applied)
        // A Stripe event of a correction's type is Stripe's, not a correction.
        var forged = try Self.correction(.subscription(Self.sub), .planType(.pro), position: 5)
        forged.source = EventSource.stripe
        _ = state.apply(forged)
        #expect(try Self.row(state).planType == .starter)
    }

    // MARK: Exclusion

    /// A subscription, an invoice paying it with `pi`, and the intent's success.
    static func billedSubscription() throws -> [Entry] {
        [
            try Self.subscription(at: Self.t0),
            .stripe(
                try P.old("invoice.paid", at: Self.t0 + 1, ["subscription": Self.sub, "payment_intent": Self.pi])),
            .stripe(try P.old("payment_intent.succeeded", at: Self.t0 + 2, [:])),
        ]
    }

    @Test func anExcludedSubscriptionHasNoRowAndItsPaymentsNoSubscriptionUntilIncluded() throws {
        var state = F.project(try Self.events(try Self.billedSubscription()))
        let linked = try #require(state.paymentRow(paymentIntentID: Self.pi)?.subscriptionID)
        #expect(linked == UUID(version5Name: Self.sub))
        _ = state.takeChangedObjects()
        #expect(state.apply(try Self.correction(.subscription(Self.sub), .excluded, position: 4)) == .applied)
        #expect(state.subscriptionRow(stripeID: Self.sub) == nil)
        #expect(state.takeChangedObjects() == [.subscription(Self.sub), .payment(Self.pi)])
        #expect(state.paymentRow(paymentIntentID: Self.pi)?.subscriptionID == nil)
        // Exclusion outranks Stripe's later events too.
        let later = try F.recorded(
            try L.subscription(at: Self.t0 + 50, ["id": Self.sub, "status": "past_due"]), position: 5)
        #expect(state.apply(later) == .applied)
        #expect(state.subscriptionRow(stripeID: Self.sub) == nil)
        #expect(state.apply(try Self.correction(.subscription(Self.sub), .included, position: 6)) == .applied)
        #expect(try Self.row(state).status == .pastDue)
        #expect(state.paymentRow(paymentIntentID: Self.pi)?.subscriptionID == linked)
    }

    @Test func anExcludedPaymentHasNoRowUntilIncluded() throws {
        var log = try Self.billedSubscription()
        log.append(.correct(.payment(Self.pi), .excluded))
        var state = F.project(try Self.events(log))
        #expect(state.paymentRow(paymentIntentID: Self.pi) == nil)
        #expect(state.paymentRows().isEmpty && state.subscriptionRows().count == 1)
        #expect(state.apply(try Self.correction(.payment(Self.pi), .included, position: 5)) == .applied)
        #expect(state.paymentRow(paymentIntentID: Self.pi)?.status == .succeeded)
    }

    // MARK: Out-of-band refunds

    @Test func outOfBandRefundsAddToStripesUpToTheAmount() throws {
        var state = ProjectionState()
        let events = try Self.events([
            .stripe(try P.old("payment_intent.succeeded", at: Self.t0, [:])),
            .correct(.payment(Self.pi), .refund(amountCents: 500)),
            .stripe(try P.chargeRefunded(at: Self.t0 + 10, refunded: 1000, full: false)),
            .correct(.payment(Self.pi), .refund(amountCents: 200)),
            // Stripe refunds the rest: the total stays at the amount, and the row is refunded in full.
            .stripe(try P.chargeRefunded(at: Self.t0 + 20, refunded: 2000, full: true)),
        ])
        var seen: [(Int32?, PaymentStatus?)] = []
        for event in events {
            _ = state.apply(event)
            let row = state.paymentRow(paymentIntentID: Self.pi)
            seen.append((row?.refundedAmountCents, row?.status))
        }
        #expect(seen.map(\.0) == [0, 500, 1500, 1700, 2000])
        #expect(seen.map(\.1) == [.succeeded, .succeeded, .succeeded, .succeeded, .refunded])
    }

    @Test func outOfBandRefundsReachingTheAmountMakeThePaymentRefunded() throws {
        let state = F.project(
            try Self.events([
                .stripe(try P.old("payment_intent.succeeded", at: Self.t0, [:])),
                .correct(.payment(Self.pi), .refund(amountCents: 1500)),
                .correct(.payment(Self.pi), .refund(amountCents: 1500)),
            ]))
        let row = try #require(state.paymentRow(paymentIntentID: Self.pi))
        #expect(row.refundedAmountCents == 2000 && row.status == .refunded)
        #expect(state.corrections(of: .payment(Self.pi)).map(\.position) == [2, 3])
    }

    // MARK: Order independence and the archive

    /// Stripe's events of a subscription and its payment (some at the same second) and corrections of every kind.
    static func mixedHistory() throws -> (
        stripe: [[String: Any]], corrections: [(Int, ProjectionObjectKey, Correction.Fact)]
    ) {
        let stripe: [[String: Any]] = [
            try L.subscription(
                "customer.subscription.created", at: Self.t0, ["id": Self.sub, "status": "trialing"], license: ""),
            try L.subscription(at: Self.t0 + 5, ["id": Self.sub, "status": "active"], plan: "pro"),
            try L.subscription(at: Self.t0 + 9, ["id": Self.sub, "status": "past_due"], license: F.licenseID),
            try P.old("invoice.paid", at: Self.t0 + 6, ["subscription": Self.sub, "payment_intent": Self.pi]),
            try P.old("payment_intent.succeeded", at: Self.t0 + 6, [:]),
            try P.chargeRefunded(at: Self.t0 + 7, refunded: 700, full: false),
            try P.refund("re_1", at: Self.t0 + 8, amount: 700, paymentIntent: Self.pi),
        ]
        // Log slots (0-based, in the merged log) of the corrections, fixed whatever Stripe's order.
        let corrections: [(Int, ProjectionObjectKey, Correction.Fact)] = [
            (1, .subscription(Self.sub), .license(Self.otherLicense)),
            (3, .payment(Self.pi), .refund(amountCents: 400)),
            (4, .subscription(Self.sub), .planType(.enterprise)),
            (6, .subscription(Self.sub), .excluded),
            (7, .subscription(Self.sub), .included),
            (8, .payment(Self.pi), .refund(amountCents: 2000)),
        ]
        return (stripe, corrections)
    }

    /// The log with Stripe's events in `order` around the corrections at their fixed slots.
    static func merged(
        _ stripe: [[String: Any]], order: [Int], _ corrections: [(Int, ProjectionObjectKey, Correction.Fact)]
    )
        throws -> [RecordedEvent]
    {
        var remaining = order.map { stripe[$0] }[...]
        var log: [Entry] = []
        let slots = Dictionary(uniqueKeysWithValues: corrections.map { ($0.0, ($0.1, $0.2)) })
        while !remaining.isEmpty || log.count < (slots.keys.max() ?? 0) + 1 {
            if let (object, fact) = slots[log.count] {
                log.append(.correct(object, fact))
            } else if let next = remaining.popFirst() {
                log.append(.stripe(next))
            } else {
                break
            }
        }
        return try Self.events(log)
    }

    @Test func stripesEventsInAnyOrderAroundTheCorrectionsGiveTheSameRows() throws {
        let (stripe, corrections) = try Self.mixedHistory()
        let expected = F.project(try Self.merged(stripe, order: Array(stripe.indices), corrections))
        let row = try #require(expected.subscriptionRow(stripeID: Self.sub))
        #expect(row.licenseID == Self.otherLicense && row.planType == .enterprise && row.status == .pastDue)
        let payment = try #require(expected.paymentRow(paymentIntentID: Self.pi))
        #expect(payment.refundedAmountCents == 2000 && payment.status == .refunded)
        #expect(payment.subscriptionID == UUID(version5Name: Self.sub))
        let seed = TestSeed.value(default: 1515)
        var random = SeededGenerator(seed: seed)
        for round in 0..<60 {
            let order = Array(stripe.indices).shuffled(using: &random)
            let state = F.project(try Self.merged(stripe, order: order, corrections))
            #expect(state.subscriptionRows() == expected.subscriptionRows(), "seed \(seed) round \(round) \(order)")
            #expect(state.paymentRows() == expected.paymentRows(), "seed \(seed) round \(round) \(order)")
            #expect(state.parked == expected.parked, "seed \(seed) round \(round) \(order)")
        }
    }

    @Test func correctionsSurviveTheReducerArchiveAndAResumedReplayEqualsOne() throws {
        let (stripe, corrections) = try Self.mixedHistory()
        var events = try Self.merged(stripe, order: Array(stripe.indices), corrections)
        events.append(
            try Self.correction(.subscription(Self.sub), .licenseWithdrawn, position: Int64(events.count + 1)))
        events.append(try Self.correction(.payment(Self.pi), .excluded, position: Int64(events.count + 1)))
        let whole = F.project(events)
        let wholeRecords = whole.reducerRecords()
        #expect(wholeRecords.contains { $0.kind == .correction && $0.key == "subscription:\(Self.sub)" })
        #expect(wholeRecords.contains { $0.kind == .correction && $0.key == "payment:\(Self.pi)" })
        for split in 0...events.count {
            let prefix = F.project(Array(events[..<split]))
            var resumed = try ProjectionState(
                configuration: ProjectionConfiguration(), reducerRecords: prefix.reducerRecords())
            for event in events[split...] { _ = resumed.apply(event) }
            #expect(resumed.reducerRecords() == wholeRecords, "split \(split)")
            #expect(resumed.subscriptionRows() == whole.subscriptionRows(), "split \(split)")
            #expect(resumed.paymentRows() == whole.paymentRows(), "split \(split)")
            #expect(
                resumed.corrections(of: .payment(Self.pi)) == whole.corrections(of: .payment(Self.pi)), "split \(split)"
            )
        }
    }

    @Test func anArchivedCorrectionOfAnotherObjectIsRefused() throws {
        let state = F.project(try Self.events([.correct(.subscription(Self.sub), .planType(.pro))]))
        var records = state.reducerRecords()
        let index = try #require(records.firstIndex { $0.kind == .correction })
        records[index].key = "subscription:sub_other"
        #expect(throws: ReducerArchiveError.self) {
            try ProjectionState(configuration: ProjectionConfiguration(), reducerRecords: records)
        }
    }
}
