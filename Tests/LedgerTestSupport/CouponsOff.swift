import LedgerCore

/// What coupons take off the MRR of the rows `events` project, per currency: the rows do not hold the
/// discounts, the reducer's snapshot of each subscription does (``MRRContribution`` values them).
public func couponsOff(_ events: some Sequence<RecordedEvent>) -> [String: Int64] {
    var state = ProjectionState()
    for event in events { _ = state.apply(event) }
    var off: [String: Int64] = [:]
    for row in state.subscriptionRows() {
        let discounts = state.subscriptionDiscounts(stripeID: row.stripeSubscriptionID)
        off[row.currency, default: 0] +=
            MRRContribution.monthlyCents(of: row) - MRRContribution.monthlyCents(of: row, discounts: discounts)
    }
    return off
}
