import Foundation
import LedgerCore
import LedgerGenerator
import Testing

@Suite("History generator payload shapes")
struct HistoryGeneratorShapeTests {
    /// The first generated object of each kind (`subscription`, `invoice`, …), plus a refunded charge.
    struct Samples {
        var objects: [String: [String: Any]] = [:]
        var refunded: [String: Any] = [:]
        var envelope: [String: Any] = [:]
        /// The first discount object on a subscription (`discount`, or an expanded `discounts` entry).
        var discount: [String: Any] = [:]

        init(apiVersion: HistoryGenerator.APIVersion) throws {
            let events = try GeneratedHistory.events(
                .init(customers: 120, months: 12, seed: 31, apiVersion: apiVersion))
            for event in events {
                let envelope = try GeneratedHistory.decode(event)
                if self.envelope.isEmpty { self.envelope = envelope }
                let object = GeneratedHistory.dataObject(envelope)
                if let kind = object["object"] as? String, objects[kind] == nil { objects[kind] = object }
                if event.type == "charge.refunded" && refunded.isEmpty { refunded = object }
                let discounts = [object["discount"] as Any] + (object["discounts"] as? [Any] ?? [])
                if object["object"] as? String == "subscription", discount.isEmpty,
                    let first = discounts.lazy.compactMap({ $0 as? [String: Any] }).first
                {
                    discount = first
                }
            }
        }

        func object(_ kind: String) throws -> [String: Any] {
            try #require(objects[kind], "no \(kind) generated")
        }
    }

    static func firstListItem(_ object: [String: Any], _ key: String) -> [String: Any] {
        ((object[key] as? [String: Any])?["data"] as? [[String: Any]])?.first ?? [:]
    }

    static func expectKeys(_ generated: [String: Any], include fixture: [String: Any], _ what: String) {
        let missing = Set(fixture.keys).subtracting(generated.keys)
        #expect(missing.isEmpty, "\(what) lacks fixture keys \(missing.sorted())")
    }

    @Test func legacyShapesCarryTheFixtureKeys() throws {
        let samples = try Samples(apiVersion: .v2020_08_27)
        let folder = "webhook-events-2020-08-27/"
        let subscriptionEvent = try GeneratedHistory.fixtureJSON(folder + "customer.subscription.updated.json")
        Self.expectKeys(samples.envelope, include: subscriptionEvent, "event envelope")
        let fixtureSubscription = GeneratedHistory.dataObject(subscriptionEvent)
        let subscription = try samples.object("subscription")
        Self.expectKeys(subscription, include: fixtureSubscription, "subscription")
        let item = Self.firstListItem(subscription, "items")
        let fixtureItem = Self.firstListItem(fixtureSubscription, "items")
        Self.expectKeys(item, include: fixtureItem, "subscription item")
        Self.expectKeys(
            item["price"] as? [String: Any] ?? [:], include: fixtureItem["price"] as? [String: Any] ?? [:], "price")
        Self.expectKeys(
            item["plan"] as? [String: Any] ?? [:], include: fixtureItem["plan"] as? [String: Any] ?? [:], "plan")

        let fixtureInvoice = GeneratedHistory.dataObject(
            try GeneratedHistory.fixtureJSON(folder + "invoice.created.json"))
        let invoice = try samples.object("invoice")
        Self.expectKeys(invoice, include: fixtureInvoice, "invoice")
        Self.expectKeys(
            Self.firstListItem(invoice, "lines"), include: Self.firstListItem(fixtureInvoice, "lines"), "invoice line")

        let fixtureIntent = GeneratedHistory.dataObject(
            try GeneratedHistory.fixtureJSON(folder + "payment_intent.succeeded.json"))
        Self.expectKeys(try samples.object("payment_intent"), include: fixtureIntent, "payment intent")
        let fixtureCharge = GeneratedHistory.dataObject(
            try GeneratedHistory.fixtureJSON(folder + "charge.succeeded.json"))
        Self.expectKeys(try samples.object("charge"), include: fixtureCharge, "charge")
        let fixtureRefunded = GeneratedHistory.dataObject(
            try GeneratedHistory.fixtureJSON(folder + "charge.refunded.json"))
        Self.expectKeys(
            Self.firstListItem(samples.refunded, "refunds"), include: Self.firstListItem(fixtureRefunded, "refunds"),
            "refund")
        let refundUpdated = GeneratedHistory.dataObject(
            try GeneratedHistory.fixtureJSON(folder + "charge.refund.updated.json"))
        Self.expectKeys(try samples.object("refund"), include: refundUpdated, "refund object")
        // Dispute, discount and coupon have no 2020 webhook fixture: the 2025-02-14 resources less their newer keys.
        let resources = try #require(
            try GeneratedHistory.fixtureJSON("openapi/fixtures3-2025-02-14.json")["resources"] as? [String: Any])
        let newer: Set<String> = ["payment_method_details", "enhanced_eligibility_types", "subscription_item"]
        func fixture(_ name: String) throws -> [String: Any] {
            try #require(resources[name] as? [String: Any], "fixture \(name) missing").filter {
                !newer.contains($0.key)
            }
        }
        Self.expectKeys(try samples.object("dispute"), include: try fixture("dispute"), "dispute")
        Self.expectKeys(samples.discount, include: try fixture("discount"), "discount")
        Self.expectKeys(samples.discount["coupon"] as? [String: Any] ?? [:], include: try fixture("coupon"), "coupon")
    }

    @Test func currentShapesCarryTheFixtureKeys() throws {
        let samples = try Samples(apiVersion: .v2026_07_29)
        let resources = try #require(
            try GeneratedHistory.fixtureJSON("openapi/fixtures3-2026-07-29.json")["resources"] as? [String: Any])
        func fixture(_ name: String) throws -> [String: Any] {
            try #require(resources[name] as? [String: Any], "fixture \(name) missing")
        }
        Self.expectKeys(
            samples.envelope, include: try fixture("event").filter { $0.key != "context" }, "event envelope")
        let subscription = try samples.object("subscription")
        Self.expectKeys(subscription, include: try fixture("subscription"), "subscription")
        let item = Self.firstListItem(subscription, "items")
        Self.expectKeys(item, include: try fixture("subscription_item"), "subscription item")
        Self.expectKeys(item["price"] as? [String: Any] ?? [:], include: try fixture("price"), "price")
        Self.expectKeys(item["plan"] as? [String: Any] ?? [:], include: try fixture("plan"), "plan")
        let invoice = try samples.object("invoice")
        Self.expectKeys(invoice, include: try fixture("invoice"), "invoice")
        Self.expectKeys(
            Self.firstListItem(invoice, "lines"), include: Self.firstListItem(try fixture("invoice"), "lines"),
            "invoice line")
        Self.expectKeys(
            try samples.object("invoice_payment"), include: try fixture("invoice_payment"), "invoice payment")
        Self.expectKeys(try samples.object("payment_intent"), include: try fixture("payment_intent"), "payment intent")
        Self.expectKeys(try samples.object("charge"), include: try fixture("charge"), "charge")
        Self.expectKeys(Self.firstListItem(samples.refunded, "refunds"), include: try fixture("refund"), "refund")
        Self.expectKeys(try samples.object("refund"), include: try fixture("refund"), "refund object")
        Self.expectKeys(try samples.object("dispute"), include: try fixture("dispute"), "dispute")
        Self.expectKeys(samples.discount, include: try fixture("discount"), "discount")
        let coupon = (samples.discount["source"] as? [String: Any])?["coupon"] as? [String: Any]
        Self.expectKeys(coupon ?? [:], include: try fixture("coupon"), "coupon")
    }

    @Test func legacyPeriodsSitOnTheSubscriptionAndInvoicesLinkDirectly() throws {
        let samples = try Samples(apiVersion: .v2020_08_27)
        let subscription = try samples.object("subscription")
        #expect(subscription["current_period_start"] is NSNumber)
        #expect(subscription["current_period_end"] is NSNumber)
        #expect(Self.firstListItem(subscription, "items")["current_period_start"] == nil)
        let invoice = try samples.object("invoice")
        #expect((invoice["subscription"] as? String)?.hasPrefix("sub_") == true)
        #expect(
            invoice.keys.contains("payment_intent") && invoice.keys.contains("charge") && invoice.keys.contains("paid"))
        #expect(invoice["parent"] == nil)
        #expect(samples.objects["invoice_payment"] == nil)
    }

    @Test func currentPeriodsSitOnItemsAndInvoicesLinkThroughParent() throws {
        let samples = try Samples(apiVersion: .v2026_07_29)
        let subscription = try samples.object("subscription")
        #expect(subscription["current_period_start"] == nil)
        #expect(subscription["current_period_end"] == nil)
        let item = Self.firstListItem(subscription, "items")
        #expect(item["current_period_start"] is NSNumber && item["current_period_end"] is NSNumber)
        let invoice = try samples.object("invoice")
        let details = (invoice["parent"] as? [String: Any])?["subscription_details"] as? [String: Any]
        #expect((details?["subscription"] as? String)?.hasPrefix("sub_") == true)
        #expect(invoice["payment_intent"] == nil && invoice["charge"] == nil && invoice["paid"] == nil)
        let payment = try samples.object("invoice_payment")
        #expect(((payment["payment"] as? [String: Any])?["payment_intent"] as? String)?.hasPrefix("pi_") == true)
        #expect((payment["id"] as? String)?.hasPrefix("inpay_") == true)
    }

    @Test func subscriptionsCarryLicenseAndPlanMetadata() throws {
        let samples = try Samples(apiVersion: .v2026_07_29)
        let metadata = try #require(try samples.object("subscription")["metadata"] as? [String: Any])
        let license = try #require(metadata["license_id"] as? String)
        #expect(UUID(uuidString: license) != nil)
        #expect(["free", "starter", "pro", "enterprise"].contains(metadata["plan_type"] as? String ?? ""))
    }
}
