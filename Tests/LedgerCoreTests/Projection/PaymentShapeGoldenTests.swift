import Foundation
import LedgerCore
import Testing

/// Issue 15 point 3 and 4 golden lifecycles run in both API shapes (2020-08-27 and 2026-07-29), each in every
/// delivery order: refunds by object and by `charge.refunded`, disputes won and lost, the payment method from
/// the intent or its latest charge, and test-mode events in a live ledger. ``PaymentLifecycleTests`` holds the
/// voided `default_incomplete` invoice (both shapes) and the single-shape cases these extend.
@Suite struct PaymentShapeGoldenTests {
    typealias F = ProjectionFixtures
    typealias L = LifecycleProjectionTests
    typealias P = PaymentLifecycleTests

    /// The shape every object of a lifecycle is written in.
    enum Shape: String, CaseIterable, Sendable {
        case v2020_08_27 = "2020-08-27"
        case v2026_07_29 = "2026-07-29"
    }

    static let pi = P.pi
    static let charge = P.charge
    static let t0 = P.t0
    static let amount = 2000

    // MARK: Events in either shape

    /// A succeeded PaymentIntent of ``amount``, its object changed by `changes`.
    static func intent(_ shape: Shape, at created: Int64, _ changes: [String: Any] = [:]) throws -> [String: Any] {
        var values: [String: Any] = ["id": pi, "status": "succeeded", "amount": amount, "currency": "usd"]
        values.merge(changes) { $1 }
        switch shape {
        case .v2020_08_27: return try P.old("payment_intent.succeeded", at: created, values)
        case .v2026_07_29: return try P.new("payment_intent", "payment_intent.succeeded", at: created, values)
        }
    }

    /// A charge event of ``charge`` on ``pi``, `refunded` cents refunded so far (full when all of ``amount``).
    static func charge(
        _ shape: Shape, _ type: String = "charge.succeeded", at created: Int64, refunded: Int = 0,
        _ changes: [String: Any] = [:]
    ) throws -> [String: Any] {
        var values: [String: Any] = [
            "id": charge, "payment_intent": pi, "status": "succeeded", "amount": amount, "amount_captured": amount,
            "captured": true, "amount_refunded": refunded, "refunded": refunded >= amount, "currency": "usd",
        ]
        values.merge(changes) { $1 }
        var envelope: [String: Any]
        switch shape {
        case .v2020_08_27: envelope = try P.old("charge.succeeded", type, at: created, values)
        case .v2026_07_29: envelope = try P.new("charge", type, at: created, values)
        }
        envelope["id"] = "evt_\(type)_\(created)_\(refunded)"
        return envelope
    }

    /// A Refund object's event (the recorded 2020 object, or the 2026 OpenAPI example).
    static func refund(
        _ shape: Shape, _ id: String, _ type: String = "refund.updated", at created: Int64, amount: Int,
        status: String = "succeeded", paymentIntent: String? = nil
    ) throws -> [String: Any] {
        switch shape {
        case .v2020_08_27:
            return try P.refund(id, type, at: created, amount: amount, status: status, paymentIntent: paymentIntent)
        case .v2026_07_29:
            var envelope = try P.new(
                "refund", type, at: created,
                [
                    "id": id, "charge": charge, "amount": amount, "status": status, "currency": "usd",
                    "payment_intent": paymentIntent ?? NSNull(),
                ])
            envelope["id"] = "evt_\(id)_\(type)_\(created)_\(status)"
            return envelope
        }
    }

    /// A Dispute object's event. No 2020 dispute is recorded: the OpenAPI example's fields (`charge`,
    /// `payment_intent`, `amount`, `status`) are those 2020-08-27 sent, so only the envelope's version differs.
    static func dispute(
        _ shape: Shape, _ type: String, at created: Int64, amount: Int, status: String, paymentIntent: String? = nil
    ) throws -> [String: Any] {
        var envelope = try P.dispute(
            "dp_1", type, at: created, amount: amount, status: status, paymentIntent: paymentIntent)
        envelope["api_version"] = shape.rawValue
        return envelope
    }

    /// `envelope` stating `livemode`.
    static func mode(_ envelope: [String: Any], live: Bool) -> [String: Any] {
        var envelope = F.setting(envelope, ["livemode": live])
        envelope["livemode"] = live
        envelope["id"] = "\(envelope["id"] ?? "evt")_\(live ? "live" : "test")"
        return envelope
    }

    // MARK: Refunds

    /// A refund reported by its object and by `charge.refunded` counts once: object first, charge event first,
    /// and every other order; then the rest refunded by a second refund the same way makes the payment refunded.
    @Test(arguments: Shape.allCases)
    func refundsByObjectAndByChargeEventCountOnceInEveryOrder(_ shape: Shape) throws {
        let paid = try Self.intent(shape, at: Self.t0)
        let succeeded = try Self.charge(shape, at: Self.t0)
        let partialObject = try Self.refund(shape, "re_1", "refund.created", at: Self.t0 + 10, amount: 500)
        let partialCharge = try Self.charge(shape, "charge.refunded", at: Self.t0 + 10, refunded: 500)
        let (_, partial) = try P.rowsInEveryOrder([paid, succeeded, partialObject, partialCharge])
        let row = try #require(partial.first)
        #expect(partial.count == 1 && row.stripePaymentIntentID == Self.pi)
        #expect(row.status == .succeeded && row.refundedAmountCents == 500 && row.amountCents == Self.amount)

        let restObject = try Self.refund(shape, "re_2", "charge.refund.updated", at: Self.t0 + 20, amount: 1500)
        let fullCharge = try Self.charge(shape, "charge.refunded", at: Self.t0 + 20, refunded: Self.amount)
        let (_, full) = try P.rowsInEveryOrder([paid, succeeded, partialObject, partialCharge, restObject, fullCharge])
        let refunded = try #require(full.first)
        #expect(refunded.status == .refunded && refunded.refundedAmountCents == Self.amount)
        #expect(refunded.updatedAt == F.time(Self.t0 + 20))
    }

    /// Without any `charge.*` event, the intent's own `latest_charge` (an id, or expanded; before 2025 also its
    /// `charges.data`) ties the charge to it: a refund and a lost dispute naming only the charge reach the row.
    @Test(arguments: Shape.allCases, [false, true])
    func theIntentsOwnChargesTieRefundsAndDisputesWithoutAChargeEvent(_ shape: Shape, expanded: Bool) throws {
        let latest: Any = expanded ? ["id": Self.charge, "object": "charge"] : Self.charge
        let paid = try Self.intent(shape, at: Self.t0, ["latest_charge": latest])
        let refund = try Self.refund(shape, "re_only_charge", "refund.created", at: Self.t0 + 10, amount: 500)
        let lost = try Self.dispute(shape, "charge.dispute.closed", at: Self.t0 + 20, amount: 1500, status: "lost")
        let (_, rows) = try P.rowsInEveryOrder([paid, refund, lost])
        let row = try #require(rows.first)
        #expect(rows.count == 1 && row.refundedAmountCents == Self.amount && row.status == .refunded)
    }

    // MARK: Disputes

    /// Opened then won: the row is as before the dispute. Opened then lost: the disputed amount is money returned,
    /// the payment `refunded` when that is all of it. The dispute names only the charge (2020) or also the intent.
    @Test(arguments: Shape.allCases, [false, true])
    func aDisputeOpenedThenWonLeavesTheRowAndOneOpenedThenLostReturnsTheMoney(
        _ shape: Shape, namesIntent: Bool
    ) throws {
        let paid = try Self.intent(shape, at: Self.t0)
        let succeeded = try Self.charge(shape, at: Self.t0)
        let named = namesIntent ? Self.pi : nil
        func dispute(_ type: String, _ offset: Int64, _ amount: Int, _ status: String) throws -> [String: Any] {
            try Self.dispute(shape, type, at: Self.t0 + offset, amount: amount, status: status, paymentIntent: named)
        }
        let before = try #require(try P.rowsInEveryOrder([paid, succeeded]).1.first)

        let opened = try dispute("charge.dispute.created", 5, Self.amount, "needs_response")
        let won = try dispute("charge.dispute.closed", 9, Self.amount, "won")
        let wonRow = try #require(try P.rowsInEveryOrder([paid, succeeded, opened, won]).1.first)
        #expect(wonRow.status == before.status && wonRow.refundedAmountCents == before.refundedAmountCents)
        #expect(wonRow.status == .succeeded && wonRow.refundedAmountCents == 0)

        let lost = try dispute("charge.dispute.closed", 9, Self.amount, "lost")
        let lostRow = try #require(try P.rowsInEveryOrder([paid, succeeded, opened, lost]).1.first)
        #expect(lostRow.status == .refunded && lostRow.refundedAmountCents == Self.amount)
        #expect(lostRow.amountCents == before.amountCents && lostRow.processedAt == before.processedAt)

        // A dispute over part of the payment, lost: that part is returned, the payment stays succeeded.
        let openedPart = try dispute("charge.dispute.created", 5, 800, "needs_response")
        let lostPart = try dispute("charge.dispute.closed", 9, 800, "lost")
        let partRow = try #require(try P.rowsInEveryOrder([paid, succeeded, openedPart, lostPart]).1.first)
        #expect(partRow.status == .succeeded && partRow.refundedAmountCents == 800)
    }

    // MARK: Payment method

    /// With several `payment_method_types`, the method is the one the intent's latest charge used: the charge's
    /// own event (both shapes), or the 2026 intent's expanded `latest_charge`, or the intent's expanded
    /// `payment_method`.
    @Test(arguments: Shape.allCases)
    func thePaymentMethodComesFromTheIntentsMethodOrItsLatestCharge(_ shape: Shape) throws {
        // No charge carried (the recorded 2020 intent lists its card charge) and an unexpanded method.
        let several: [String: Any] = [
            "payment_method_types": ["card", "sepa_debit"], "payment_method": "pm_1", "charges": NSNull(),
        ]
        let bare = try Self.intent(shape, at: Self.t0, several)
        #expect(try L.rows([bare]).1.first?.paymentMethod == nil)

        let charged = try Self.charge(shape, at: Self.t0, ["payment_method_details": ["type": "sepa_debit"]])
        #expect(try P.rowsInEveryOrder([bare, charged]).1.first?.paymentMethod == "sepa_debit")

        // 2026: the expanded `latest_charge`. (A 2020 intent's `charges` list is not read: the recorded
        // `payment_intent.processing` lists a card charge under a card-or-SEPA intent, and its method stays NULL.)
        if shape == .v2026_07_29 {
            let details: [String: Any] = [
                "id": Self.charge, "object": "charge", "payment_method_details": ["type": "us_bank_account"],
            ]
            let viaCharge = try Self.intent(shape, at: Self.t0, several.merging(["latest_charge": details]) { $1 })
            #expect(try L.rows([viaCharge]).1.first?.paymentMethod == "us_bank_account")
        }

        let expanded = try Self.intent(
            shape, at: Self.t0, several.merging(["payment_method": ["id": "pm_1", "type": "sepa_debit"]]) { $1 })
        #expect(try L.rows([expanded]).1.first?.paymentMethod == "sepa_debit")
    }

    // MARK: Mode

    /// A live ledger (mode set first) with a live payment: test-mode refunds, charge events, disputes and intents
    /// are ignored as the other mode in every delivery order, and never change or add a row.
    @Test(arguments: Shape.allCases)
    func testModeEventsInALiveLedgerAreIgnoredAndNeverCounted(_ shape: Shape) throws {
        let live = [
            Self.mode(try Self.intent(shape, at: Self.t0), live: true),
            Self.mode(try Self.charge(shape, at: Self.t0), live: true),
        ]
        var otherIntent = try Self.intent(shape, at: Self.t0 + 1)
        otherIntent = F.setting(otherIntent, ["id": "pi_test1"])
        let test = [
            Self.mode(
                try Self.refund(shape, "re_t", at: Self.t0 + 2, amount: 700, paymentIntent: Self.pi), live: false),
            Self.mode(try Self.charge(shape, "charge.refunded", at: Self.t0 + 3, refunded: Self.amount), live: false),
            Self.mode(
                try Self.dispute(shape, "charge.dispute.closed", at: Self.t0 + 4, amount: 900, status: "lost"),
                live: false),
            Self.mode(otherIntent, live: false),
        ]
        let setting = try LedgerModeProjectionTests.setting(.live, position: 1)
        let events = try (live + test).enumerated().map { try F.recorded($1, position: Int64($0 + 2)) }
        let expected = F.project(try L.events(live)).paymentRows()
        #expect(expected.count == 1 && expected.first?.refundedAmountCents == 0)
        for order in P.permutations(Array(events.indices)) {
            var state = ProjectionState()
            #expect(state.apply(setting) == .applied)
            for index in order {
                let outcome = state.apply(events[index])
                if index >= live.count {
                    #expect(outcome == .ignored(.otherMode(event: .test, ledger: .live)), "order \(order)")
                }
            }
            #expect(state.paymentRows() == expected, "order \(order)")
            #expect(state.parked.isEmpty, "order \(order)")
        }
    }
}
