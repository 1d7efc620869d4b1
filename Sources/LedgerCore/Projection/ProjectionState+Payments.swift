import Foundation

/// Everything the projection keeps for one PaymentIntent: the newest fact per source.
struct PaymentRecord: Sendable, Hashable {
    var paymentIntent: Versioned<PaymentIntentFact>?
    var charge: Versioned<ChargeFact>?
    var invoicePayment: Versioned<InvoicePaymentFact>?
    /// An invoice that named this intent (pre-2025 `invoice.payment_intent`); the smallest id if several did.
    var invoiceLink: String?
    /// Earliest time an event that reports on the payment tells of it (the PaymentIntent's own `created` where one
    /// carries it), applied or stale; ``untimed`` until one has.
    var firstEventAt: Int64
    /// Earliest time any event reported the payment succeeded, applied or stale.
    var succeededAt: Int64?
    /// The refunds and disputes of the intent's charges.
    var adjustments = PaymentAdjustments()

    /// The ``firstEventAt`` of a record only links and adjustments made: it has no row until a payment event comes.
    ///
    /// Invariant: links and refunds say nothing about when the payment began, so they never move its times; a
    /// time taken from them would depend on which arrived first.
    static let untimed = Int64.max

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
        let outcome = updatePayment(id, context, fact: fact, rank: fact.status.tieRank, at: \.charge)
        if let chargeID = fact.chargeID { linkCharge(chargeID, toPayment: id) }
        return outcome
    }

    mutating func applyInvoicePayment(_ id: String, _ fact: InvoicePaymentFact, _ context: EventContext) -> ApplyOutcome
    {
        updatePayment(id, context, fact: fact, rank: PaymentStatus.succeeded.tieRank, at: \.invoicePayment)
    }

    /// An invoice event that reports a payment (`invoice.paid`, `.payment_failed`, `.payment_succeeded`): keeps the
    /// newest fact per invoice and links it to its subscription and (pre-2025) its intent.
    mutating func applyInvoice(_ id: String, _ fact: InvoiceFact, _ context: EventContext) -> ApplyOutcome {
        linkInvoice(id, fact, timedAt: context.reportedAt)
        let versioned = Versioned(
            value: fact, created: context.created, reported: context.reportedAt, rank: fact.status.tieRank,
            position: context.position,
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

    /// Any other invoice event (`invoice.created`, `.finalized`, `.updated`, `.voided`, …): its links only.
    ///
    /// Invariant: only the events that report payment give a payment's status or times, so a draft's
    /// `invoice.created` or a `invoice.voided` can neither fail nor settle the intent it names.
    /// Its links always count; its outcome is decided as for any object: the newest link event of the invoice
    /// is applied, a redelivery is a duplicate, an older one that links nothing new is stale.
    mutating func applyInvoiceLinks(_ id: String, _ fact: InvoiceFact, _ context: EventContext) -> ApplyOutcome {
        let linked = linkInvoice(id, fact, timedAt: nil)
        let entry = Versioned(
            value: context.type, created: context.created, rank: 0, position: context.position,
            eventID: context.eventID)
        switch invoiceLinkEvents.keepNewer(entry, for: id) {
        case .newer: return .applied
        case .duplicate: return .ignored(.duplicate)
        case .stale: return linked ? .applied : .ignored(.stale)
        }
    }

    /// Records the links an invoice event names: invoice → subscription, invoice ↔ intents; `timedAt` is the
    /// event's time when it reports the payment (then it counts in the intents' times), nil for links only.
    /// Returns whether a link or time changed.
    @discardableResult
    private mutating func linkInvoice(_ id: String, _ fact: InvoiceFact, timedAt created: Int64?) -> Bool {
        var linked = false
        if let subscription = fact.subscriptionID {
            linked = invoicesBySubscription[subscription, default: []].insert(id).inserted
            if subscriptionByInvoice[id].map({ subscription < $0 }) ?? true {
                subscriptionByInvoice[id] = subscription
                linked = true
                for payment in paymentsByInvoice[id] ?? [] { changed.insert(.payment(payment)) }
            }
        }
        if let paymentIntentID = fact.paymentIntentID {
            let succeeded = fact.status == .succeeded
            linked = linkPayment(paymentIntentID, toInvoice: id, timedAt: created, succeeded: succeeded) || linked
        }
        // The 2025+ expanded `payments` list names the intents without reporting on them: links only.
        for paymentIntentID in fact.paymentListIntentIDs {
            linked = linkPayment(paymentIntentID, toInvoice: id, timedAt: nil, succeeded: false) || linked
        }
        return linked
    }

    /// Links an intent to an invoice; returns whether its record or the invoice's payments changed.
    private mutating func linkPayment(
        _ paymentIntentID: String, toInvoice id: String, timedAt: Int64?, succeeded: Bool
    ) -> Bool {
        let existing = payments[paymentIntentID]
        var record = existing ?? PaymentRecord(firstEventAt: timedAt ?? PaymentRecord.untimed)
        if let timedAt {
            record.firstEventAt = min(record.firstEventAt, timedAt)
            if succeeded { record.succeededAt = [record.succeededAt, timedAt].compactMap { $0 }.min() }
        }
        record.invoiceLink = [record.invoiceLink, id].compactMap { $0 }.min()
        // The row's times and invoice link may move even when this invoice event is stale.
        if record != existing { changed.insert(.payment(paymentIntentID)) }
        payments[paymentIntentID] = record
        let inserted = paymentsByInvoice[id, default: []].insert(paymentIntentID).inserted
        return record != existing || inserted
    }

    /// Shared bookkeeping for the facts keyed by PaymentIntent: keeps the newest per source, times, parking, change marks.
    private mutating func updatePayment<Fact: Sendable & Hashable>(
        _ id: String, _ context: EventContext, fact: Fact, rank: Int,
        at keyPath: WritableKeyPath<PaymentRecord, Versioned<Fact>?>
    ) -> ApplyOutcome {
        let existing = payments[id]
        var record = existing ?? PaymentRecord(firstEventAt: context.earliestTime)
        // Minima over every event seen, stale ones included: the same set of events gives the same times.
        record.firstEventAt = min(record.firstEventAt, context.earliestTime)
        if rank >= PaymentStatus.succeeded.tieRank {
            record.succeededAt = [record.succeededAt, context.reportedAt].compactMap { $0 }.min()
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
                value: fact, created: context.created, reported: context.reportedAt, rank: rank,
                position: context.position,
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
