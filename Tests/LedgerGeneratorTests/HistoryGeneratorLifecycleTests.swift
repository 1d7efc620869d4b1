import Foundation
import LedgerCore
import LedgerGenerator
import Testing

@Suite("History generator lifecycles")
struct HistoryGeneratorLifecycleTests {
    /// What a moderately sized run contains, gathered once per API version.
    struct Census {
        var types = Set<String>()
        var statuses = Set<String>()
        var plans = Set<String>()
        var intervals = Set<String>()
        var currencies = Set<String>()
        var previousKeys = Set<String>()
        var cancelAtPeriodEnd = false
        var pauseCollection = false
        var partialRefund = false
        var fullRefund = false
        var freeInvoice = false
        var sameSecondSameObject = false
        var invoicePaymentLinksPaymentIntent = false

        init(apiVersion: HistoryGenerator.APIVersion) throws {
            let events = try GeneratedHistory.events(
                .init(customers: 200, months: 12, seed: 2024, apiVersion: apiVersion))
            var lastSeen: [String: Int64] = [:]
            for event in events {
                let envelope = try GeneratedHistory.decode(event)
                let object = GeneratedHistory.dataObject(envelope)
                types.insert(event.type)
                if let id = object["id"] as? String {
                    if lastSeen[id] == event.created { sameSecondSameObject = true }
                    lastSeen[id] = event.created
                }
                if let previous = (envelope["data"] as? [String: Any])?["previous_attributes"] as? [String: Any] {
                    previousKeys.formUnion(previous.keys)
                }
                record(event.type, object)
            }
        }

        private mutating func record(_ type: String, _ object: [String: Any]) {
            switch object["object"] as? String {
            case "subscription":
                statuses.insert(object["status"] as? String ?? "")
                if let metadata = object["metadata"] as? [String: Any] {
                    plans.insert(metadata["plan_type"] as? String ?? "")
                }
                currencies.insert(
                    ((object["items"] as? [String: Any])?["data"] as? [[String: Any]])?
                        .first.flatMap { ($0["price"] as? [String: Any])?["currency"] as? String } ?? "")
                intervals.insert(
                    ((object["items"] as? [String: Any])?["data"] as? [[String: Any]])?
                        .first.flatMap {
                            (($0["price"] as? [String: Any])?["recurring"] as? [String: Any])?["interval"] as? String
                        } ?? "")
                if object["cancel_at_period_end"] as? Bool == true { cancelAtPeriodEnd = true }
                if object["pause_collection"] is [String: Any] { pauseCollection = true }
            case "charge" where type == "charge.refunded":
                let amount = (object["amount"] as? NSNumber)?.int64Value ?? 0
                let refunded = (object["amount_refunded"] as? NSNumber)?.int64Value ?? 0
                if refunded == amount { fullRefund = true } else if refunded > 0 { partialRefund = true }
            case "invoice" where type == "invoice.paid":
                if (object["amount_due"] as? NSNumber)?.int64Value == 0 { freeInvoice = true }
            case "invoice_payment":
                let payment = object["payment"] as? [String: Any]
                if (payment?["payment_intent"] as? String)?.hasPrefix("pi_") == true {
                    invoicePaymentLinksPaymentIntent = true
                }
            default:
                break
            }
        }
    }

    static let commonTypes = [
        "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
        "customer.subscription.trial_will_end", "customer.subscription.paused", "customer.subscription.resumed",
        "invoice.created", "invoice.finalized", "invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed",
        "payment_intent.created", "payment_intent.succeeded", "payment_intent.payment_failed",
        "charge.succeeded", "charge.failed", "charge.refunded",
    ]

    @Test(arguments: HistoryGenerator.APIVersion.allCases)
    func moderateRunContainsEveryLifecycleKind(apiVersion: HistoryGenerator.APIVersion) throws {
        let census = try Census(apiVersion: apiVersion)
        for type in Self.commonTypes {
            #expect(census.types.contains(type), "missing \(type)")
        }
        if apiVersion == .v2026_07_29 {
            #expect(census.types.contains("invoice_payment.paid"))
            #expect(census.invoicePaymentLinksPaymentIntent)
        } else {
            #expect(!census.types.contains("invoice_payment.paid"))
        }
        for status in [
            "incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled", "unpaid", "paused",
        ] {
            #expect(census.statuses.contains(status), "missing status \(status)")
        }
        #expect(census.plans == ["free", "starter", "pro", "enterprise"])
        #expect(census.intervals == ["month", "year"])
        #expect(census.currencies == ["usd", "eur", "gbp"])
        #expect(
            census.previousKeys.isSuperset(of: [
                "items", "status", "cancel_at_period_end", "pause_collection", "metadata",
            ]))
        #expect(census.cancelAtPeriodEnd)
        #expect(census.pauseCollection)
        #expect(census.partialRefund)
        #expect(census.fullRefund)
        #expect(census.freeInvoice)
        #expect(census.sameSecondSameObject)
    }

    @Test func trialWillEndComesThreeDaysBeforeTrialEnd() throws {
        let events = try GeneratedHistory.events(.init(customers: 200, months: 6, seed: 11))
        var found = 0
        for event in events where event.type == "customer.subscription.trial_will_end" {
            let object = GeneratedHistory.dataObject(try GeneratedHistory.decode(event))
            let trialEnd = try #require((object["trial_end"] as? NSNumber)?.int64Value)
            #expect(trialEnd - event.created == 3 * 86_400)
            #expect(object["status"] as? String == "trialing")
            found += 1
        }
        #expect(found > 0)
    }

    @Test func previousAttributesHoldTheOldValues() throws {
        let events = try GeneratedHistory.events(.init(customers: 200, months: 12, seed: 12))
        var checked = 0
        for event in events where event.type == "customer.subscription.updated" {
            let envelope = try GeneratedHistory.decode(event)
            let data = try #require(envelope["data"] as? [String: Any])
            let object = try #require(data["object"] as? [String: Any])
            let previous = try #require(data["previous_attributes"] as? [String: Any])
            #expect(!previous.isEmpty)
            if let oldStatus = previous["status"] as? String {
                #expect(oldStatus != object["status"] as? String)
                checked += 1
            }
        }
        #expect(checked > 0)
    }
}
