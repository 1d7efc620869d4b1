import Foundation
import LedgerCore
import LedgerGenerator
import Testing

/// MRR invariants over generated histories: the movements add up to the MRR the subscription rows imply.
@Suite struct MRRGeneratedHistoryTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var seed: UInt64
        var apiVersion: HistoryGenerator.APIVersion
        var testDescription: String { "seed \(seed), \(apiVersion.rawValue)" }
    }

    static let cases: [Case] = [1, 2, 3].flatMap { seed in
        HistoryGenerator.APIVersion.allCases.map { Case(seed: seed, apiVersion: $0) }
    }

    static func events(_ testCase: Case, duplicates: Double = 0, shuffle: Double = 0) throws -> [RecordedEvent] {
        let generator = try HistoryGenerator(
            .init(
                customers: 100, months: 12, seed: testCase.seed, apiVersion: testCase.apiVersion,
                duplicateProbability: duplicates, shuffleProbability: shuffle))
        return generator.events().enumerated().map { offset, event in
            ProjectionFixtures.recorded(
                body: event.json, type: event.type, position: Int64(offset + 1), created: event.created)
        }
    }

    /// MRR per currency computed here, independently of ``MRRContribution``: paying statuses, paid plans,
    /// the coupons that apply (percent or amount off) taken off, the amount divided by the cycle's months and
    /// rounded half up.
    static func independentMRR(_ billing: ProjectionState, rows: [SubscriptionRow]? = nil) -> [String: Int64] {
        var totals: [String: Int64] = [:]
        for row in rows ?? billing.subscriptionRows()
        where ["active", "past_due"].contains(row.status.rawValue) && row.planType.rawValue != "free" {
            var amount = Double(row.amountCents)
            let time = row.updatedAt.microsecondsSinceEpoch / 1_000_000
            let periodStart = row.currentPeriodStart.map { $0.microsecondsSinceEpoch / 1_000_000 }
            for discount in billing.subscriptionDiscounts(stripeID: row.stripeSubscriptionID)
            where discount.applies(at: time, periodStart: periodStart) {
                switch discount.value {
                case .percentOff(let partsPerMillion)?:
                    amount = (amount * Double(1_000_000 - partsPerMillion) / 1_000_000).rounded(
                        .toNearestOrAwayFromZero)
                case .amountOff(let cents, let currency)? where currency.uppercased() == row.currency.uppercased():
                    amount = max(amount - Double(cents), 0)
                default: break
                }
            }
            let months: [String: Double] = [
                "monthly": 1, "quarterly": 3, "semiannual": 6, "yearly": 12, "biennial": 24,
            ]
            totals[row.currency, default: 0] += Int64(
                (amount / (months[row.billingCycle.rawValue] ?? .nan)).rounded(.toNearestOrAwayFromZero))
        }
        return totals.filter { $0.value != 0 }
    }

    /// Customers with MRR > 0 per currency, from the rows.
    static func independentActiveCustomers(_ billing: ProjectionState) -> [String: Int] {
        let rows = billing.subscriptionRows()
        var perCustomer: [String: [String: Int64]] = [:]
        for row in rows {
            let mrr = independentMRR(billing, rows: [row])
            for (currency, cents) in mrr {
                perCustomer[currency, default: [:]][row.stripeCustomerID ?? row.stripeSubscriptionID, default: 0] +=
                    cents
            }
        }
        return perCustomer.mapValues { $0.values.filter { $0 > 0 }.count }.filter { $0.value > 0 }
    }

    /// The MRR at the end of `day` per currency, from the daily rows (newest row on or before the day).
    static func mrr(atEndOf day: UTCDay, _ daily: [MRRDailyRow]) -> [String: Int64] {
        var totals: [String: Int64] = [:]
        for row in daily where row.day <= day { totals[row.currency] = row.mrrCents }
        return totals.filter { $0.value != 0 }
    }

    @Test(arguments: cases)
    func mrrAtTheEndOfEachDayIsTheSumOverTheRowsOfThatDay(_ testCase: Case) throws {
        // In creation order (no late or repeated deliveries), the end of a day is a point in the log.
        let events = try Self.events(testCase)
        var projections = LedgerProjections()
        var checkedDays = 0
        for (index, event) in events.enumerated() {
            _ = projections.apply(event)
            let today = UTCDay(event.occurredAt)
            let next = index + 1 < events.count ? UTCDay(events[index + 1].occurredAt) : nil
            try #require(next.map { $0 >= today } ?? true, "the generator delivers in created order without shuffling")
            guard next != today else { continue }
            let daily = projections.mrr.dailyRows()
            #expect(Self.mrr(atEndOf: today, daily) == Self.independentMRR(projections.billing), "end of \(today)")
            let active = daily.last { $0.day <= today && $0.currency == "USD" }?.activeCustomers ?? 0
            #expect(
                Int(active) == Self.independentActiveCustomers(projections.billing)["USD"] ?? 0, "end of \(today)")
            checkedDays += 1
        }
        #expect(checkedDays > 250)
        #expect(projections.mrr.movements.count > 100)
        // Reactivations are rare in generated histories (a churned customer seldom pays again).
        #expect(Set(projections.mrr.movements.map(\.kind)).isSuperset(of: [.new, .expansion, .contraction, .churn]))
    }

    @Test(arguments: cases)
    func withLateAndRepeatedDeliveriesTheMovementsStillAddUpAtEveryPosition(_ testCase: Case) throws {
        let events = try Self.events(testCase, duplicates: 0.3, shuffle: 0.3)
        var projections = LedgerProjections()
        for (index, event) in events.enumerated() {
            _ = projections.apply(event)
            guard index % 20 == 0 || index == events.count - 1 else { continue }
            let independent = Self.independentMRR(projections.billing)
            #expect(projections.mrr.mrrCentsByCurrency.filter { $0.value != 0 } == independent, "at \(event.position)")
            var sums: [String: Int64] = [:]
            for movement in projections.mrr.movements { sums[movement.currency, default: 0] += movement.amountCents }
            #expect(sums.filter { $0.value != 0 } == independent)
            #expect(projections.mrr.activeCustomersByCurrency == Self.independentActiveCustomers(projections.billing))
        }
        let daily = projections.mrr.dailyRows()
        #expect(daily.allSatisfy { $0.mrrCents >= 0 && $0.activeCustomers >= 0 })
        #expect(
            Self.mrr(atEndOf: UTCDay(daysSinceEpoch: .max), daily)
                == Self.independentMRR(projections.billing))
        #expect(try MRRLedger(restoring: projections.mrr.movements).dailyRows() == daily)
    }

    @Test(arguments: cases)
    func eachMonthStartsWhereTheLastEndedAndMovesByItsMovements(_ testCase: Case) throws {
        var projections = LedgerProjections()
        for event in try Self.events(testCase, duplicates: 0.2, shuffle: 0.2) { _ = projections.apply(event) }
        let daily = projections.mrr.dailyRows()
        let movements = projections.mrr.movements
        for currency in Set(daily.map(\.currency)) {
            var month = try #require(daily.first { $0.currency == currency }?.day.firstOfMonth)
            let last = try #require(daily.last { $0.currency == currency }?.day)
            while month <= last {
                let end = month.firstOfNextMonth
                let start = Self.mrr(atEndOf: month.adding(days: -1), daily)[currency] ?? 0
                let closing = Self.mrr(atEndOf: end.adding(days: -1), daily)[currency] ?? 0
                let moved = movements.filter { $0.currency == currency && $0.day >= month && $0.day < end }
                    .reduce(0) { $0 + $1.amountCents }
                #expect(start + moved == closing, "\(currency) \(month)")
                month = end
            }
        }
        // Every movement keeps the table's constraints.
        for movement in movements {
            #expect(movement.kind.isGain == (movement.amountCents > 0))
            #expect(movement.amountCents == movement.mrrAfterCents - movement.mrrBeforeCents)
            #expect(movement.mrrBeforeCents >= 0 && movement.mrrAfterCents >= 0)
        }
    }

    @Test(arguments: [HistoryGenerator.APIVersion.v2020_08_27, .v2026_07_29])
    func restoringMidwayAndContinuingGivesTheSameMovements(_ apiVersion: HistoryGenerator.APIVersion) throws {
        let events = try Self.events(Case(seed: 4, apiVersion: apiVersion), duplicates: 0.2, shuffle: 0.2)
        var whole = LedgerProjections()
        for event in events { _ = whole.apply(event) }
        var resumed = LedgerProjections()
        for event in events.prefix(events.count / 2) { _ = resumed.apply(event) }
        let archived = resumed.billing.reducerRecords()
        resumed = LedgerProjections(
            billing: try ProjectionState(configuration: .init(), reducerRecords: archived),
            mrr: try MRRLedger(restoring: resumed.mrr.movements))
        for event in events.dropFirst(events.count / 2) { _ = resumed.apply(event) }
        #expect(resumed.mrr.movements == whole.mrr.movements)
        #expect(resumed.mrr.dailyRows() == whole.mrr.dailyRows())
    }
}
