import Foundation
import LedgerCore
import Testing

/// Each recorded 2020-08-27 webhook fixture, and the 2026 object shapes, mapped to row fields.
@Suite struct StripeFixtureProjectionTests {
    typealias F = ProjectionFixtures

    func apply(_ envelope: [String: Any], to state: inout ProjectionState, position: Int64 = 1) throws -> ApplyOutcome {
        state.apply(try F.recorded(envelope, position: position))
    }

    func applyFixture(_ type: String) throws -> (ProjectionState, ApplyOutcome) {
        var state = ProjectionState()
        let body = try F.bytes("webhook-events-2020-08-27/\(type).json")
        let created = (try F.webhook(type)["created"] as? NSNumber)?.int64Value ?? 0
        let outcome = state.apply(F.recorded(body: body, type: type, position: 1, created: created))
        return (state, outcome)
    }

    func withLicense(_ envelope: [String: Any], plan: String = "starter") -> [String: Any] {
        F.setting(envelope, ["metadata": ["plan_type": plan, "license_id": F.licenseID, "team": "a\"b"]])
    }

    @Test func subscriptionFixturesWithoutLicenseAreParked() throws {
        for type in ["customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"]
        {
            let (state, outcome) = try applyFixture(type)
            #expect(outcome == .parked(.missingLicenseID(keys: ["license_id"])), "\(type)")
            #expect(
                state.parked[.subscription("sub_000000000000000000000000")]?.reason
                    == .missingLicenseID(keys: ["license_id"]))
            #expect(state.subscriptionRows().isEmpty)
        }
        let (_, trial) = try applyFixture("customer.subscription.trial_will_end")
        #expect(trial == .parked(.missingLicenseID(keys: ["license_id"])))
    }

    @Test func subscriptionCreatedMapsEveryColumn() throws {
        var state = ProjectionState()
        let outcome = try apply(withLicense(try F.webhook("customer.subscription.created")), to: &state)
        #expect(outcome == .applied)
        let row = try #require(state.subscriptionRow(stripeID: "sub_000000000000000000000000"))
        #expect(row.id == UUID(version5Name: "sub_000000000000000000000000"))
        #expect(row.licenseID == UUID(uuidString: F.licenseID))
        #expect(row.stripeCustomerID == "cus_00000000000000")
        #expect(row.status == .active)
        #expect(row.planType == .starter)
        #expect(row.billingCycle == .monthly)
        #expect(row.amountCents == 1500)
        #expect(row.currency == "USD")
        #expect(row.currentPeriodStart == F.time(1_648_320_110))
        #expect(row.currentPeriodEnd == F.time(1_650_998_510))
        #expect(row.cancelAtPeriodEnd == false)
        #expect(row.canceledAt == nil && row.trialStart == nil && row.trialEnd == nil)
        #expect(row.createdAt == F.time(1_648_320_110) && row.updatedAt == F.time(1_648_320_110))
        #expect(row.metadata == #"{"license_id":"\#(F.licenseID)","plan_type":"starter","team":"a\"b"}"#)
        #expect(state.requiredLicenseIDs == Set([try #require(UUID(uuidString: F.licenseID))]))
    }

    @Test func subscriptionDeletedMapsCancellation() throws {
        var state = ProjectionState()
        _ = try apply(withLicense(try F.webhook("customer.subscription.deleted"), plan: "pro"), to: &state)
        let row = try #require(state.subscriptionRow(stripeID: "sub_000000000000000000000000"))
        #expect(row.status == .canceled && row.planType == .pro)
        #expect(row.canceledAt == F.time(1_648_320_097))
        #expect(row.currentPeriodStart == F.time(1_648_320_096) && row.currentPeriodEnd == F.time(1_650_998_496))
    }

    @Test func trialWillEndFixtureWithMixedCurrenciesIsParked() throws {
        var state = ProjectionState()
        let outcome = try apply(withLicense(try F.webhook("customer.subscription.trial_will_end")), to: &state)
        // The 2012-era fixture prices one item in USD and one in EUR: no single-currency row exists.
        #expect(outcome == .parked(.mixedCurrencies))
    }

    @Test func paymentIntentFixturesMapStatus() throws {
        let pi = "pi_000000000000000000000000"
        let expected: [(String, PaymentStatus, String?, Int64?)] = [
            ("payment_intent.created", .pending, nil, nil),
            ("payment_intent.requires_action", .pending, nil, nil),
            ("payment_intent.succeeded", .succeeded, nil, 1_648_320_033),
            ("payment_intent.payment_failed", .failed, "Your card was declined.", 1_648_320_029),
            // A cancellation is not a failure: `cancellation_reason` is not a failure reason.
            ("payment_intent.canceled", .canceled, nil, 1_648_320_024),
        ]
        for (type, status, reason, processed) in expected {
            let (state, outcome) = try applyFixture(type)
            #expect(outcome == .applied, "\(type)")
            let row = try #require(state.paymentRow(paymentIntentID: pi))
            #expect(row.status == status, "\(type)")
            #expect(row.failureReason == reason, "\(type)")
            #expect(row.processedAt == processed.map(F.time), "\(type)")
            #expect(row.amountCents == 2000 && row.currency == "USD" && row.refundedAmountCents == 0)
            #expect(row.id == UUID(version5Name: pi) && row.subscriptionID == nil && row.metadata == "{}")
        }
        let (requiresAction, _) = try applyFixture("payment_intent.requires_action")
        #expect(requiresAction.paymentRow(paymentIntentID: pi)?.stripeInvoiceID == "in_000000000000000000000000")
        let (processing, _) = try applyFixture("payment_intent.processing")
        let row = try #require(processing.paymentRow(paymentIntentID: "pi_00000000000000"))
        #expect(row.status == .pending && row.amountCents == 900 && row.currency == "EUR" && row.paymentMethod == nil)
    }

    @Test func chargeFixturesMapStatusAndMethod() throws {
        let (failed, _) = try applyFixture("charge.failed")
        let failedRow = try #require(failed.paymentRow(paymentIntentID: "pi_000000000000000000000000"))
        #expect(failedRow.status == .failed && failedRow.failureReason == "Your card was declined.")
        #expect(failedRow.paymentMethod == "card" && failedRow.amountCents == 2000)
        let (succeeded, _) = try applyFixture("charge.succeeded")
        let row = try #require(succeeded.paymentRow(paymentIntentID: "pi_000000000000000000000000"))
        #expect(row.status == .succeeded && row.processedAt == F.time(1_648_320_032) && row.paymentMethod == "card")
        // A Charges-API charge names no PaymentIntent: there is no row to put it in.
        let (_, refunded) = try applyFixture("charge.refunded")
        #expect(refunded == .ignored(.noPaymentIntent))
        // The refund names only its charge, which no event has tied to a PaymentIntent: it waits, no row yet.
        let (waiting, refundUpdated) = try applyFixture("charge.refund.updated")
        #expect(refundUpdated == .applied && waiting.paymentRows().isEmpty)
    }

    @Test func invoiceFixturesLinkPaymentIntent() throws {
        let (paid, outcome) = try applyFixture("invoice.paid")
        #expect(outcome == .applied)
        let row = try #require(paid.paymentRow(paymentIntentID: "pi_000000000000000000000000"))
        #expect(row.status == .succeeded && row.stripeInvoiceID == "in_000000000000000000000000")
        #expect(row.amountCents == 2000 && row.subscriptionID == nil)
        let (failed, _) = try applyFixture("invoice.payment_failed")
        #expect(failed.paymentRow(paymentIntentID: "pi_000000000000000000000000")?.status == .failed)
        let (succeeded, _) = try applyFixture("invoice.payment_succeeded")
        #expect(succeeded.paymentRow(paymentIntentID: "pi_000000000000000000000000")?.status == .succeeded)
        // Invoice events that report no payment give links only: never a payment row's status or times.
        for type in ["invoice.created", "invoice.finalized", "invoice.updated", "invoice.payment_action_required"] {
            let (linked, outcome) = try applyFixture(type)
            #expect(outcome == .applied, "\(type)")
            #expect(linked.paymentRows().isEmpty, "\(type)")
        }
    }

    @Test func newShapeSubscriptionTakesPeriodsFromItems() throws {
        var object = try F.resource2026("subscription")
        object["status"] = "active"
        object["metadata"] = ["license_id": F.licenseID, "plan_type": "enterprise"]
        var state = ProjectionState()
        let outcome = try apply(
            F.envelope(type: "customer.subscription.updated", created: 1_800_000_000, object: object), to: &state)
        #expect(outcome == .applied)
        let id = try #require(object["id"] as? String)
        let row = try #require(state.subscriptionRow(stripeID: id))
        let items = try #require((object["items"] as? [String: Any])?["data"] as? [[String: Any]])
        let start = try #require((items.first?["current_period_start"] as? NSNumber)?.int64Value)
        let end = try #require((items.first?["current_period_end"] as? NSNumber)?.int64Value)
        #expect(row.currentPeriodStart == F.time(start) && row.currentPeriodEnd == F.time(end))
        #expect(row.currency == "USD" && row.planType == .enterprise && row.billingCycle == .monthly)
        #expect(row.stripeCustomerID == "cus_QXg1o8vcGmoR32")
    }

    @Test func newShapeInvoicePaymentLinksInvoiceAndSubscription() throws {
        var subscription = try F.resource2026("subscription")
        subscription["status"] = "active"
        subscription["metadata"] = ["license_id": F.licenseID, "plan_type": "pro"]
        let subscriptionID = try #require(subscription["id"] as? String)
        var invoice = try F.resource2026("invoice")
        invoice["parent"] = [
            "type": "subscription_details",
            "subscription_details": ["subscription": subscriptionID, "metadata": [:] as [String: Any]],
        ]
        let invoiceID = try #require(invoice["id"] as? String)
        var invoicePayment = try F.resource2026("invoice_payment")
        invoicePayment["invoice"] = invoiceID
        invoicePayment["currency"] = "usd"
        invoicePayment["amount_paid"] = 1000
        invoicePayment["payment"] = ["type": "payment_intent", "payment_intent": "pi_new"]
        var intent = try F.resource2026("payment_intent")
        intent["id"] = "pi_new"
        intent["status"] = "succeeded"
        intent["last_payment_error"] = NSNull()
        var state = ProjectionState()
        _ = try apply(
            F.envelope(type: "payment_intent.succeeded", created: 100, object: intent), to: &state, position: 1)
        _ = try apply(
            F.envelope(type: "invoice_payment.paid", created: 101, object: invoicePayment), to: &state, position: 2)
        _ = try apply(F.envelope(type: "invoice.paid", created: 101, object: invoice), to: &state, position: 3)
        var row = try #require(state.paymentRow(paymentIntentID: "pi_new"))
        #expect(row.stripeInvoiceID == invoiceID && row.subscriptionID == nil)
        #expect(row.status == .succeeded && row.amountCents == 1099 && row.processedAt == F.time(100))
        // The subscription appears later: the payment's subscription_id follows it.
        _ = state.takeChangedObjects()
        _ = try apply(
            F.envelope(type: "customer.subscription.created", created: 90, object: subscription), to: &state,
            position: 4)
        #expect(state.takeChangedObjects().contains(.payment("pi_new")))
        row = try #require(state.paymentRow(paymentIntentID: "pi_new"))
        #expect(row.subscriptionID == UUID(version5Name: subscriptionID))
        #expect(row.createdAt == F.time(100) && row.updatedAt == F.time(101))
    }
}
