import Foundation

/// Everything the projection keeps for one PaymentIntent: the newest fact per source.
struct PaymentRecord: Sendable, Hashable {
    var paymentIntent: Versioned<PaymentIntentFact>?
    var charge: Versioned<ChargeFact>?
    var invoicePayment: Versioned<InvoicePaymentFact>?
    /// An invoice that named this intent (pre-2025 `invoice.payment_intent`); the smallest id if several did.
    var invoiceLink: String?
    /// Earliest event time seen for the intent, applied or stale.
    var firstEventAt: Int64
    /// Earliest time any event reported the payment succeeded, applied or stale.
    var succeededAt: Int64?

    init(firstEventAt: Int64) {
        self.firstEventAt = firstEventAt
    }

    /// The invoice this payment pays, by the most direct link available.
    var invoiceID: String? {
        invoicePayment?.value.invoiceID ?? paymentIntent?.value.invoiceID ?? charge?.value.invoiceID ?? invoiceLink
    }
}

extension ProjectionState {
    mutating func applyPaymentIntent(_ id: String, _ fact: PaymentIntentFact, _ context: EventContext) -> ApplyOutcome {
        updatePayment(id, context, fact: fact, rank: fact.status.tieRank, at: \.paymentIntent)
    }

    mutating func applyCharge(_ id: String, _ fact: ChargeFact, _ context: EventContext) -> ApplyOutcome {
        updatePayment(id, context, fact: fact, rank: fact.status.tieRank, at: \.charge)
    }

    mutating func applyInvoicePayment(_ id: String, _ fact: InvoicePaymentFact, _ context: EventContext) -> ApplyOutcome
    {
        updatePayment(id, context, fact: fact, rank: PaymentStatus.succeeded.tieRank, at: \.invoicePayment)
    }

    /// An invoice event: keeps the newest fact per invoice, links it to its subscription and (pre-2025) its intent.
    mutating func applyInvoice(_ id: String, _ fact: InvoiceFact, _ context: EventContext) -> ApplyOutcome {
        if let subscription = fact.subscriptionID { invoicesBySubscription[subscription, default: []].insert(id) }
        if let paymentIntentID = fact.paymentIntentID {
            let existing = payments[paymentIntentID]
            var record = existing ?? PaymentRecord(firstEventAt: context.created)
            record.firstEventAt = min(record.firstEventAt, context.created)
            record.invoiceLink = [record.invoiceLink, id].compactMap { $0 }.min()
            if fact.status == .succeeded {
                record.succeededAt = [record.succeededAt, context.created].compactMap { $0 }.min()
            }
            // The row's times and invoice link may move even when this invoice event is stale.
            if record != existing { changed.insert(.payment(paymentIntentID)) }
            payments[paymentIntentID] = record
            paymentsByInvoice[id, default: []].insert(paymentIntentID)
        }
        let versioned = Versioned(
            value: fact, created: context.created, rank: fact.status.tieRank, position: context.position,
            eventID: context.eventID)
        let recency =
            invoices[id].map {
                $0.compare(
                    created: context.created, rank: fact.status.tieRank, position: context.position,
                    eventID: context.eventID)
            } ?? .newer
        switch recency {
        case .duplicate: return .ignored(.duplicate)
        case .stale: return .ignored(.stale)
        case .newer:
            invoices[id] = versioned
            for payment in paymentsByInvoice[id] ?? [] { changed.insert(.payment(payment)) }
            return .applied
        }
    }

    /// Shared bookkeeping for the facts keyed by PaymentIntent: keeps the newest per source, times, parking, change marks.
    private mutating func updatePayment<Fact: Sendable & Hashable>(
        _ id: String, _ context: EventContext, fact: Fact, rank: Int,
        at keyPath: WritableKeyPath<PaymentRecord, Versioned<Fact>?>
    ) -> ApplyOutcome {
        let existing = payments[id]
        var record = existing ?? PaymentRecord(firstEventAt: context.created)
        // Minima over every event seen, stale ones included: the same set of events gives the same times.
        record.firstEventAt = min(record.firstEventAt, context.created)
        if rank >= PaymentStatus.succeeded.tieRank {
            record.succeededAt = [record.succeededAt, context.created].compactMap { $0 }.min()
        }
        if let existing, record.firstEventAt != existing.firstEventAt || record.succeededAt != existing.succeededAt {
            changed.insert(.payment(id))
        }
        let recency =
            record[keyPath: keyPath].map {
                $0.compare(created: context.created, rank: rank, position: context.position, eventID: context.eventID)
            } ?? .newer
        if recency == .newer {
            record[keyPath: keyPath] = Versioned(
                value: fact, created: context.created, rank: rank, position: context.position,
                eventID: context.eventID)
        }
        payments[id] = record
        if let invoice = record.invoiceID { paymentsByInvoice[invoice, default: []].insert(id) }
        switch recency {
        case .duplicate: return .ignored(.duplicate)
        case .stale: return .ignored(.stale)
        case .newer:
            parked[.payment(id)] = nil
            changed.insert(.payment(id))
            return .applied
        }
    }

    /// The PaymentIntent ids billed to a subscription: every payment linked to any of its invoices.
    ///
    /// Follows the insert-only links (subscription → invoices → payments), so it also lists payments whose
    /// row does not (yet) name the subscription, e.g. while the subscription has no valid row.
    public func paymentIDs(ofSubscription id: String) -> Set<String> {
        var result: Set<String> = []
        for invoice in invoicesBySubscription[id] ?? [] {
            result.formUnion(paymentsByInvoice[invoice] ?? [])
        }
        return result
    }
}
