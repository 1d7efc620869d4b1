import Foundation

extension ProjectionState {
    /// A `ledger correct` event: replaces the newest correction of its field (a refund adds up instead) and
    /// re-decides the object's row. docs/0015-corrections.md gives the ranking.
    mutating func applyCorrection(_ event: RecordedEvent) -> ApplyOutcome {
        let correction: Correction
        switch Correction.read(event) {
        case .success(let read): correction = read
        case .failure(let error): return .ignored(.invalidSetting("\(event.type) is not a correction: \(error)"))
        }
        let applied = AppliedCorrection(correction, position: event.position)
        switch correction.object {
        case .subscription(let id): return applySubscriptionCorrection(applied, id)
        case .payment(let id): return applyPaymentCorrection(applied, id)
        case .event: return .ignored(.invalidSetting("a correction names a subscription or a payment"))
        }
    }

    private mutating func applySubscriptionCorrection(_ applied: AppliedCorrection, _ id: String) -> ApplyOutcome {
        var corrections = subscriptionCorrections[id] ?? SubscriptionCorrection()
        let recency: Recency
        switch applied.correction.fact.field {
        case .license: recency = Self.keepNewer(applied, in: &corrections.licenseCorrection)
        case .planType: recency = Self.keepNewer(applied, in: &corrections.planTypeCorrection)
        case .exclusion: recency = Self.keepNewer(applied, in: &corrections.exclusion)
        case nil: return .ignored(.invalidSetting("a subscription has no refund to correct"))
        }
        guard recency == .newer else { return recency == .duplicate ? .ignored(.duplicate) : .ignored(.stale) }
        // The row as it was under the former corrections: `revalidateSubscription` re-decides it and marks nothing.
        let before = subscriptionRow(stripeID: id)
        subscriptionCorrections[id] = corrections
        revalidateSubscription(id)
        let after = subscriptionRow(stripeID: id)
        if before != after { markSubscriptionChanged(id, validityChanged: (before == nil) != (after == nil)) }
        return .applied
    }

    private mutating func applyPaymentCorrection(_ applied: AppliedCorrection, _ id: String) -> ApplyOutcome {
        var corrections = paymentCorrections[id] ?? PaymentCorrection()
        switch applied.correction.fact.field {
        case .exclusion:
            let recency = Self.keepNewer(applied, in: &corrections.exclusion)
            guard recency == .newer else { return recency == .duplicate ? .ignored(.duplicate) : .ignored(.stale) }
        case nil:
            // Refunds add up; one event (one position) counts once.
            guard corrections.refunds[applied.position] == nil else { return .ignored(.duplicate) }
            corrections.refunds[applied.position] = applied
        case .license, .planType:
            return .ignored(.invalidSetting("a payment has no license or plan type to correct"))
        }
        paymentCorrections[id] = corrections
        changed.insert(.payment(id))
        return .applied
    }

    /// Keeps `applied` in `slot` unless the correction there is as new or newer by log position.
    private static func keepNewer(_ applied: AppliedCorrection, in slot: inout AppliedCorrection?) -> Recency {
        guard let current = slot else {
            slot = applied
            return .newer
        }
        if current.position == applied.position { return .duplicate }
        if current.position > applied.position { return .stale }
        slot = applied
        return .newer
    }

    /// Whether a correction excludes the object from the billing tables (it then has no row).
    func isExcluded(_ key: ProjectionObjectKey) -> Bool {
        switch key {
        case .subscription(let id): subscriptionCorrections[id]?.isExcluded ?? false
        case .payment(let id): paymentCorrections[id]?.isExcluded ?? false
        case .event: false
        }
    }

    /// The corrections in effect for an object, in log order: what `ledger state` lists.
    public func corrections(of key: ProjectionObjectKey) -> [AppliedCorrection] {
        switch key {
        case .subscription(let id): subscriptionCorrections[id]?.inEffect ?? []
        case .payment(let id): paymentCorrections[id]?.inEffect ?? []
        case .event: []
        }
    }

    /// The objects some correction was recorded for, subscriptions then payments, each by id.
    public var correctedObjects: [ProjectionObjectKey] {
        subscriptionCorrections.keys.sorted().map { .subscription($0) }
            + paymentCorrections.keys.sorted().map { .payment($0) }
    }

    /// The money a payment's row shows returned: Stripe's (refunds, lost disputes) plus the out-of-band refunds,
    /// which never take the total past the payment's amount (Stripe's own refunds are never cut).
    static func returnedAmount(stripe: Int64, outOfBand: Int64, amount: Int64) -> Int64 {
        stripe + min(max(0, outOfBand), max(0, amount - stripe))
    }
}
