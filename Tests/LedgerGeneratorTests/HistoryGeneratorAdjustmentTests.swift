import Foundation
import LedgerCore
import LedgerGenerator
import Testing

/// Refunds, disputes, coupons, interval changes and test-mode customers in generated histories, and what the
/// projection makes of them.
@Suite("History generator adjustments")
struct HistoryGeneratorAdjustmentTests {
    /// 400 customers over a year: about 15,000 events, enough for every rare branch at seed 7.
    static func configuration(_ apiVersion: HistoryGenerator.APIVersion) -> HistoryGenerator.Configuration {
        .init(customers: 400, months: 12, seed: 7, apiVersion: apiVersion)
    }

    /// What one history holds of each new kind, counted from the decoded events.
    struct Census {
        var types: [String: Int] = [:]
        var testModeEvents = 0
        var testModeObjects = Set<String>()
        var liveSubscriptions = Set<String>()
        var discountShapes = Set<String>()
        var endedDiscounts = 0
        var intervals = Set<String>()
        var intervalChanges = 0
        var lostDisputes = Set<String>()
        var refundedIntents = Set<String>()
        var refundReportOrders = Set<String>()

        init(_ events: [GeneratedEvent], legacy: Bool) throws {
            var firstRefundReport: [String: String] = [:]
            for event in events {
                let envelope = try GeneratedHistory.decode(event)
                let object = GeneratedHistory.dataObject(envelope)
                let previous = (envelope["data"] as? [String: Any])?["previous_attributes"] as? [String: Any]
                types[event.type, default: 0] += 1
                guard envelope["livemode"] as? Bool == true else {
                    testModeEvents += 1
                    testModeObjects.insert(object["payment_intent"] as? String ?? object["id"] as? String ?? "")
                    continue
                }
                switch event.type {
                case let type where type.hasPrefix("customer.subscription."):
                    try observeSubscription(object, previous: previous, legacy: legacy)
                case "charge.refunded", "refund.created":
                    let intent = try #require(object["payment_intent"] as? String)
                    refundedIntents.insert(intent)
                    if let first = firstRefundReport[intent] {
                        refundReportOrders.insert(first + " then " + event.type)
                    } else {
                        firstRefundReport[intent] = event.type
                    }
                case "charge.dispute.closed" where object["status"] as? String == "lost":
                    lostDisputes.insert(try #require(object["payment_intent"] as? String))
                default: break
                }
            }
        }

        private mutating func observeSubscription(
            _ object: [String: Any], previous: [String: Any]?, legacy: Bool
        ) throws {
            liveSubscriptions.insert(try #require(object["id"] as? String))
            let item = HistoryGeneratorShapeTests.firstListItem(object, "items")
            let recurring = try #require((item["price"] as? [String: Any])?["recurring"] as? [String: Any])
            intervals.insert("\(recurring["interval"] ?? "") × \(recurring["interval_count"] ?? "")")
            let discounts = legacy ? [object["discount"] as Any] : object["discounts"] as? [Any] ?? []
            for discount in discounts {
                if discount is String { discountShapes.insert("id only") }
                guard let discount = discount as? [String: Any] else { continue }
                let coupon = try #require(
                    (legacy ? discount["coupon"] : (discount["source"] as? [String: Any])?["coupon"])
                        as? [String: Any])
                discountShapes.insert(coupon["duration"] as? String ?? "?")
                discountShapes.insert(coupon["percent_off"] is NSNull ? "amount off" : "percent off")
            }
            guard let previous else { return }
            if previous.keys.contains(legacy ? "discount" : "discounts") { endedDiscounts += 1 }
            let before = HistoryGeneratorShapeTests.firstListItem(previous, "items")
            let beforeRecurring = (before["price"] as? [String: Any])?["recurring"] as? [String: Any]
            if let beforeRecurring,
                beforeRecurring["interval"] as? String != recurring["interval"] as? String
                    || beforeRecurring["interval_count"] as? Int != recurring["interval_count"] as? Int
            {
                intervalChanges += 1
            }
        }
    }

    @Test(arguments: HistoryGenerator.APIVersion.allCases)
    func everyNewKindAppears(_ apiVersion: HistoryGenerator.APIVersion) throws {
        let legacy = apiVersion == .v2020_08_27
        let events = try GeneratedHistory.events(Self.configuration(apiVersion))
        let census = try Census(events, legacy: legacy)
        let refundUpdate = legacy ? "charge.refund.updated" : "refund.updated"
        for type in [
            "charge.refunded", "refund.created", refundUpdate, "charge.dispute.created",
            "charge.dispute.funds_withdrawn", "charge.dispute.updated", "charge.dispute.closed",
            "charge.dispute.funds_reinstated",
        ] {
            #expect(census.types[type, default: 0] > 0, "no \(type) in \(census.types)")
        }
        #expect(
            census.refundReportOrders == ["charge.refunded then refund.created", "refund.created then charge.refunded"])
        #expect(!census.lostDisputes.isEmpty)
        var shapes: Set<String> = ["once", "repeating", "forever", "percent off", "amount off"]
        if !legacy { shapes.insert("id only") }
        #expect(census.discountShapes == shapes)
        #expect(census.endedDiscounts > 0)
        #expect(census.intervals == ["month × 1", "month × 3", "year × 1"])
        #expect(census.intervalChanges > 0)
        // A few test-mode events, of their own customers: modest, so benchmark sizes barely move.
        #expect(census.testModeEvents > 0 && census.testModeEvents * 20 < events.count)
        #expect(census.testModeObjects.isDisjoint(with: census.liveSubscriptions))
        #expect(try GeneratedHistory.decode(try #require(events.first))["livemode"] as? Bool == true)
    }

    /// The first delivery fixes a ledger's mode, so however deliveries are shuffled it is the history's first event.
    @Test func theFirstDeliveryIsLiveWhateverTheShuffle() throws {
        for seed in UInt64(1)...20 {
            let configuration = HistoryGenerator.Configuration(
                customers: 30, months: 3, seed: seed, duplicateProbability: 0.3, shuffleProbability: 0.9)
            let first = try #require(try HistoryGenerator(configuration).events().first { _ in true })
            var ordered = configuration
            ordered.shuffleProbability = 0
            ordered.duplicateProbability = 0
            #expect(first == (try HistoryGenerator(ordered).events().first { _ in true }), "seed \(seed)")
            #expect(try GeneratedHistory.decode(first)["livemode"] as? Bool == true, "seed \(seed)")
        }
    }

    @Test(arguments: HistoryGenerator.APIVersion.allCases)
    func theProjectionShowsRefundsLostDisputesDiscountsAndNoTestMode(
        _ apiVersion: HistoryGenerator.APIVersion
    ) throws {
        let generated = try GeneratedHistory.events(Self.configuration(apiVersion))
        let census = try Census(generated, legacy: apiVersion == .v2020_08_27)
        var state = ProjectionState()
        for (offset, event) in generated.enumerated() {
            _ = state.apply(GeneratedHistory.recorded(event, position: Int64(offset + 1)))
        }
        #expect(state.mode?.mode == .live)
        let payments = state.paymentRows()
        let refunded = payments.filter { $0.refundedAmountCents > 0 }
        #expect(refunded.contains { $0.status == .refunded })
        #expect(refunded.contains { $0.status == .succeeded && $0.refundedAmountCents < $0.amountCents })
        let lost = payments.filter { census.lostDisputes.contains($0.stripePaymentIntentID) }
        #expect(!lost.isEmpty && lost.allSatisfy { $0.status == .refunded })
        // Every payment the live history refunded shows money returned.
        for id in census.refundedIntents {
            #expect(
                payments.first { $0.stripePaymentIntentID == id }.map { $0.refundedAmountCents > 0 } == true, "\(id)")
        }
        let rows = state.subscriptionRows()
        #expect(Set(rows.map(\.stripeSubscriptionID)) == census.liveSubscriptions)
        #expect(!rows.contains { census.testModeObjects.contains($0.stripeSubscriptionID) })
        #expect(!payments.contains { census.testModeObjects.contains($0.stripePaymentIntentID) })
        #expect(rows.contains { $0.billingCycle == .quarterly })
        let discounted = rows.filter {
            MRRContribution.monthlyCents(
                of: $0, discounts: state.subscriptionDiscounts(stripeID: $0.stripeSubscriptionID))
                < MRRContribution.monthlyCents(of: $0)
        }
        #expect(!discounted.isEmpty, "no subscription's MRR is lowered by a coupon")
    }
}
