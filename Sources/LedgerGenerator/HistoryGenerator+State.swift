extension HistoryGenerator {
    /// Stripe's subscription statuses; `rawValue` is the wire string.
    enum SubscriptionStatus: String {
        case incomplete
        case incompleteExpired = "incomplete_expired"
        case trialing
        case active
        case pastDue = "past_due"
        case canceled
        case unpaid
        case paused
    }

    /// The fields of a subscription that an update can change, to render `previous_attributes`.
    struct SubscriptionFields: OptionSet {
        let rawValue: UInt16

        static let status = SubscriptionFields(rawValue: 1 << 0)
        static let currentPeriod = SubscriptionFields(rawValue: 1 << 1)
        static let items = SubscriptionFields(rawValue: 1 << 2)
        static let cancellation = SubscriptionFields(rawValue: 1 << 3)
        static let pauseCollection = SubscriptionFields(rawValue: 1 << 4)
        static let latestInvoice = SubscriptionFields(rawValue: 1 << 5)
        static let metadata = SubscriptionFields(rawValue: 1 << 6)
        static let billingCycleAnchor = SubscriptionFields(rawValue: 1 << 7)
        static let defaultPaymentMethod = SubscriptionFields(rawValue: 1 << 8)
        static let endedAt = SubscriptionFields(rawValue: 1 << 9)
        static let discount = SubscriptionFields(rawValue: 1 << 10)
    }

    /// A customer's payment card; the same card pays every invoice of that customer.
    struct Card {
        let paymentMethodID: String
        let brand: String
        let last4: String
        let expMonth: Int64
        let expYear: Int64
        let fingerprint: String
        let country: String
    }

    /// Everything a subscription object renders from, as of one event.
    struct SubscriptionState {
        let id: String
        let customerID: String
        let itemID: String
        let licenseID: String
        let created: Int64
        var itemCreated: Int64
        var plan: Plan
        var interval: Interval
        var quantity: Int
        let currency: Currency
        var status: SubscriptionStatus
        var billingCycleAnchor: Int64
        var periodStart: Int64
        var periodEnd: Int64
        var trialStart: Int64?
        var trialEnd: Int64?
        var trialEndBehavior: StaticString
        var cancelAtPeriodEnd = false
        var cancelAt: Int64?
        var canceledAt: Int64?
        var endedAt: Int64?
        var cancellationReason: StaticString?
        var cancellationFeedback: StaticString?
        var pauseResumesAt: Int64?
        var pauseCollectionActive = false
        var latestInvoiceID: String?
        var defaultPaymentMethod: String?
        var discount: Discount?

        var isTerminal: Bool {
            status == .canceled || status == .incompleteExpired
        }
    }

    /// Invoice statuses; `rawValue` is the wire string.
    enum InvoiceStatus: String {
        case draft, open, paid, void
    }

    /// Everything an invoice object renders from, as of one event.
    struct InvoiceState {
        let id: String
        let number: String
        let lineID: String
        let customerID: String
        let customerEmail: String
        let customerName: String
        let subscriptionID: String
        let subscriptionItemID: String
        let plan: Plan
        let interval: Interval
        let quantity: Int
        let currency: Currency
        let amount: Int64
        let billingReason: StaticString
        let created: Int64
        let periodStart: Int64
        let periodEnd: Int64
        /// What the subscription's discount took off the list amount (`amount` is after it), and its id.
        var discountAmount: Int64 = 0
        var discountID: String?
        var status: InvoiceStatus = .draft
        var attemptCount = 0
        var nextPaymentAttempt: Int64?
        var finalizedAt: Int64?
        var paidAt: Int64?
        var voidedAt: Int64?
        var paymentIntentID: String?
        var chargeID: String?
        var invoicePaymentID: String?

        var amountPaid: Int64 { status == .paid ? amount : 0 }
    }

    /// One refund of a charge; `succeeded` is false while a refund object still reports `pending`.
    struct Refund {
        let id: String
        let amount: Int64
        let created: Int64
        let balanceTransaction: String
        var succeeded = true
    }

    /// A payment intent and its latest charge, as of one event.
    struct PaymentState {
        let paymentIntentID: String
        let invoiceID: String
        let invoicePaymentID: String
        let customerID: String
        let amount: Int64
        let currency: Currency
        let created: Int64
        let card: Card
        let description: String
        var chargeID: String
        var chargeCreated: Int64
        var balanceTransaction: String
        var succeeded: Bool
        var declineCode: StaticString?
        var riskScore: Int64
        var refunds: [Refund] = []
        var paidAt: Int64?

        var amountRefunded: Int64 { refunds.reduce(0) { $0 + $1.amount } }
    }
}

extension HistoryGenerator {
    /// A coupon of the catalog: a percentage or an amount off, for one invoice, some months, or for ever.
    struct Coupon {
        enum Duration: String {
            case once, repeating, forever
        }

        let id: String
        let name: String
        /// Whole percent off, or nil for an amount-off coupon.
        let percentOff: Int?
        /// Minor units off each invoice in `currency`, or nil for a percentage coupon.
        let amountOff: Int64?
        let currency: Currency?
        let duration: Duration
        let durationInMonths: Int?
        let created: Int64

        /// What this coupon takes off an invoice of `amount`, never more than the amount.
        func discount(of amount: Int64) -> Int64 {
            if let percentOff { return (amount * Int64(percentOff) + 50) / 100 }
            return min(amount, amountOff ?? 0)
        }
    }

    /// A coupon applied to a subscription: Stripe's Discount object (`di_…`).
    struct Discount {
        let id: String
        let coupon: Coupon
        let start: Int64
        /// When a repeating coupon stops applying; nil for once and forever.
        let end: Int64?
        /// 2025+ shape: whether `discounts` carries the object (as an expanded API read does) or only its id,
        /// as webhooks send it; the pre-2025 `discount` field always carries the object.
        let expanded: Bool
    }

    /// A dispute's statuses, in the order one goes through them; `rawValue` is the wire string.
    enum DisputeStatus: String {
        case needsResponse = "needs_response"
        case underReview = "under_review"
        case won, lost
    }

    /// A chargeback of a payment's charge, as of one event.
    struct Dispute {
        let id: String
        let payment: PaymentState
        let created: Int64
        let reason: StaticString
        var status = DisputeStatus.needsResponse
        var evidenceSubmitted = false
    }
}
