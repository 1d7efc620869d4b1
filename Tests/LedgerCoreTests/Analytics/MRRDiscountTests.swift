import Foundation
import LedgerCore
import LedgerTestRandom
import Testing

/// MRR as the analytics tools define it (docs/0006-mrr.md): coupons lower it while they apply,
/// quantities count, `interval_count` is normalised per month, and intervals the table cannot hold park.
/// Every golden history runs in both API shapes: the 2020-08-27 webhook (`discount` with its `coupon`)
/// and the 2026 resource (`discounts` with `source.coupon`, periods on the items).
@Suite struct MRRDiscountTests {
    typealias F = ProjectionFixtures

    enum Shape: String, CaseIterable, CustomTestStringConvertible {
        case legacy2020, current2026
        var testDescription: String { rawValue }
    }

    /// 2023-11-15T01:00:00Z.
    static let t0: Int64 = 1_700_006_400 + 3600
    static let day: Int64 = 86_400

    /// A coupon object: `percent` (JSON number text) or `amountOff`, with its duration.
    static func coupon(
        percent: Double? = nil, amountOff: Int? = nil, currency: String = "usd", duration: String,
        months: Int? = nil
    ) -> [String: Any] {
        [
            "id": "co_\(percent.map { "\($0)" } ?? "")_\(amountOff ?? 0)_\(duration)", "object": "coupon",
            "percent_off": percent ?? NSNull(), "amount_off": amountOff ?? NSNull(), "currency": currency,
            "duration": duration, "duration_in_months": months ?? NSNull(), "valid": true,
        ]
    }

    /// A discount carrying `coupon` where `shape` puts it.
    static func discount(_ shape: Shape, id: String = "di_1", coupon: Any, start: Int64, end: Int64? = nil)
        -> [String: Any]
    {
        var discount: [String: Any] = [
            "id": id, "object": "discount", "start": start, "end": end ?? NSNull(), "customer": "cus_1",
        ]
        switch shape {
        case .legacy2020: discount["coupon"] = coupon
        case .current2026: discount["source"] = ["type": "coupon", "coupon": coupon]
        }
        return discount
    }

    /// A subscription event of `sub` (customer `cus_1`) in `shape`: `amount` × `quantity` every
    /// `count` `interval`s, the period starting at `periodStart` (default `created`), with `discounts`.
    static func event(
        _ shape: Shape, _ type: String = "customer.subscription.updated", _ sub: String = "sub_A",
        at created: Int64, amount: Int = 5000, quantity: Int = 1, interval: String = "month", count: Int = 1,
        periodStart: Int64? = nil, status: String = "active", discounts: [Any] = []
    ) throws -> [String: Any] {
        let start = periodStart ?? created
        let price: [String: Any] = [
            "id": "price_\(interval)_\(count)", "object": "price", "currency": "usd", "unit_amount": amount,
            "recurring": ["interval": interval, "interval_count": count], "tax_behavior": "exclusive",
        ]
        var object: [String: Any]
        var item: [String: Any]
        switch shape {
        case .legacy2020:
            object = F.object(try F.webhook("customer.subscription.updated"))
            item = (((object["items"] as? [String: Any])?["data"]) as? [[String: Any]])?.first ?? [:]
            item["plan"] = nil
            object["current_period_start"] = start
            object["current_period_end"] = start + 30 * day
            object["discount"] = discounts.first ?? NSNull()
        case .current2026:
            object = try F.resource2026("subscription")
            item = (((object["items"] as? [String: Any])?["data"]) as? [[String: Any]])?.first ?? [:]
            item["plan"] = nil
            item["current_period_start"] = start
            item["current_period_end"] = start + 30 * day
            object["discounts"] = discounts
        }
        item["price"] = price
        item["quantity"] = quantity
        object["items"] = ["object": "list", "data": [item]]
        object["id"] = sub
        object["customer"] = "cus_1"
        object["currency"] = "usd"
        object["status"] = status
        object["metadata"] = ["license_id": F.licenseID, "plan_type": "pro"]
        let id = "evt_\(sub)_\(created)_\(status)_\(amount)_\(quantity)_\(count)_\(discounts.count)"
        return F.envelope(type: type, created: created, object: object, id: id)
    }

    static func project(_ envelopes: [[String: Any]]) throws -> LedgerProjections {
        var projections = LedgerProjections()
        for (offset, envelope) in envelopes.enumerated() {
            _ = projections.apply(try F.recorded(envelope, position: Int64(offset + 1)))
        }
        return projections
    }

    /// (kind amount → customer MRR after @position) of each movement.
    static func summary(_ projections: LedgerProjections) -> [String] {
        projections.mrr.movements.map {
            "\($0.kind.rawValue) \($0.amountCents) → \($0.mrrAfterCents) @\($0.sourcePosition)"
        }
    }

    @Test(arguments: Shape.allCases) func percentCouponForeverLowersMRRUntilItIsRemoved(shape: Shape) throws {
        let t0 = Self.t0
        let off = Self.discount(shape, coupon: Self.coupon(percent: 25.5, duration: "forever"), start: t0)
        let projections = try Self.project([
            try Self.event(shape, "customer.subscription.created", at: t0, amount: 2000, discounts: [off]),
            // A year of renewals later the coupon still applies: no movement.
            try Self.event(shape, at: t0 + 365 * Self.day, amount: 2000, discounts: [off]),
            try Self.event(shape, at: t0 + 400 * Self.day, amount: 2000),
        ])
        // 2000 × (1 − 0.255) = 1490.
        #expect(Self.summary(projections) == ["new 1490 → 1490 @1", "expansion 510 → 2000 @3"])
        // The row keeps the list amount: discounts are MRR's, not the billing table's.
        #expect(projections.billing.subscriptionRow(stripeID: "sub_A")?.amountCents == 2000)
    }

    @Test(arguments: Shape.allCases) func amountCouponRepeatingThreeMonthsEndsAtItsEnd(shape: Shape) throws {
        let t0 = Self.t0
        let end = t0 + 90 * Self.day
        let off = Self.discount(
            shape, coupon: Self.coupon(amountOff: 1000, duration: "repeating", months: 3), start: t0, end: end)
        let projections = try Self.project([
            try Self.event(shape, "customer.subscription.created", at: t0, discounts: [off]),
            try Self.event(shape, at: t0 + 30 * Self.day, discounts: [off]),
            try Self.event(shape, at: t0 + 60 * Self.day, discounts: [off]),
            // The first event after `end` still names the discount: it no longer applies.
            try Self.event(shape, at: end + 1, discounts: [off]),
            // Stripe then drops it from the subscription: nothing changes.
            try Self.event(shape, at: end + 2),
        ])
        #expect(Self.summary(projections) == ["new 4000 → 4000 @1", "expansion 1000 → 5000 @4"])
    }

    @Test(arguments: Shape.allCases) func onceCouponAppliesToTheFirstPeriodOnly(shape: Shape) throws {
        let t0 = Self.t0
        let off = Self.discount(shape, coupon: Self.coupon(percent: 50, duration: "once"), start: t0)
        let projections = try Self.project([
            try Self.event(shape, "customer.subscription.created", at: t0, amount: 4000, discounts: [off]),
            // Renewed: the period started after the discount did, so its one invoice is behind it.
            try Self.event(shape, at: t0 + 31 * Self.day, amount: 4000, discounts: [off]),
        ])
        #expect(Self.summary(projections) == ["new 2000 → 2000 @1", "expansion 2000 → 4000 @2"])
    }

    @Test(arguments: Shape.allCases) func quantityMultipliesAndTheCouponAppliesToTheTotal(shape: Shape) throws {
        let t0 = Self.t0
        let off = Self.discount(shape, coupon: Self.coupon(percent: 10, duration: "forever"), start: t0)
        let projections = try Self.project([
            try Self.event(shape, "customer.subscription.created", at: t0, amount: 1200, quantity: 3),
            try Self.event(shape, at: t0 + Self.day, amount: 1200, quantity: 3, discounts: [off]),
        ])
        #expect(projections.billing.subscriptionRow(stripeID: "sub_A")?.amountCents == 3600)
        #expect(Self.summary(projections) == ["new 3600 → 3600 @1", "contraction -360 → 3240 @2"])
    }

    @Test(arguments: Shape.allCases) func multiMonthIntervalsAreNormalisedPerMonth(shape: Shape) throws {
        let t0 = Self.t0
        let projections = try Self.project([
            try Self.event(shape, "customer.subscription.created", "sub_Q", at: t0, amount: 9000, count: 3),
            try Self.event(shape, "customer.subscription.created", "sub_S", at: t0 + 1, amount: 10_000, count: 6),
            try Self.event(
                shape, "customer.subscription.created", "sub_B", at: t0 + 2, amount: 48_000, interval: "year",
                count: 2),
            // A yearly price with an amount off each (yearly) invoice: (12 000 − 1 200) / 12.
            try Self.event(
                shape, "customer.subscription.created", "sub_Y", at: t0 + 3, amount: 12_000, interval: "year",
                discounts: [
                    Self.discount(shape, coupon: Self.coupon(amountOff: 1200, duration: "forever"), start: t0)
                ]),
        ])
        let billing = projections.billing
        #expect(billing.subscriptionRow(stripeID: "sub_Q")?.billingCycle == .quarterly)
        #expect(billing.subscriptionRow(stripeID: "sub_S")?.billingCycle == .semiannual)
        #expect(billing.subscriptionRow(stripeID: "sub_B")?.billingCycle == .biennial)
        // 9000 / 3; 10 000 / 6 = 1666.67 → 1667; 48 000 / 24; 10 800 / 12.
        #expect(projections.mrr.movements.map(\.amountCents) == [3000, 1667, 2000, 900])
    }

    @Test(arguments: Shape.allCases) func intervalsTheTableCannotHoldAreParkedNotMisbilled(shape: Shape) throws {
        let t0 = Self.t0
        var projections = LedgerProjections()
        let fiveMonths = try Self.event(shape, "customer.subscription.created", at: t0, count: 5)
        let weekly = try Self.event(shape, "customer.subscription.created", "sub_W", at: t0, interval: "week")
        #expect(
            projections.apply(try F.recorded(fiveMonths, position: 1)) == .parked(.unsupportedInterval("month × 5")))
        #expect(projections.apply(try F.recorded(weekly, position: 2)) == .parked(.unsupportedInterval("week")))
        #expect(projections.billing.subscriptionRows().isEmpty && projections.mrr.movements.isEmpty)
    }

    @Test(arguments: Shape.allCases) func discountsMRRCannotValueAreIgnored(shape: Shape) throws {
        let t0 = Self.t0
        // An id alone, a coupon given by id, a coupon off in another currency: MRR counts the list price.
        let idOnly: Any = "di_only_id"
        let couponByID = Self.discount(shape, id: "di_2", coupon: "co_not_expanded", start: t0)
        let otherCurrency = Self.discount(
            shape, id: "di_3", coupon: Self.coupon(amountOff: 500, currency: "eur", duration: "forever"), start: t0)
        let discounts: [Any] = shape == .legacy2020 ? [couponByID] : [idOnly, couponByID, otherCurrency]
        let projections = try Self.project([
            try Self.event(shape, "customer.subscription.created", at: t0, discounts: discounts),
            try Self.event(shape, at: t0 + 1, discounts: shape == .legacy2020 ? [otherCurrency] : []),
        ])
        #expect(Self.summary(projections) == ["new 5000 → 5000 @1"])
        let kept = projections.billing.subscriptionDiscounts(stripeID: "sub_A")
        #expect(kept.allSatisfy { $0.value == nil || $0.id == "di_3" })
    }

    @Test func bothShapesAtOnceCountADiscountOnce() throws {
        // Between 2022 and 2025 a subscription carries `discount` (expanded) and `discounts` (its id).
        let t0 = Self.t0
        let off = Self.discount(.legacy2020, coupon: Self.coupon(amountOff: 1000, duration: "forever"), start: t0)
        var envelope = try Self.event(.legacy2020, "customer.subscription.created", at: t0, discounts: [off])
        envelope = F.setting(envelope, ["discounts": ["di_1"]])
        let projections = try Self.project([envelope])
        #expect(Self.summary(projections) == ["new 4000 → 4000 @1"])
    }

    /// Seeded: for random lifecycles with coupons, quantities and cycles, the movements of each customer
    /// add up to the sum of its subscriptions' contributions after every event, and never go below 0.
    @Test(arguments: Shape.allCases) func movementsSumToTheMRRChangeForRandomCouponLifecycles(shape: Shape) throws {
        let seed = TestSeed.value(default: 20_261_203)
        var random = SeededGenerator(seed: seed)
        let subscriptions = ["sub_1", "sub_2", "sub_3"]
        var projections = LedgerProjections()
        var time = Self.t0
        for position in 1...200 {
            time += Int64(random.below(20)) * Self.day + Int64(random.below(3))
            let sub = random.pick(subscriptions)
            var discounts: [Any] = []
            if random.chance(60) {
                let coupon: [String: Any] =
                    random.chance(50)
                    ? Self.coupon(percent: Double(1 + random.below(10_000)) / 100, duration: "forever")
                    : Self.coupon(amountOff: random.below(8000), duration: "forever")
                let duration = random.pick(["once", "repeating", "forever"])
                var withDuration = coupon
                withDuration["duration"] = duration
                let start = time - Int64(random.below(60)) * Self.day
                discounts.append(
                    Self.discount(
                        shape, id: "di_\(random.below(3))", coupon: withDuration, start: start,
                        end: duration == "repeating" ? start + Int64(random.below(120)) * Self.day : nil))
            }
            let cycle = random.pick([("month", 1), ("month", 3), ("month", 6), ("year", 1), ("year", 2)])
            let envelope = try Self.event(
                shape, "customer.subscription.updated", sub, at: time, amount: random.below(10_000),
                quantity: random.below(4),
                interval: cycle.0, count: cycle.1, periodStart: time - Int64(random.below(40)) * Self.day,
                status: random.pick(["active", "active", "past_due", "canceled", "trialing"]),
                discounts: discounts)
            _ = projections.apply(try F.recorded(envelope, position: Int64(position)))
            var expected: Int64 = 0
            for id in subscriptions {
                guard let row = projections.billing.subscriptionRow(stripeID: id) else { continue }
                expected += MRRContribution.monthlyCents(
                    of: row, discounts: projections.billing.subscriptionDiscounts(stripeID: id))
            }
            let moved = projections.mrr.movements.reduce(Int64(0)) { $0 + $1.amountCents }
            #expect(moved == expected, "seed \(seed), after position \(position)")
            #expect(projections.mrr.movements.allSatisfy { $0.mrrAfterCents >= 0 }, "seed \(seed)")
        }
        #expect(projections.mrr.movements.contains { $0.kind == .contraction }, "seed \(seed): coupons moved MRR")
        let restored = try MRRLedger(restoring: projections.mrr.movements)
        #expect(restored.mrrCentsByCurrency == projections.mrr.mrrCentsByCurrency, "seed \(seed)")
    }

    @Test func percentOffIsReadExactly() throws {
        // Written as text, not through JSONSerialization, which may print a Double another way.
        let cases: [(String, Int64?)] = [
            ("25.5", 255_000), ("100", 1_000_000), ("0.0001", 1), ("33.3333", 333_333), ("12.34567", nil),
            ("1e1", nil), ("100.01", nil), ("0", nil),
        ]
        for (text, expected) in cases {
            let coupon = Self.coupon(duration: "forever").merging(["percent_off": "PERCENT"]) { $1 }
            let envelope = try Self.event(
                .legacy2020, at: Self.t0, discounts: [Self.discount(.legacy2020, coupon: coupon, start: Self.t0)])
            let json = try JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys])
            let body = String(decoding: json, as: UTF8.self).replacingOccurrences(of: "\"PERCENT\"", with: text)
            var state = ProjectionState()
            _ = state.apply(
                F.recorded(body: Array(body.utf8), type: "customer.subscription.updated", position: 1, created: Self.t0)
            )
            let discount = try #require(state.subscriptionDiscounts(stripeID: "sub_A").first)
            #expect(discount.value == expected.map { .percentOff(partsPerMillion: $0) }, "\(text)")
        }
    }

    @Test(arguments: Shape.allCases) func discountsSurviveTheReducerArchive(shape: Shape) throws {
        let t0 = Self.t0
        let discounts: [Any] = [
            Self.discount(
                shape, coupon: Self.coupon(amountOff: 700, duration: "repeating", months: 3), start: t0,
                end: t0 + 90 * Self.day),
            Self.discount(shape, id: "di_2", coupon: Self.coupon(percent: 12.5, duration: "once"), start: t0),
            Self.discount(shape, id: "di_3", coupon: "co_by_id", start: t0),
        ]
        let projections = try Self.project([
            try Self.event(shape, "customer.subscription.created", at: t0, count: 6, discounts: discounts)
        ])
        let records = projections.billing.reducerRecords()
        let restored = try ProjectionState(configuration: ProjectionConfiguration(), reducerRecords: records)
        let kept = restored.subscriptionDiscounts(stripeID: "sub_A")
        #expect(kept == projections.billing.subscriptionDiscounts(stripeID: "sub_A"))
        #expect(kept.count == (shape == .legacy2020 ? 1 : 3))
        #expect(restored.reducerRecords() == records)
    }
}
