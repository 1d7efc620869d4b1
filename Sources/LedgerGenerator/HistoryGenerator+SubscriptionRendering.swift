extension HistoryGenerator.Renderer {
    typealias SubscriptionState = HistoryGenerator.SubscriptionState
    typealias SubscriptionFields = HistoryGenerator.SubscriptionFields

    /// Writes a subscription in the configured API shape; with `only`, just the keys those fields own (`previous_attributes`).
    ///
    /// One function serves both the object and its `previous_attributes`, so
    /// a changed key is always rendered exactly as the object renders it.
    func writeSubscription(_ w: inout Writer, _ s: SubscriptionState, only: SubscriptionFields? = nil) {
        func has(_ field: SubscriptionFields) -> Bool { only.map { $0.contains(field) } ?? true }
        let full = only == nil
        w.beginObject()
        if full {
            w.field("id", s.id)
            w.field("object", static: "subscription")
            if !legacy { w.nullField("application") }
            w.nullField("application_fee_percent")
            w.key("automatic_tax")
            w.rawStatic(legacy ? #"{"enabled":false}"# : #"{"disabled_reason":null,"enabled":false,"liability":null}"#)
        }
        if has(.billingCycleAnchor) { w.field("billing_cycle_anchor", s.billingCycleAnchor) }
        if full && !legacy {
            w.key("billing_cycle_anchor_config")
            w.null()
            w.rawField("billing_mode", #"{"flexible":null,"type":"classic"}"#)
            w.rawField("billing_schedules", "[]")
        }
        if full { w.nullField("billing_thresholds") }
        if has(.cancellation) {
            w.field("cancel_at", s.cancelAt)
            w.field("cancel_at_period_end", s.cancelAtPeriodEnd)
            w.field("canceled_at", s.canceledAt)
            if !legacy { writeCancellationDetails(&w, s) }
        }
        if full {
            w.field("collection_method", static: "charge_automatically")
            w.field("created", s.created)
            if !legacy { w.field("currency", static: currencyCode(s.currency)) }
        }
        if legacy && has(.currentPeriod) {
            w.field("current_period_end", s.periodEnd)
            w.field("current_period_start", s.periodStart)
        }
        if full {
            w.field("customer", s.customerID)
            if !legacy { w.nullField("customer_account") }
            w.nullField("days_until_due")
        }
        if has(.defaultPaymentMethod) { w.field("default_payment_method", s.defaultPaymentMethod) }
        if full {
            w.nullField("default_source")
            w.rawField("default_tax_rates", "[]")
            if !legacy { w.nullField("description") }
        }
        if has(.discount) { writeSubscriptionDiscounts(&w, s) }
        if has(.endedAt) { w.field("ended_at", s.endedAt) }
        if full && !legacy {
            w.rawField(
                "invoice_settings",
                #"{"account_tax_ids":null,"custom_fields":null,"description":null,"footer":null,"issuer":{"type":"self"}}"#
            )
        }
        if has(.items) || (!legacy && has(.currentPeriod)) { writeItems(&w, s) }
        if has(.latestInvoice) { w.field("latest_invoice", s.latestInvoiceID) }
        if full {
            w.field("livemode", livemode)
            if !legacy { w.rawField("managed_payments", #"{"enabled":false}"#) }
        }
        if has(.metadata) { writeMetadata(&w, licenseID: s.licenseID, plan: s.plan) }
        if full {
            w.nullField("next_pending_invoice_item_invoice")
            if !legacy { w.nullField("on_behalf_of") }
        }
        writeSubscriptionTail(&w, s, only: only)
        w.endObject()
    }

    /// The keys from `pause_collection` on, split out to keep each function short.
    private func writeSubscriptionTail(_ w: inout Writer, _ s: SubscriptionState, only: SubscriptionFields?) {
        func has(_ field: SubscriptionFields) -> Bool { only.map { $0.contains(field) } ?? true }
        let full = only == nil
        if has(.pauseCollection) { writePauseCollection(&w, s) }
        if full { writeSubscriptionSettings(&w) }
        if legacy && has(.items) {
            w.key("plan")
            w.raw(renderedPlans[priceOf(s).index])
            w.field("quantity", s.quantity)
        }
        if full {
            w.nullField("schedule")
            w.field("start_date", s.created)
        }
        if has(.status) { w.field("status", s.status.rawValue) }
        if full {
            w.nullField("test_clock")
            w.nullField("transfer_data")
            w.field("trial_end", s.trialEnd)
            if !legacy {
                w.key("trial_settings")
                w.beginObject()
                w.key("end_behavior")
                w.beginObject()
                w.field("missing_payment_method", static: s.trialEndBehavior)
                w.endObject()
                w.endObject()
            }
            w.field("trial_start", s.trialStart)
        }
    }

    private func writeCancellationDetails(_ w: inout Writer, _ s: SubscriptionState) {
        w.key("cancellation_details")
        w.beginObject()
        w.nullField("comment")
        if let feedback = s.cancellationFeedback {
            w.field("feedback", static: feedback)
        } else {
            w.nullField("feedback")
        }
        if let reason = s.cancellationReason { w.field("reason", static: reason) } else { w.nullField("reason") }
        w.endObject()
    }

    private func writePauseCollection(_ w: inout Writer, _ s: SubscriptionState) {
        w.key("pause_collection")
        guard s.pauseCollectionActive else {
            w.null()
            return
        }
        w.beginObject()
        w.field("behavior", static: "void")
        w.field("resumes_at", s.pauseResumesAt)
        w.endObject()
    }

    private func writeSubscriptionSettings(_ w: inout Writer) {
        if legacy {
            w.rawField("payment_settings", #"{"payment_method_options":null,"payment_method_types":null}"#)
        } else {
            w.rawField(
                "payment_settings",
                #"{"payment_method_options":null,"payment_method_types":null,"save_default_payment_method":"off"}"#)
        }
        w.nullField("pending_invoice_item_interval")
        w.nullField("pending_setup_intent")
        w.nullField("pending_update")
    }

    /// The `items` list: one item carrying the price (and, from 2025-03-31 on, the current period).
    func writeItems(_ w: inout Writer, _ s: SubscriptionState) {
        let price = priceOf(s)
        w.key("items")
        w.beginObject()
        w.field("object", static: "list")
        w.key("data")
        w.beginArray()
        w.beginObject()
        w.field("id", s.itemID)
        w.field("object", static: "subscription_item")
        w.nullField("billing_thresholds")
        w.field("created", s.itemCreated)
        if !legacy {
            w.field("current_period_end", s.periodEnd)
            w.field("current_period_start", s.periodStart)
            w.rawField("discounts", "[]")
        }
        w.rawField("metadata", "{}")
        w.key("plan")
        w.raw(renderedPlans[price.index])
        w.key("price")
        w.raw(renderedPrices[price.index])
        w.field("quantity", s.quantity)
        w.field("subscription", s.id)
        w.rawField("tax_rates", "[]")
        w.endObject()
        w.endArray()
        w.field("has_more", false)
        w.field("total_count", 1)
        w.key("url")
        w.string("/v1/subscription_items?subscription=" + s.id)
        w.endObject()
    }

    func writeMetadata(_ w: inout Writer, licenseID: String, plan: HistoryGenerator.Plan) {
        w.key("metadata")
        w.beginObject()
        w.field("license_id", licenseID)
        w.field("plan_type", plan.rawValue)
        w.endObject()
    }

    func priceOf(_ s: SubscriptionState) -> HistoryGenerator.Price {
        catalog.price(s.plan, s.interval, s.currency)
    }
}
