import Foundation
import LedgerCore
import Testing

/// Golden MRR histories built from hand-written Stripe subscription events.
@Suite struct MRRLedgerTests {
    typealias F = ProjectionFixtures
    /// 2023-11-15T01:00:00Z.
    static let t0: Int64 = 1_700_006_400 + 3600
    static let day: Int64 = 86_400
    static let day0 = UTCDay(year: 2023, month: 11, day: 15)

    /// A subscription event for `sub` of `customer`: `amount` × `quantity` per `interval` in `currency`.
    static func event(
        _ type: String = "customer.subscription.updated", _ sub: String = "sub_A", customer: String? = "cus_1",
        status: String = "active", at created: Int64, amount: Int = 1500, quantity: Int = 1,
        interval: String = "month", currency: String = "usd", plan: String = "starter"
    ) throws -> [String: Any] {
        var envelope = try LifecycleProjectionTests.subscription(
            type, at: created, ["status": status], unitAmount: amount, quantity: quantity, interval: interval,
            plan: plan)
        envelope["id"] = "evt_\(sub)_\(created)_\(status)_\(amount)_\(quantity)_\(interval)_\(currency)"
        var object = F.object(envelope)
        object["id"] = sub
        object["customer"] = customer ?? NSNull()
        object["currency"] = currency
        var items = object["items"] as? [String: Any] ?? [:]
        var item = (items["data"] as? [[String: Any]])?.first ?? [:]
        var price = item["price"] as? [String: Any] ?? [:]
        price["currency"] = currency
        item["price"] = price
        items["data"] = [item]
        object["items"] = items
        return F.setting(envelope, object)
    }

    static func project(_ envelopes: [[String: Any]]) throws -> LedgerProjections {
        var projections = LedgerProjections()
        for (offset, envelope) in envelopes.enumerated() {
            _ = projections.apply(try F.recorded(envelope, position: Int64(offset + 1)))
        }
        return projections
    }

    /// (kind, amount, customer MRR after, day offset from day0, position) of each movement.
    static func summary(_ ledger: MRRLedger) -> [String] {
        ledger.movements.map {
            "\($0.kind.rawValue) \($0.amountCents) → \($0.mrrAfterCents) \($0.currency) "
                + "day+\($0.day.daysSinceEpoch - day0.daysSinceEpoch) @\($0.sourcePosition) \($0.stripeSubscriptionID)"
        }
    }

    @Test func eachKindOfMovement() throws {
        let t0 = Self.t0
        let day = Self.day
        let projections = try Self.project([
            try Self.event("customer.subscription.created", at: t0),  // new
            try Self.event(at: t0 + day, quantity: 3),  // expansion
            try Self.event(at: t0 + 2 * day, quantity: 2),  // contraction
            // churn
            try Self.event("customer.subscription.deleted", status: "canceled", at: t0 + 3 * day, quantity: 2),
            try Self.event("customer.subscription.created", "sub_B", at: t0 + 5 * day, amount: 4900),  // reactivation
        ])
        #expect(
            Self.summary(projections.mrr) == [
                "new 1500 → 1500 USD day+0 @1 sub_A", "expansion 3000 → 4500 USD day+1 @2 sub_A",
                "contraction -1500 → 3000 USD day+2 @3 sub_A", "churn -3000 → 0 USD day+3 @4 sub_A",
                "reactivation 4900 → 4900 USD day+5 @5 sub_B",
            ])
        let daily = projections.mrr.dailyRows()
        #expect(daily.map(\.mrrCents) == [1500, 4500, 3000, 0, 4900])
        #expect(daily.map(\.activeCustomers) == [1, 1, 1, 0, 1])
        #expect(daily.map(\.newCustomers) == [1, 0, 0, 0, 0])
        #expect(daily.map(\.churnedCustomers) == [0, 0, 0, 1, 0])
        #expect(daily.map(\.reactivatedCustomers) == [0, 0, 0, 0, 1])
        #expect(daily[2].contractionCents == -1500 && daily[3].churnCents == -3000)
        #expect(projections.mrr.mrrCentsByCurrency == ["USD": 4900])
    }

    @Test func upgradeThenDowngradeTheSameDayKeepsBothMovements() throws {
        let projections = try Self.project([
            try Self.event("customer.subscription.created", at: Self.t0, plan: "starter"),
            try Self.event(at: Self.t0 + 3 * Self.day, amount: 4900, plan: "pro"),
            try Self.event(at: Self.t0 + 3 * Self.day + 3600, amount: 1500, plan: "starter"),
        ])
        #expect(
            Self.summary(projections.mrr) == [
                "new 1500 → 1500 USD day+0 @1 sub_A", "expansion 3400 → 4900 USD day+3 @2 sub_A",
                "contraction -3400 → 1500 USD day+3 @3 sub_A",
            ])
        let last = try #require(projections.mrr.dailyRows().last)
        #expect(last.expansionCents == 3400 && last.contractionCents == -3400 && last.mrrCents == 1500)
        #expect(last.netCents == 0 && last.activeCustomers == 1)
    }

    @Test func aYearlyPlanCountsAsATwelfthAndSwitchingToMonthlyIsAnExpansion() throws {
        // 49 000 / 12 = 4083.33…: 4083; 1 000 / 12 = 83.33…: 83; 1 002 / 12 = 83.5: 84 (halves up).
        let projections = try Self.project([
            try Self.event("customer.subscription.created", at: Self.t0, amount: 49_000, interval: "year", plan: "pro"),
            try Self.event(at: Self.t0 + 40 * Self.day, amount: 4900, interval: "month", plan: "pro"),
            try Self.event(
                "customer.subscription.created", "sub_B", customer: "cus_2", at: Self.t0, amount: 1002, interval: "year"
            ),
        ])
        #expect(
            Self.summary(projections.mrr) == [
                "new 4083 → 4083 USD day+0 @1 sub_A", "expansion 817 → 4900 USD day+40 @2 sub_A",
                "new 84 → 84 USD day+0 @3 sub_B",
            ])
    }

    @Test func churnThenReactivationOfTheSameSubscription() throws {
        let projections = try Self.project([
            try Self.event("customer.subscription.created", at: Self.t0),
            try Self.event(status: "past_due", at: Self.t0 + 30 * Self.day),
            try Self.event(status: "unpaid", at: Self.t0 + 45 * Self.day),
            try Self.event(status: "active", at: Self.t0 + 50 * Self.day),
        ])
        // past_due still counts; unpaid does not.
        #expect(
            Self.summary(projections.mrr) == [
                "new 1500 → 1500 USD day+0 @1 sub_A", "churn -1500 → 0 USD day+45 @3 sub_A",
                "reactivation 1500 → 1500 USD day+50 @4 sub_A",
            ])
    }

    @Test func oneOfTwoSubscriptionsEndingIsAContractionNotAChurn() throws {
        let projections = try Self.project([
            try Self.event("customer.subscription.created", "sub_A", at: Self.t0),
            try Self.event("customer.subscription.created", "sub_B", at: Self.t0 + Self.day, amount: 4900, plan: "pro"),
            try Self.event("customer.subscription.deleted", "sub_A", status: "canceled", at: Self.t0 + 9 * Self.day),
            try Self.event(
                "customer.subscription.deleted", "sub_B", status: "canceled", at: Self.t0 + 20 * Self.day, amount: 4900,
                plan: "pro"),
        ])
        #expect(
            Self.summary(projections.mrr) == [
                "new 1500 → 1500 USD day+0 @1 sub_A", "expansion 4900 → 6400 USD day+1 @2 sub_B",
                "contraction -1500 → 4900 USD day+9 @3 sub_A", "churn -4900 → 0 USD day+20 @4 sub_B",
            ])
        #expect(projections.mrr.dailyRows().map(\.activeCustomers) == [1, 1, 1, 0])
    }

    @Test func aTrialIsNewAtConversionNotAtItsStart() throws {
        let projections = try Self.project([
            try Self.event("customer.subscription.created", status: "trialing", at: Self.t0, amount: 4900, plan: "pro"),
            try Self.event(
                "customer.subscription.trial_will_end", status: "trialing", at: Self.t0 + 11 * Self.day, amount: 4900,
                plan: "pro"),
            try Self.event(status: "active", at: Self.t0 + 14 * Self.day, amount: 4900, plan: "pro"),
        ])
        #expect(Self.summary(projections.mrr) == ["new 4900 → 4900 USD day+14 @3 sub_A"])
    }

    @Test func aFreePlanMakesNoMovement() throws {
        let projections = try Self.project([
            try Self.event("customer.subscription.created", at: Self.t0, amount: 0, plan: "free"),
            try Self.event(at: Self.t0 + Self.day, amount: 0, quantity: 2, plan: "free"),
            try Self.event(
                "customer.subscription.deleted", status: "canceled", at: Self.t0 + 2 * Self.day, amount: 0, plan: "free"
            ),
        ])
        #expect(projections.mrr.movements.isEmpty)
        #expect(projections.mrr.dailyRows().isEmpty)
        // Upgrading from free is the customer's first MRR: new.
        let upgraded = try Self.project([
            try Self.event("customer.subscription.created", at: Self.t0, amount: 0, plan: "free"),
            try Self.event(at: Self.t0 + Self.day, amount: 1900, plan: "starter"),
        ])
        #expect(Self.summary(upgraded.mrr) == ["new 1900 → 1900 USD day+1 @2 sub_A"])
    }

    @Test func changingCurrencyLeavesOneAndEntersTheOther() throws {
        let projections = try Self.project([
            try Self.event("customer.subscription.created", at: Self.t0, amount: 1500, currency: "usd"),
            try Self.event(at: Self.t0 + 3 * Self.day, amount: 1400, currency: "eur"),
        ])
        #expect(
            Self.summary(projections.mrr) == [
                "new 1500 → 1500 USD day+0 @1 sub_A", "churn -1500 → 0 USD day+3 @2 sub_A",
                "new 1400 → 1400 EUR day+3 @2 sub_A",
            ])
        #expect(projections.mrr.mrrCentsByCurrency == ["USD": 0, "EUR": 1400])
    }

    @Test func staleAndDuplicateDeliveriesMakeNoMovement() throws {
        let created = try Self.event("customer.subscription.created", at: Self.t0)
        let upgraded = try Self.event(at: Self.t0 + 2 * Self.day, quantity: 2)
        let stale = try Self.event(at: Self.t0 + Self.day, quantity: 5)
        let projections = try Self.project([created, upgraded, upgraded, stale, created])
        #expect(
            Self.summary(projections.mrr) == [
                "new 1500 → 1500 USD day+0 @1 sub_A", "expansion 1500 → 3000 USD day+2 @2 sub_A",
            ])
    }

    @Test func aLateEventIsDatedOnTheCustomersNewestDay() throws {
        // sub_B's upgrade (day 6) is delivered before sub_A's cancellation (day 5).
        let projections = try Self.project([
            try Self.event("customer.subscription.created", "sub_A", at: Self.t0),
            try Self.event("customer.subscription.created", "sub_B", at: Self.t0 + Self.day, amount: 4900, plan: "pro"),
            try Self.event(
                "customer.subscription.updated", "sub_B", at: Self.t0 + 6 * Self.day, amount: 19_900, plan: "enterprise"
            ),
            try Self.event("customer.subscription.deleted", "sub_A", status: "canceled", at: Self.t0 + 5 * Self.day),
            // Another customer's late event keeps its own day.
            try Self.event("customer.subscription.created", "sub_C", customer: "cus_2", at: Self.t0 + 2 * Self.day),
        ])
        #expect(
            Self.summary(projections.mrr) == [
                "new 1500 → 1500 USD day+0 @1 sub_A", "expansion 4900 → 6400 USD day+1 @2 sub_B",
                "expansion 15000 → 21400 USD day+6 @3 sub_B", "contraction -1500 → 19900 USD day+6 @4 sub_A",
                "new 1500 → 1500 USD day+2 @5 sub_C",
            ])
        let daily = projections.mrr.dailyRows()
        #expect(daily.map(\.mrrCents) == [1500, 6400, 7900, 21400])
        #expect(daily.map(\.activeCustomers) == [1, 1, 2, 2])
    }

    @Test func aSubscriptionWithoutACustomerIsACustomerOfItsOwn() throws {
        let projections = try Self.project([
            try Self.event("customer.subscription.created", "sub_A", customer: nil, at: Self.t0),
            try Self.event("customer.subscription.created", "sub_B", customer: nil, at: Self.t0),
            try Self.event(
                "customer.subscription.deleted", "sub_A", customer: nil, status: "canceled", at: Self.t0 + Self.day),
        ])
        #expect(
            Self.summary(projections.mrr) == [
                "new 1500 → 1500 USD day+0 @1 sub_A", "new 1500 → 1500 USD day+0 @2 sub_B",
                "churn -1500 → 0 USD day+1 @3 sub_A",
            ])
        #expect(projections.mrr.movements.allSatisfy { $0.stripeCustomerID == nil })
    }

    @Test func takeChangesGivesNewMovementsAndEveryDailyRowFromTheEarliestChangedDay() throws {
        var projections = try Self.project([
            try Self.event("customer.subscription.created", "sub_A", at: Self.t0),
            try Self.event("customer.subscription.created", "sub_B", customer: "cus_2", at: Self.t0 + 4 * Self.day),
        ])
        #expect(projections.mrr.takeChanges().dailyRows.count == 2)
        #expect(projections.mrr.takeChanges() == MRRLedger.Changes(movements: [], dailyRows: []))
        let late = try Self.event(
            "customer.subscription.created", "sub_C", customer: "cus_3", at: Self.t0 + 2 * Self.day)
        _ = projections.apply(try F.recorded(late, position: 3))
        let changes = projections.mrr.takeChanges()
        #expect(changes.movements.map(\.stripeSubscriptionID) == ["sub_C"])
        #expect(changes.dailyRows.map(\.day) == [Self.day0.adding(days: 2), Self.day0.adding(days: 4)])
        #expect(changes.dailyRows.map(\.mrrCents) == [3000, 4500])
    }

    @Test func restoringFromMovementsContinuesExactly() throws {
        let history = [
            try Self.event("customer.subscription.created", "sub_A", at: Self.t0),
            try Self.event("customer.subscription.created", "sub_B", at: Self.t0 + Self.day, amount: 4900, plan: "pro"),
            try Self.event(at: Self.t0 + 3 * Self.day, amount: 1400, currency: "eur"),
            try Self.event(
                "customer.subscription.deleted", "sub_B", status: "canceled", at: Self.t0 + 4 * Self.day, amount: 4900,
                plan: "pro"),
            try Self.event("customer.subscription.created", "sub_C", at: Self.t0 + 5 * Self.day),
        ]
        let whole = try Self.project(history)
        var resumed = try Self.project(Array(history.prefix(3)))
        resumed.mrr = try MRRLedger(restoring: resumed.mrr.movements)
        for (offset, envelope) in history.enumerated().dropFirst(3) {
            _ = resumed.apply(try F.recorded(envelope, position: Int64(offset + 1)))
        }
        #expect(resumed.mrr.movements == whole.mrr.movements)
        #expect(resumed.mrr.dailyRows() == whole.mrr.dailyRows())
        #expect(resumed.mrr.mrrCentsByCurrency == whole.mrr.mrrCentsByCurrency)

        var tampered = whole.mrr.movements
        tampered[1].amountCents += 1
        tampered[1].mrrAfterCents += 1
        #expect(throws: MRRRestoreError.self) { try MRRLedger(restoring: tampered) }
        #expect(throws: MRRRestoreError.self) { try MRRLedger(restoring: whole.mrr.movements.reversed()) }
        var relabeled = whole.mrr.movements
        relabeled[0].kind = .reactivation
        #expect(throws: MRRRestoreError.self) { try MRRLedger(restoring: relabeled) }
    }

    @Test func utcDaysParseAndPrint() {
        #expect(UTCDay(parsing: "2024-02-29")?.description == "2024-02-29")
        #expect(UTCDay(parsing: "2025-02-29") == nil)
        #expect(UTCDay(parsing: "2025-1-01") == nil)
        #expect(UTCDay(parsing: "+025-01-01") == nil)
        #expect(UTCDay(EventTime(secondsSinceEpoch: Self.t0)) == Self.day0)
        #expect(UTCDay(EventTime(secondsSinceEpoch: -1)).description == "1969-12-31")
        #expect(UTCDay(parsing: "2025-01-15")?.monday.description == "2025-01-13")
        #expect(UTCDay(parsing: "2025-01-13")?.monday.description == "2025-01-13")
        #expect(UTCDay(parsing: "2024-12-31")?.firstOfNextMonth.description == "2025-01-01")
    }
}
