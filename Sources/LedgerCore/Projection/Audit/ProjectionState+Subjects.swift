import Foundation

/// What a logged event is about in projected rows: the subscription and the PaymentIntents it bears on.
///
/// Audits use it to pick one subscription's or one payment's events out of a customer's: an
/// invoice event is about its subscription and the payments that pay it, a charge about its
/// PaymentIntent and, through the invoice, that intent's subscription.
public struct EventSubject: Sendable, Hashable {
    /// The Stripe subscription id (`sub_…`), when the event or its links name one.
    public var subscriptionID: String?
    /// The PaymentIntent ids (`pi_…`) whose rows the event bears on.
    public var paymentIntentIDs: Set<String>

    public init(subscriptionID: String? = nil, paymentIntentIDs: Set<String> = []) {
        self.subscriptionID = subscriptionID
        self.paymentIntentIDs = paymentIntentIDs
    }
}

extension ProjectionState {
    /// What `event` is about, read from its body and the links the state holds (call it after applying the event,
    /// so links the event itself makes count). An unreadable body or a type the projection ignores is about nothing.
    public func subject(of event: RecordedEvent) -> EventSubject {
        guard let kind = ProjectedEventKind(type: event.type), let tape = try? JSONTape(parsing: event.body) else {
            return EventSubject()
        }
        let object = tape.root["data"]["object"]
        var reading = FieldReading()  // the subject is the ids; the values' problems are the reducer's verdict
        switch kind {
        case .subscriptionCreated, .subscriptionUpdated, .subscriptionDeleted, .subscriptionPaused,
            .subscriptionResumed, .subscriptionTrialWillEnd, .subscriptionPendingUpdateApplied,
            .subscriptionPendingUpdateExpired:
            return EventSubject(subscriptionID: object["id"].string)
        case .paymentIntent(let paymentEvent):
            return paymentSubject(PaymentIntentFact.read(object, event: paymentEvent, reading: &reading)?.0)
        case .invoicePaid, .invoicePaymentSucceeded, .invoicePaymentFailed, .invoiceLinked:
            guard let (invoice, fact) = InvoiceFact.read(object, status: .succeeded, reading: &reading) else {
                return EventSubject()
            }
            let payments = (paymentsByInvoice[invoice] ?? []).union([fact.paymentIntentID].compactMap { $0 })
                .union(fact.paymentListIntentIDs)
            return EventSubject(
                subscriptionID: fact.subscriptionID ?? subscriptionID(ofInvoice: invoice), paymentIntentIDs: payments)
        case .invoicePaymentPaid:
            return paymentSubject(InvoicePaymentFact.read(object, reading: &reading)?.0)
        case .chargeSucceeded, .chargeFailed, .chargeRefunded:
            return paymentSubject(ChargeFact.read(object, reading: &reading)?.0)
        case .refund:
            let fact = RefundFact.read(object, reading: &reading)?.1
            return paymentSubject(fact?.paymentIntentID ?? fact?.chargeID.flatMap { paymentByCharge[$0] })
        case .dispute:
            let fact = DisputeFact.read(object, reading: &reading)?.1
            return paymentSubject(fact?.paymentIntentID ?? fact?.chargeID.flatMap { paymentByCharge[$0] })
        }
    }

    /// The subject of an event keyed by PaymentIntent: the intent and the subscription its invoice bills.
    private func paymentSubject(_ paymentIntentID: String?) -> EventSubject {
        guard let paymentIntentID else { return EventSubject() }
        let invoice = payments[paymentIntentID]?.invoiceID
        return EventSubject(
            subscriptionID: invoice.flatMap { subscriptionID(ofInvoice: $0) }, paymentIntentIDs: [paymentIntentID])
    }

    /// The subscription an invoice bills, from its newest event or from the subscription → invoices links.
    func subscriptionID(ofInvoice invoice: String) -> String? {
        if let subscription = invoices[invoice]?.value.subscriptionID ?? subscriptionByInvoice[invoice] {
            return subscription
        }
        return invoicesBySubscription.first { $0.value.contains(invoice) }?.key
    }

    /// The PaymentIntent ids the state has seen.
    public var knownPaymentIntentIDs: Set<String> { Set(payments.keys) }

    /// The charge ids an event has tied to a PaymentIntent (a `charge.*` event, or a refund or dispute naming both):
    /// the refunds and disputes naming only such a charge bear on that intent.
    public var knownChargeIDs: Set<String> { Set(paymentByCharge.keys) }

    /// The invoice ids the state has seen, from invoice events and from payments' links.
    public var knownInvoiceIDs: Set<String> {
        Set(invoices.keys).union(paymentsByInvoice.keys).union(invoicesBySubscription.values.joined())
    }
}
