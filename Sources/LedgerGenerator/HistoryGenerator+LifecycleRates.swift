extension HistoryGenerator {
    /// How often each lifecycle branch happens; tuned so a 200-customer, 12-month run shows every branch.
    enum LifecycleRates {
        /// Share of paid sign-ups that start with a trial.
        static let trial = 0.35
        /// Trial outcomes: convert, lapse to canceled, pause for lack of a payment method.
        static let trialOutcomeWeights = [0.65, 0.20, 0.15]
        /// Share of paid sign-ups whose first payment fails (subscription starts `incomplete`).
        static let initialPaymentFailure = 0.05
        /// Share of those that pay within the 23 hours before `incomplete_expired`.
        static let incompleteRecovery = 0.5
        /// Chance that a renewal's first payment attempt fails.
        static let renewalFailure = 0.05
        /// Chance that each retry of a failed payment succeeds.
        static let retrySuccess = 0.45
        /// Smart-retry schedule after the first failure, in days between attempts.
        static let retryDelayDays: [Int64] = [3, 5, 7]
        /// After the last failed retry: share that ends `unpaid` (the rest is canceled).
        static let exhaustedToUnpaid = 0.5
        /// Share of `unpaid` subscriptions later canceled by the merchant.
        static let unpaidCanceled = 0.5
        /// Per month of the period: plan or quantity change.
        static let planChangePerMonth = 0.05
        /// Per month of the period: cancellation at period end requested.
        static let cancelAtPeriodEndPerMonth = 0.03
        /// Share of cancellation requests withdrawn before the period ends.
        static let cancellationWithdrawn = 0.2
        /// Per month of the period: immediate cancellation.
        static let immediateCancelPerMonth = 0.008
        /// Per month of the period: payment collection paused.
        static let pauseCollectionPerMonth = 0.012
        /// Share of paused (status `paused`) subscriptions that resume later.
        static let pausedResumed = 0.6
        /// Chance a successful payment is later refunded; half of those in part.
        static let refund = 0.025
        /// Chance an immediate cancellation refunds the last payment.
        static let refundOnCancel = 0.3
        /// Share of refunds reported through a refund object that start `pending` and succeed later.
        static let refundPending = 0.3
        /// Chance a successful payment that is not refunded is later disputed (a chargeback).
        static let dispute = 0.006
        /// Share of disputes the merchant contests with evidence; the rest are lost when the response is due.
        static let disputeContested = 0.7
        /// Share of contested disputes the merchant wins.
        static let disputeWonWhenContested = 0.6
        /// Share of paid sign-ups (without a trial) that redeem a coupon.
        static let coupon = 0.08
        /// Share of 2025+ `discounts` entries rendered as objects (an expanded read); the rest are bare ids.
        static let discountExpanded = 0.75
        /// Per month of the period: a paid subscription moves to another interval (monthly, quarterly, yearly).
        static let intervalChangePerMonth = 0.01
        /// Share of customers who live in test mode (`"livemode": false`) in an otherwise live history.
        static let testModeCustomer = 0.01
        /// Months a yearly period counts as when rolling per-month chances (capped so a year is not near-certain).
        static let yearlyMonthsWeight = 6.0
    }
}
