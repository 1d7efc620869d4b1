extension HistoryGenerator.Renderer {
    typealias PaymentState = HistoryGenerator.PaymentState

    /// Writes a payment intent; pre-2025 it embeds its `charges` list and names its `invoice`, later only `latest_charge`.
    func writePaymentIntent(_ w: inout Writer, _ p: PaymentState) {
        let settled = p.paidAt != nil
        w.beginObject()
        w.field("id", p.paymentIntentID)
        w.field("object", static: "payment_intent")
        w.field("amount", p.amount)
        w.field("amount_capturable", 0)
        if !legacy { w.rawField("amount_details", #"{"tip":{}}"#) }
        w.field("amount_received", settled ? p.amount : 0)
        w.nullField("application")
        w.nullField("application_fee_amount")
        w.nullField("automatic_payment_methods")
        w.nullField("canceled_at")
        w.nullField("cancellation_reason")
        w.field("capture_method", static: "automatic")
        if legacy {
            w.key("charges")
            w.beginObject()
            w.field("object", static: "list")
            w.key("data")
            w.beginArray()
            if p.chargeCreated > 0 { writeCharge(&w, p) }
            w.endArray()
            w.field("has_more", false)
            w.field("total_count", p.chargeCreated > 0 ? 1 : 0)
            w.key("url")
            w.string("/v1/charges?payment_intent=" + p.paymentIntentID)
            w.endObject()
        }
        w.key("client_secret")
        w.string(p.paymentIntentID + "_secret_" + p.invoiceID.dropFirst(3))
        w.field("confirmation_method", static: "automatic")
        w.field("created", p.created)
        w.field("currency", static: currencyCode(p.currency))
        w.field("customer", p.customerID)
        if !legacy { w.nullField("customer_account") }
        w.field("description", p.description)
        if !legacy { w.nullField("excluded_payment_method_types") }
        if legacy { w.field("invoice", p.invoiceID) }
        writeLastPaymentError(&w, p)
        if !legacy { w.field("latest_charge", p.chargeCreated > 0 ? p.chargeID : nil) }
        w.field("livemode", livemode)
        if !legacy { w.rawField("managed_payments", #"{"enabled":false}"#) }
        w.rawField("metadata", "{}")
        w.nullField("next_action")
        w.nullField("on_behalf_of")
        w.field("payment_method", p.chargeCreated > 0 && p.succeeded ? p.card.paymentMethodID : nil)
        if !legacy { w.nullField("payment_method_configuration_details") }
        w.rawField(
            "payment_method_options",
            #"{"card":{"installments":null,"mandate_options":null,"network":null,"request_three_d_secure":"automatic"}}"#
        )
        w.rawField("payment_method_types", #"["card"]"#)
        w.nullField("processing")
        w.nullField("receipt_email")
        w.nullField("review")
        w.field("setup_future_usage", static: "off_session")
        w.nullField("shipping")
        w.nullField("source")
        w.nullField("statement_descriptor")
        w.nullField("statement_descriptor_suffix")
        w.field("status", static: paymentIntentStatus(p))
        w.nullField("transfer_data")
        w.nullField("transfer_group")
        w.endObject()
    }

    private func paymentIntentStatus(_ p: PaymentState) -> StaticString {
        if p.chargeCreated == 0 { return "requires_confirmation" }
        return p.succeeded ? "succeeded" : "requires_payment_method"
    }

    private func writeLastPaymentError(_ w: inout Writer, _ p: PaymentState) {
        w.key("last_payment_error")
        guard p.chargeCreated > 0, !p.succeeded, let decline = p.declineCode else {
            w.null()
            return
        }
        w.beginObject()
        w.field("charge", p.chargeID)
        w.field("code", static: "card_declined")
        w.field("decline_code", static: decline)
        w.field("doc_url", static: "https://stripe.com/docs/error-codes/card-declined")
        w.field("message", static: declineMessage(decline))
        w.key("payment_method")
        w.beginObject()
        w.field("id", p.card.paymentMethodID)
        w.field("object", static: "payment_method")
        w.field("customer", p.customerID)
        w.field("type", static: "card")
        w.endObject()
        w.field("type", static: "card_error")
        w.endObject()
    }

    private func declineMessage(_ code: StaticString) -> StaticString {
        switch code.description {
        case "insufficient_funds": "Your card has insufficient funds."
        case "expired_card": "Your card has expired."
        default: "Your card was declined."
        }
    }

    /// Writes the latest charge of a payment, with its refunds.
    func writeCharge(_ w: inout Writer, _ p: PaymentState) {
        let refunded = p.amountRefunded
        w.beginObject()
        w.field("id", p.chargeID)
        w.field("object", static: "charge")
        w.field("amount", p.amount)
        w.field("amount_captured", p.succeeded ? p.amount : 0)
        w.field("amount_refunded", refunded)
        w.nullField("application")
        w.nullField("application_fee")
        w.nullField("application_fee_amount")
        w.field("balance_transaction", p.succeeded ? p.balanceTransaction : nil)
        w.key("billing_details")
        w.rawStatic(
            legacy
                ? #"{"address":{"city":null,"country":null,"line1":null,"line2":null,"postal_code":null,"state":null},"email":null,"name":null,"phone":null}"#
                : #"{"address":{"city":null,"country":null,"line1":null,"line2":null,"postal_code":null,"state":null},"email":null,"name":null,"phone":null,"tax_id":null}"#
        )
        w.field("calculated_statement_descriptor", static: "LEDGERDEMO")
        w.field("captured", p.succeeded)
        w.field("created", p.chargeCreated)
        w.field("currency", static: currencyCode(p.currency))
        w.field("customer", p.customerID)
        w.field("description", p.description)
        if legacy {
            w.nullField("destination")
            w.nullField("dispute")
        }
        w.field("disputed", false)
        if !legacy { w.nullField("failure_balance_transaction") }
        if let decline = p.declineCode, !p.succeeded {
            w.field("failure_code", static: "card_declined")
            w.field("failure_message", static: declineMessage(decline))
        } else {
            w.nullField("failure_code")
            w.nullField("failure_message")
        }
        w.rawField("fraud_details", "{}")
        if legacy { w.field("invoice", p.invoiceID) }
        w.field("livemode", livemode)
        w.rawField("metadata", "{}")
        w.nullField("on_behalf_of")
        if legacy { w.nullField("order") }
        writeOutcome(&w, p)
        w.field("paid", p.succeeded)
        w.field("payment_intent", p.paymentIntentID)
        w.field("payment_method", p.card.paymentMethodID)
        writePaymentMethodDetails(&w, p.card)
        w.nullField("receipt_email")
        w.nullField("receipt_number")
        w.key("receipt_url")
        w.string(
            "https://pay.stripe.com/receipts/acct_1LedgerDemo000000/" + p.chargeID + "/rcpt_"
                + p.balanceTransaction.dropFirst(4))
        w.field("refunded", p.succeeded && refunded >= p.amount)
        writeRefunds(&w, p)
        w.nullField("review")
        w.nullField("shipping")
        w.nullField("source")
        w.nullField("source_transfer")
        w.nullField("statement_descriptor")
        w.nullField("statement_descriptor_suffix")
        w.field("status", static: p.succeeded ? "succeeded" : "failed")
        w.nullField("transfer_data")
        w.nullField("transfer_group")
        w.endObject()
    }

    private func writeOutcome(_ w: inout Writer, _ p: PaymentState) {
        w.key("outcome")
        w.beginObject()
        if !legacy {
            w.nullField("advice_code")
            w.nullField("network_advice_code")
            w.nullField("network_decline_code")
        }
        w.field("network_status", static: p.succeeded ? "approved_by_network" : "declined_by_network")
        if p.succeeded {
            w.nullField("reason")
        } else {
            w.field("reason", static: p.declineCode ?? "generic_decline")
        }
        w.field("risk_level", static: "normal")
        w.field("risk_score", p.riskScore)
        w.field(
            "seller_message",
            static: p.succeeded ? "Payment complete." : "The bank did not return any further details with this decline."
        )
        w.field("type", static: p.succeeded ? "authorized" : "issuer_declined")
        w.endObject()
    }

    private func writePaymentMethodDetails(_ w: inout Writer, _ card: HistoryGenerator.Card) {
        w.key("payment_method_details")
        w.beginObject()
        w.key("card")
        w.beginObject()
        if !legacy { w.nullField("amount_authorized") }
        w.field("brand", card.brand)
        w.rawField("checks", #"{"address_line1_check":null,"address_postal_code_check":null,"cvc_check":"pass"}"#)
        w.field("country", card.country)
        w.field("exp_month", card.expMonth)
        w.field("exp_year", card.expYear)
        w.field("fingerprint", card.fingerprint)
        w.field("funding", static: "credit")
        w.nullField("installments")
        w.field("last4", card.last4)
        w.nullField("mandate")
        w.field("network", card.brand)
        if !legacy { w.nullField("network_transaction_id") }
        w.nullField("three_d_secure")
        w.nullField("wallet")
        w.endObject()
        w.field("type", static: "card")
        w.endObject()
    }

    private func writeRefunds(_ w: inout Writer, _ p: PaymentState) {
        w.key("refunds")
        w.beginObject()
        w.field("object", static: "list")
        w.key("data")
        w.beginArray()
        for refund in p.refunds { writeRefund(&w, refund, p) }
        w.endArray()
        w.field("has_more", false)
        w.field("total_count", p.refunds.count)
        w.key("url")
        w.string("/v1/charges/" + p.chargeID + "/refunds")
        w.endObject()
    }

    /// Writes one refund of a charge.
    func writeRefund(_ w: inout Writer, _ r: HistoryGenerator.Refund, _ p: PaymentState) {
        w.beginObject()
        w.field("id", r.id)
        w.field("object", static: "refund")
        w.field("amount", r.amount)
        w.field("balance_transaction", r.balanceTransaction)
        w.field("charge", p.chargeID)
        w.field("created", r.created)
        w.field("currency", static: currencyCode(p.currency))
        if !legacy {
            w.field("customer", p.customerID)
            w.nullField("customer_account")
            w.rawField(
                "destination_details",
                #"{"card":{"reference_status":"pending","reference_type":"acquirer_reference_number","type":"refund"},"type":"card"}"#
            )
        }
        w.rawField("metadata", "{}")
        w.field("payment_intent", p.paymentIntentID)
        if !legacy { w.field("payment_method", p.card.paymentMethodID) }
        w.field("reason", static: "requested_by_customer")
        w.nullField("receipt_number")
        w.nullField("source_transfer_reversal")
        w.field("status", static: r.succeeded ? "succeeded" : "pending")
        w.nullField("transfer_reversal")
        w.endObject()
    }
}
