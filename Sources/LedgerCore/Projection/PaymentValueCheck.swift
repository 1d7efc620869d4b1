/// The values of payment facts against the `payment_transactions` columns they become
/// (``ProjectedColumn/PaymentTransactions``): a fact that does not fit parks its event, the row keeps
/// the facts that did.
enum PaymentValueCheck {
    private typealias Column = ProjectedColumn.PaymentTransactions

    /// A PaymentIntent id that cannot be the row's key (`stripe_payment_intent_id`); parks the event alone.
    static func identifier(_ paymentIntentID: String) -> ParkReason? {
        Column.stripePaymentIntentID.problem(storing: paymentIntentID)
    }

    static func problem(_ fact: PaymentIntentFact) -> ParkReason? {
        amount(fact.amount, Column.amountCents) ?? currency(fact.currency)
            ?? Column.stripeInvoiceID.problem(storing: fact.invoiceID)
            ?? Column.paymentMethod.problem(storing: fact.methodType)
            ?? Column.failureReason.problem(storing: fact.failureMessage)
    }

    static func problem(_ fact: ChargeFact) -> ParkReason? {
        amount(fact.amount, Column.amountCents) ?? amount(fact.amountRefunded, Column.refundedAmountCents)
            ?? currency(fact.currency) ?? Column.stripeInvoiceID.problem(storing: fact.invoiceID)
            ?? Column.paymentMethod.problem(storing: fact.methodType)
            ?? Column.failureReason.problem(storing: fact.failureMessage)
    }

    /// An invoice's id becomes its payments' `stripe_invoice_id`; its amount and currency their fallbacks.
    static func problem(_ fact: InvoiceFact, invoiceID: String) -> ParkReason? {
        Column.stripeInvoiceID.problem(storing: invoiceID)
            ?? fact.paymentIntentID.flatMap(identifier) ?? fact.paymentListIntentIDs.lazy.compactMap(identifier).first
            ?? amount(fact.amountDue, Column.amountCents) ?? currency(fact.currency)
    }

    /// An event that gives an invoice's links only: its id and the intents it names must fit their columns.
    static func linkProblem(_ fact: InvoiceFact, invoiceID: String) -> ParkReason? {
        Column.stripeInvoiceID.problem(storing: invoiceID) ?? fact.paymentIntentID.flatMap(identifier)
            ?? fact.paymentListIntentIDs.lazy.compactMap(identifier).first
    }

    static func problem(_ fact: InvoicePaymentFact) -> ParkReason? {
        Column.stripeInvoiceID.problem(storing: fact.invoiceID) ?? amount(fact.amount, Column.amountCents)
            ?? currency(fact.currency)
    }

    /// A refund's amount adds to `refunded_amount_cents`; the intent it names becomes a row's key.
    static func problem(_ fact: RefundFact) -> ParkReason? {
        fact.paymentIntentID.flatMap(identifier) ?? amount(fact.amount, Column.refundedAmountCents)
    }

    /// A lost dispute's amount adds to `refunded_amount_cents`; the intent it names becomes a row's key.
    static func problem(_ fact: DisputeFact) -> ParkReason? {
        fact.paymentIntentID.flatMap(identifier) ?? amount(fact.amount, Column.refundedAmountCents)
    }

    /// An amount the INTEGER column and its `>= 0` CHECK hold.
    static func amount(_ amount: Int64?, _ column: ProjectedColumn) -> ParkReason? {
        guard let amount else { return nil }
        if amount < 0 { return .negativeAmount(amount) }
        if Int32(exactly: amount) == nil { return .amountOutOfRange(amount) }
        return nil
    }

    /// Three ASCII letters, stored upper-case in `VARCHAR(3)`.
    static func currency(_ currency: String?) -> ParkReason? {
        guard let currency else { return nil }
        guard currency.utf8.count == 3, currency.utf8.allSatisfy(SubscriptionValidation.isLetter) else {
            return .invalidCurrency(currency)
        }
        return nil
    }
}
