extension HistoryGenerator.Renderer {
    typealias Discount = HistoryGenerator.Discount
    typealias Coupon = HistoryGenerator.Coupon

    /// A subscription's coupon: pre-2025 the `discount` object (coupon expanded), from 2025-03-31 the `discounts`
    /// list, which webhooks fill with ids and an expanded read with objects whose coupon sits under `source`.
    func writeSubscriptionDiscounts(_ w: inout Writer, _ s: HistoryGenerator.SubscriptionState) {
        if legacy {
            w.key("discount")
            if let discount = s.discount { writeDiscount(&w, discount, s) } else { w.null() }
            return
        }
        w.key("discounts")
        w.beginArray()
        if let discount = s.discount {
            if discount.expanded { writeDiscount(&w, discount, s) } else { w.string(discount.id) }
        }
        w.endArray()
    }

    private func writeDiscount(_ w: inout Writer, _ d: Discount, _ s: HistoryGenerator.SubscriptionState) {
        w.beginObject()
        w.field("id", d.id)
        w.field("object", static: "discount")
        w.nullField("checkout_session")
        if legacy {
            w.key("coupon")
            writeCoupon(&w, d.coupon)
        }
        w.field("customer", s.customerID)
        if !legacy { w.nullField("customer_account") }
        w.field("end", d.end)
        w.nullField("invoice")
        w.nullField("invoice_item")
        w.nullField("promotion_code")
        if !legacy {
            w.key("source")
            w.beginObject()
            w.key("coupon")
            writeCoupon(&w, d.coupon)
            w.field("type", static: "coupon")
            w.endObject()
        }
        w.field("start", d.start)
        w.field("subscription", s.id)
        if !legacy { w.nullField("subscription_item") }
        w.endObject()
    }

    private func writeCoupon(_ w: inout Writer, _ c: Coupon) {
        w.beginObject()
        w.field("id", c.id)
        w.field("object", static: "coupon")
        w.field("amount_off", c.amountOff)
        w.field("created", c.created)
        if let currency = c.currency {
            w.field("currency", static: currencyCode(currency))
        } else {
            w.nullField("currency")
        }
        w.field("duration", c.duration.rawValue)
        w.field("duration_in_months", c.durationInMonths.map(Int64.init))
        w.field("livemode", livemode)
        w.nullField("max_redemptions")
        w.rawField("metadata", "{}")
        w.field("name", c.name)
        w.key("percent_off")
        // Stripe writes `percent_off` as a decimal number (`25.0`, `25.5`).
        if let percent = c.percentOff { w.raw(Array("\(percent).0".utf8)) } else { w.null() }
        w.nullField("redeem_by")
        w.field("times_redeemed", 1)
        w.field("valid", true)
        w.endObject()
    }

    /// Writes a Dispute object: the whole charge disputed, its card's network reason, the status as of the event.
    func writeDispute(_ w: inout Writer, _ d: HistoryGenerator.Dispute) {
        let p = d.payment
        w.beginObject()
        w.field("id", d.id)
        w.field("object", static: "dispute")
        w.field("amount", p.amount)
        w.rawField("balance_transactions", "[]")
        w.field("charge", p.chargeID)
        w.field("created", d.created)
        w.field("currency", static: currencyCode(p.currency))
        if !legacy { w.rawField("enhanced_eligibility_types", "[]") }
        w.rawField("evidence", Self.emptyEvidence)
        w.key("evidence_details")
        w.beginObject()
        w.field("due_by", d.created + 14 * 86_400)
        w.field("has_evidence", d.evidenceSubmitted)
        w.field("past_due", false)
        w.field("submission_count", d.evidenceSubmitted ? 1 : 0)
        w.endObject()
        w.field("is_charge_refundable", false)
        w.field("livemode", livemode)
        w.rawField("metadata", "{}")
        w.field("payment_intent", p.paymentIntentID)
        if !legacy {
            w.key("payment_method_details")
            w.beginObject()
            w.key("card")
            w.beginObject()
            w.field("brand", p.card.brand)
            w.field("case_type", static: "chargeback")
            w.field("network_reason_code", static: d.reason.description == "fraudulent" ? "10.4" : "13.1")
            w.endObject()
            w.field("type", static: "card")
            w.endObject()
        }
        w.field("reason", static: d.reason)
        w.field("status", d.status.rawValue)
        w.endObject()
    }

    private static let emptyEvidence: StaticString =
        #"{"access_activity_log":null,"billing_address":null,"cancellation_policy":null,"cancellation_policy_disclosure":null,"cancellation_rebuttal":null,"customer_communication":null,"customer_email_address":null,"customer_name":null,"customer_purchase_ip":null,"customer_signature":null,"duplicate_charge_documentation":null,"duplicate_charge_explanation":null,"duplicate_charge_id":null,"product_description":null,"receipt":null,"refund_policy":null,"refund_policy_disclosure":null,"refund_refusal_explanation":null,"service_date":null,"service_documentation":null,"shipping_address":null,"shipping_carrier":null,"shipping_date":null,"shipping_documentation":null,"shipping_tracking_number":null,"uncategorized_file":null,"uncategorized_text":null}"#
}
