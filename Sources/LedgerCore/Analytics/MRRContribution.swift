/// What one subscription row adds to its customer's MRR: the rule every MRR figure derives from.
///
/// Computed once per row as an integer in the currency's minor unit, so every movement is a
/// difference of two such integers and every sum of movements is exact (docs/0006-mrr.md).
public enum MRRContribution {
    /// Whether a subscription in `status` is paying: `active` and `past_due` count (Stripe is still
    /// collecting, the customer has not left); `trialing` has not paid yet; `incomplete` never paid;
    /// `incomplete_expired` and `canceled` ended; `unpaid` stopped collecting; `paused` collects nothing.
    public static func countsAsPaid(_ status: SubscriptionStatus) -> Bool {
        switch status {
        case .active, .pastDue: true
        case .incomplete, .incompleteExpired, .trialing, .unpaid, .canceled, .paused: false
        }
    }

    /// The row's monthly recurring revenue in minor units: 0 unless paying and on a paid plan; else the
    /// period's amount (Σ unit amount × quantity) less the `discounts` that apply as of the row's event,
    /// in their order, divided by the cycle's months and rounded to the nearest unit, halves up.
    public static func monthlyCents(of row: SubscriptionRow, discounts: [SubscriptionDiscount] = []) -> Int64 {
        guard countsAsPaid(row.status), row.planType != .free else { return 0 }
        let time = row.updatedAt.microsecondsSinceEpoch / 1_000_000
        let periodStart = row.currentPeriodStart.map { $0.microsecondsSinceEpoch / 1_000_000 }
        var amount = max(Int64(row.amountCents), 0)
        for discount in discounts where discount.applies(at: time, periodStart: periodStart) {
            amount = discount.discounted(amount, currency: row.currency)
        }
        let months = row.billingCycle.months
        return (2 * amount + months) / (2 * months)
    }
}
