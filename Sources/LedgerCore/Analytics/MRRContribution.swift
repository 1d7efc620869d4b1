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

    /// The row's monthly recurring revenue in minor units: 0 unless paying and on a paid plan; a
    /// yearly amount counts as amount / 12 rounded to the nearest unit, halves up.
    public static func monthlyCents(of row: SubscriptionRow) -> Int64 {
        guard countsAsPaid(row.status), row.planType != .free else { return 0 }
        let amount = max(Int64(row.amountCents), 0)
        switch row.billingCycle {
        case .monthly: return amount
        case .yearly: return (amount + 6) / 12
        }
    }
}
