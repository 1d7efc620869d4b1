extension HistoryGenerator.Renderer {
    typealias InvoiceState = HistoryGenerator.InvoiceState

    /// Writes an invoice: pre-2025 it links `subscription`, `payment_intent` and `charge` directly; later through `parent`.
    func writeInvoice(_ w: inout Writer, _ i: InvoiceState) {
        w.beginObject()
        w.field("id", i.id)
        w.field("object", static: "invoice")
        w.field("account_country", static: "US")
        w.field("account_name", static: "Ledger Demo, Inc.")
        w.nullField("account_tax_ids")
        w.field("amount_due", i.amount)
        if !legacy { w.field("amount_overpaid", 0) }
        w.field("amount_paid", i.amountPaid)
        w.field("amount_remaining", i.amount - i.amountPaid)
        if !legacy {
            w.field("amount_shipping", 0)
            w.nullField("application")
        } else {
            w.nullField("application_fee_amount")
        }
        w.field("attempt_count", i.attemptCount)
        w.field("attempted", i.attemptCount > 0 || i.status == .paid)
        w.field("auto_advance", i.status == .draft || i.status == .open)
        w.key("automatic_tax")
        w.rawStatic(
            legacy
                ? #"{"enabled":false,"status":null}"#
                : #"{"disabled_reason":null,"enabled":false,"liability":null,"provider":null,"status":null}"#)
        if !legacy { w.nullField("automatically_finalizes_at") }
        w.field("billing_reason", static: i.billingReason)
        if legacy { w.field("charge", i.chargeID) }
        w.field("collection_method", static: "charge_automatically")
        writeInvoiceCustomer(&w, i)
        w.nullField("due_date")
        if !legacy { w.field("effective_at", i.finalizedAt) }
        w.field("ending_balance", i.status == .draft ? nil : Int64(0))
        w.nullField("footer")
        if !legacy { w.nullField("from_invoice") }
        writeInvoiceLinks(&w, i)
        if !legacy { w.rawField("issuer", #"{"type":"self"}"#) }
        w.nullField("last_finalization_error")
        if !legacy { w.nullField("latest_revision") }
        writeInvoiceLines(&w, i)
        writeInvoiceTail(&w, i)
        w.endObject()
    }

    /// `created` through `discounts`: when, in what currency, and billed to whom.
    private func writeInvoiceCustomer(_ w: inout Writer, _ i: InvoiceState) {
        w.field("created", i.created)
        w.field("currency", static: currencyCode(i.currency))
        w.nullField("custom_fields")
        w.field("customer", i.customerID)
        if !legacy { w.nullField("customer_account") }
        w.nullField("customer_address")
        w.field("customer_email", i.customerEmail)
        w.field("customer_name", i.customerName)
        w.nullField("customer_phone")
        w.nullField("customer_shipping")
        w.field("customer_tax_exempt", static: "none")
        w.rawField("customer_tax_ids", "[]")
        w.nullField("default_payment_method")
        w.nullField("default_source")
        w.rawField("default_tax_rates", "[]")
        w.nullField("description")
        if legacy { w.nullField("discount") }
        writeDiscountIDs(&w, i)
    }

    /// An invoice (and its line) names the discount that applied by id, as Stripe does unexpanded.
    private func writeDiscountIDs(_ w: inout Writer, _ i: InvoiceState) {
        w.key("discounts")
        w.beginArray()
        if let id = i.discountID, i.discountAmount > 0 { w.string(id) }
        w.endArray()
    }

    /// `[{"amount":…,"discount":"di_…"}]` when a discount took something off, else `[]`.
    private func writeDiscountAmounts(_ w: inout Writer, _ i: InvoiceState) {
        w.beginArray()
        if let id = i.discountID, i.discountAmount > 0 {
            w.beginObject()
            w.field("amount", i.discountAmount)
            w.field("discount", id)
            w.endObject()
        }
        w.endArray()
    }

    /// `livemode` through `webhooks_delivered_at`.
    private func writeInvoiceTail(_ w: inout Writer, _ i: InvoiceState) {
        w.field("livemode", livemode)
        w.rawField("metadata", "{}")
        w.field("next_payment_attempt", i.nextPaymentAttempt)
        w.field("number", i.status == .draft ? nil : i.number)
        w.nullField("on_behalf_of")
        if legacy {
            w.field("paid", i.status == .paid)
            w.field("paid_out_of_band", false)
        } else {
            writeInvoiceParent(&w, i)
        }
        if legacy { w.field("payment_intent", i.paymentIntentID) }
        writeInvoicePaymentSettings(&w)
        w.field("period_end", i.periodEnd)
        w.field("period_start", i.periodStart)
        w.field("post_payment_credit_notes_amount", 0)
        w.field("pre_payment_credit_notes_amount", 0)
        if legacy { w.nullField("quote") }
        w.nullField("receipt_number")
        if !legacy {
            w.rawField(
                "rendering",
                #"{"amount_tax_display":null,"pdf":{"page_size":"letter"},"template":null,"template_version":null}"#)
            w.nullField("shipping_cost")
            w.nullField("shipping_details")
        }
        w.field("starting_balance", 0)
        w.nullField("statement_descriptor")
        w.field("status", i.status.rawValue)
        writeStatusTransitions(&w, i)
        writeInvoiceTotals(&w, i)
        w.field("webhooks_delivered_at", i.finalizedAt)
    }

    private func writeInvoiceLinks(_ w: inout Writer, _ i: InvoiceState) {
        // Stripe assigns the hosted URLs when an invoice is finalized.
        if i.status == .draft {
            w.nullField("hosted_invoice_url")
            w.nullField("invoice_pdf")
        } else {
            w.key("hosted_invoice_url")
            let token = i.id.dropFirst(3) + i.lineID.dropFirst(3)
            w.string("https://invoice.stripe.com/i/acct_1LedgerDemo000000/test_" + token)
            w.key("invoice_pdf")
            w.string("https://pay.stripe.com/invoice/acct_1LedgerDemo000000/test_" + token + "/pdf?s=ap")
        }
    }

    private func writeInvoiceParent(_ w: inout Writer, _ i: InvoiceState) {
        w.key("parent")
        w.beginObject()
        w.nullField("quote_details")
        w.key("subscription_details")
        w.beginObject()
        w.key("metadata")
        w.rawStatic("{}")
        w.field("subscription", i.subscriptionID)
        w.endObject()
        w.field("type", static: "subscription_details")
        w.endObject()
    }

    private func writeInvoicePaymentSettings(_ w: inout Writer) {
        if legacy {
            w.rawField("payment_settings", #"{"payment_method_options":null,"payment_method_types":null}"#)
        } else {
            w.rawField(
                "payment_settings",
                #"{"default_mandate":null,"payment_method_options":null,"payment_method_types":null}"#)
        }
    }

    private func writeStatusTransitions(_ w: inout Writer, _ i: InvoiceState) {
        w.key("status_transitions")
        w.beginObject()
        w.field("finalized_at", i.finalizedAt)
        w.nullField("marked_uncollectible_at")
        w.field("paid_at", i.paidAt)
        w.field("voided_at", i.voidedAt)
        w.endObject()
    }

    private func writeInvoiceTotals(_ w: inout Writer, _ i: InvoiceState) {
        // The 2026 fixture still lists a (null) `subscription` key beside `parent`, so it is kept for key-set fidelity.
        w.field("subscription", legacy ? i.subscriptionID : nil)
        w.field("subtotal", i.amount + i.discountAmount)
        if !legacy { w.field("subtotal_excluding_tax", i.amount + i.discountAmount) }
        if legacy { w.nullField("tax") }
        w.nullField("test_clock")
        w.field("total", i.amount)
        w.key("total_discount_amounts")
        writeDiscountAmounts(&w, i)
        if !legacy {
            w.field("total_excluding_tax", i.amount)
            w.rawField("total_pretax_credit_amounts", "[]")
            w.rawField("total_taxes", "[]")
        } else {
            w.rawField("total_tax_amounts", "[]")
            w.nullField("transfer_data")
        }
    }

    private func writeInvoiceLines(_ w: inout Writer, _ i: InvoiceState) {
        let price = catalog.price(i.plan, i.interval, i.currency)
        w.key("lines")
        w.beginObject()
        w.field("object", static: "list")
        w.key("data")
        w.beginArray()
        w.beginObject()
        w.field("id", i.lineID)
        w.field("object", static: "line_item")
        w.field("amount", i.amount + i.discountAmount)
        w.field("currency", static: currencyCode(i.currency))
        w.field("description", lineDescription(i, price: price))
        w.key("discount_amounts")
        writeDiscountAmounts(&w, i)
        w.field("discountable", true)
        writeDiscountIDs(&w, i)
        if !legacy { w.field("invoice", i.id) }
        w.field("livemode", livemode)
        w.rawField("metadata", "{}")
        if !legacy { writeLineParent(&w, i) }
        w.key("period")
        w.beginObject()
        w.field("end", i.periodEnd)
        w.field("start", i.periodStart)
        w.endObject()
        if legacy {
            w.key("plan")
            w.raw(renderedPlans[price.index])
            w.key("price")
            w.raw(renderedPrices[price.index])
            w.field("proration", false)
            w.rawField("proration_details", #"{"credited_items":null}"#)
        } else {
            w.rawField("pretax_credit_amounts", "[]")
            writeLinePricing(&w, price)
        }
        w.field("quantity", i.quantity)
        if !legacy { w.nullField("quantity_decimal") }
        w.field("subscription", i.subscriptionID)
        if legacy {
            w.field("subscription_item", i.subscriptionItemID)
            w.rawField("tax_amounts", "[]")
            w.rawField("tax_rates", "[]")
            w.field("type", static: "subscription")
        } else {
            w.field("subtotal", i.amount + i.discountAmount)
            w.rawField("taxes", "[]")
        }
        w.endObject()
        w.endArray()
        w.field("has_more", false)
        w.field("total_count", 1)
        w.key("url")
        w.string("/v1/invoices/" + i.id + "/lines")
        w.endObject()
    }

    private func writeLineParent(_ w: inout Writer, _ i: InvoiceState) {
        w.key("parent")
        w.beginObject()
        w.nullField("invoice_item_details")
        w.key("subscription_item_details")
        w.beginObject()
        w.nullField("invoice_item")
        w.field("proration", false)
        w.rawField("proration_details", #"{"credited_items":null}"#)
        w.field("subscription", i.subscriptionID)
        w.field("subscription_item", i.subscriptionItemID)
        w.endObject()
        w.field("type", static: "subscription_item_details")
        w.endObject()
    }

    private func writeLinePricing(_ w: inout Writer, _ price: HistoryGenerator.Price) {
        w.key("pricing")
        w.beginObject()
        w.key("price_details")
        w.beginObject()
        w.field("price", price.id)
        w.field("product", price.productID)
        w.endObject()
        w.field("type", static: "price_details")
        w.field("unit_amount_decimal", String(price.unitAmount))
        w.endObject()
    }

    /// Stripe's line description, e.g. `2 × Pro (at $49.00 / month)`.
    private func lineDescription(_ i: InvoiceState, price: HistoryGenerator.Price) -> String {
        let major = price.unitAmount / 100
        let minor = price.unitAmount % 100
        let cents = minor < 10 ? "0\(minor)" : "\(minor)"
        return
            "\(i.quantity) × \(i.plan.productName) (at \(i.currency.symbol)\(major).\(cents) / \(i.interval.per))"
    }

    /// Writes the 2025+ `invoice_payment` that links an invoice to the payment intent that paid it.
    func writeInvoicePayment(_ w: inout Writer, _ i: InvoiceState, _ p: HistoryGenerator.PaymentState) {
        w.beginObject()
        w.field("id", p.invoicePaymentID)
        w.field("object", static: "invoice_payment")
        w.field("amount_paid", p.succeeded ? p.amount : nil)
        w.field("amount_requested", p.amount)
        w.field("created", p.created)
        w.field("currency", static: currencyCode(p.currency))
        w.field("invoice", i.id)
        w.field("is_default", true)
        w.field("livemode", livemode)
        w.key("payment")
        w.beginObject()
        w.field("payment_intent", p.paymentIntentID)
        w.field("type", static: "payment_intent")
        w.endObject()
        w.field("status", static: p.succeeded ? "paid" : "open")
        w.key("status_transitions")
        w.beginObject()
        w.nullField("canceled_at")
        w.field("paid_at", p.paidAt)
        w.endObject()
        w.endObject()
    }
}
