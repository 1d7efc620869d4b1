/// The refunds and disputes of a payment's charges, each by its own id: the newest fact of each.
///
/// Invariant: keyed by refund and dispute id, so a refund reported by `refund.*`, `charge.refund.updated` and
/// again through the charge's `amount_refunded` is counted once, whatever the delivery order.
struct PaymentAdjustments: Sendable, Hashable {
    var refunds: [String: Versioned<RefundFact>] = [:]
    var disputes: [String: Versioned<DisputeFact>] = [:]

    /// Money that went back to the customer: the succeeded refunds, or the charge's own cumulative
    /// `amount_refunded` when that is more (a refund not yet reported as an object), plus every lost dispute.
    func returnedAmount(chargeRefunded: Int64) -> Int64 {
        let refunded = refunds.values.reduce(0) { $1.value.succeeded ? $0 + ($1.value.amount ?? 0) : $0 }
        let lost = disputes.values.reduce(0) { $1.value.outcome == .lost ? $0 + ($1.value.amount ?? 0) : $0 }
        return max(refunded, chargeRefunded) + lost
    }

    /// The time of the newest refund or dispute event kept.
    var newestCreated: Int64? {
        (refunds.values.map(\.created) + disputes.values.map(\.created)).max()
    }

    /// Keeps, per id, the newer of what both hold.
    mutating func merge(_ other: PaymentAdjustments) {
        for (id, entry) in other.refunds { _ = refunds.keepNewer(entry, for: id) }
        for (id, entry) in other.disputes { _ = disputes.keepNewer(entry, for: id) }
    }
}

extension Dictionary where Key == String {
    /// Keeps `entry` for `key` unless what is kept is as new or newer; says how `entry` compared.
    mutating func keepNewer<Fact>(_ entry: Versioned<Fact>, for key: String) -> Recency
    where Value == Versioned<Fact> {
        let recency =
            self[key].map {
                $0.compare(created: entry.created, rank: entry.rank, position: entry.position, eventID: entry.eventID)
            } ?? .newer
        if recency == .newer { self[key] = entry }
        return recency
    }
}

extension ProjectionState {
    /// A Refund object: kept by refund id on its PaymentIntent, or on its charge until an event names the intent.
    mutating func applyRefund(_ id: String, _ fact: RefundFact, _ context: EventContext) -> ApplyOutcome {
        let entry = Versioned(
            value: fact, created: context.created, rank: fact.rank, position: context.position,
            eventID: context.eventID)
        return applyAdjustment(paymentIntentID: fact.paymentIntentID, chargeID: fact.chargeID) {
            $0.refunds.keepNewer(entry, for: id)
        }
    }

    /// A Dispute object: kept by dispute id like a refund; only a lost one changes the row (docs/0003).
    mutating func applyDispute(_ id: String, _ fact: DisputeFact, _ context: EventContext) -> ApplyOutcome {
        let entry = Versioned(
            value: fact, created: context.created, rank: fact.rank, position: context.position,
            eventID: context.eventID)
        return applyAdjustment(paymentIntentID: fact.paymentIntentID, chargeID: fact.chargeID) {
            $0.disputes.keepNewer(entry, for: id)
        }
    }

    /// Ties `chargeID` to its PaymentIntent and moves the refunds and disputes waiting on the charge to it.
    ///
    /// A charge belongs to one intent; should two events disagree, the smallest id is kept.
    mutating func linkCharge(_ chargeID: String, toPayment paymentIntentID: String) {
        if let linked = paymentByCharge[chargeID], linked <= paymentIntentID { return }
        paymentByCharge[chargeID] = paymentIntentID
        guard let waiting = adjustmentsByCharge.removeValue(forKey: chargeID) else { return }
        var record = payments[paymentIntentID] ?? PaymentRecord(firstEventAt: PaymentRecord.untimed)
        record.adjustments.merge(waiting)
        payments[paymentIntentID] = record
        changed.insert(.payment(paymentIntentID))
    }

    /// Keeps a refund or dispute (`keep`) on the intent it or its charge names, else waiting on its charge.
    private mutating func applyAdjustment(
        paymentIntentID: String?, chargeID: String?, keep: (inout PaymentAdjustments) -> Recency
    ) -> ApplyOutcome {
        if let chargeID, let paymentIntentID { linkCharge(chargeID, toPayment: paymentIntentID) }
        let recency: Recency
        if let payment = paymentIntentID ?? chargeID.flatMap({ paymentByCharge[$0] }) {
            var record = payments[payment] ?? PaymentRecord(firstEventAt: PaymentRecord.untimed)
            recency = keep(&record.adjustments)
            payments[payment] = record
            if recency == .newer { changed.insert(.payment(payment)) }
        } else if let chargeID {
            recency = keep(&adjustmentsByCharge[chargeID, default: PaymentAdjustments()])
        } else {
            return .ignored(.noPaymentIntent)
        }
        switch recency {
        case .duplicate: return .ignored(.duplicate)
        case .stale: return .ignored(.stale)
        case .newer: return .applied
        }
    }
}
