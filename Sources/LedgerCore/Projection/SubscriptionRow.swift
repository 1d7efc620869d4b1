import Foundation

/// A subscription's status as stored in `subscriptions.status`; raw values are Stripe's strings.
public enum SubscriptionStatus: String, Sendable, Hashable, CaseIterable {
    case incomplete
    case incompleteExpired = "incomplete_expired"
    case trialing
    case active
    case pastDue = "past_due"
    case unpaid
    case canceled
    /// Stripe's own status; a migration adds it to the CHECK rather than mapping it away.
    case paused

    /// True for states a subscription never leaves; a same-second non-terminal event does not undo them.
    public var isTerminal: Bool {
        switch self {
        case .canceled, .incompleteExpired: true
        case .incomplete, .trialing, .active, .pastDue, .unpaid, .paused: false
        }
    }
}

/// The product tier stored in `subscriptions.plan_type`.
public enum PlanType: String, Sendable, Hashable, CaseIterable {
    case free, starter, pro, enterprise
}

/// The billing cycle stored in `subscriptions.billing_cycle`, from the price's recurring interval and
/// `interval_count`. The seed's CHECK held monthly and yearly; migration 013 adds the other three.
public enum BillingCycle: String, Sendable, Hashable, CaseIterable {
    case monthly, quarterly, semiannual, yearly, biennial

    /// The cycle for a Stripe recurring interval billed every `count` of them; nil for what the
    /// table cannot hold (`week`, `day`, and counts that are not 1, 3, 6, 12 or 24 months).
    public init?(stripeInterval: String, count: Int64 = 1) {
        let months: Int64
        switch stripeInterval {
        case "month": months = count
        case "year":
            let (product, overflow) = count.multipliedReportingOverflow(by: 12)
            guard !overflow else { return nil }
            months = product
        default: return nil
        }
        guard let cycle = Self.allCases.first(where: { $0.months == months }) else { return nil }
        self = cycle
    }

    /// How many months one period of this cycle lasts; MRR divides the period's amount by it.
    public var months: Int64 {
        switch self {
        case .monthly: 1
        case .quarterly: 3
        case .semiannual: 6
        case .yearly: 12
        case .biennial: 24
        }
    }
}

/// One row of `public.subscriptions`, column for column.
public struct SubscriptionRow: Sendable, Hashable {
    /// UUIDv5 of the Stripe subscription id.
    public var id: UUID
    /// From subscription metadata `license_id`; must exist in `licenses` (checked by the database runner).
    public var licenseID: UUID
    public var stripeSubscriptionID: String
    public var stripeCustomerID: String?
    public var status: SubscriptionStatus
    public var planType: PlanType
    public var billingCycle: BillingCycle
    /// Σ unit amount × quantity over the items, in the currency's minor unit.
    public var amountCents: Int32
    /// ISO 4217, upper-case.
    public var currency: String
    public var currentPeriodStart: EventTime?
    public var currentPeriodEnd: EventTime?
    public var cancelAtPeriodEnd: Bool
    public var canceledAt: EventTime?
    public var trialStart: EventTime?
    public var trialEnd: EventTime?
    /// The earliest event time seen for this subscription.
    public var createdAt: EventTime
    /// The time of the event the row was last derived from.
    public var updatedAt: EventTime
    /// The subscription's Stripe metadata as canonical JSON (keys sorted, compact).
    public var metadata: String

    public init(
        id: UUID, licenseID: UUID, stripeSubscriptionID: String, stripeCustomerID: String?,
        status: SubscriptionStatus, planType: PlanType, billingCycle: BillingCycle, amountCents: Int32,
        currency: String, currentPeriodStart: EventTime?, currentPeriodEnd: EventTime?, cancelAtPeriodEnd: Bool,
        canceledAt: EventTime?, trialStart: EventTime?, trialEnd: EventTime?, createdAt: EventTime,
        updatedAt: EventTime, metadata: String
    ) {
        self.id = id
        self.licenseID = licenseID
        self.stripeSubscriptionID = stripeSubscriptionID
        self.stripeCustomerID = stripeCustomerID
        self.status = status
        self.planType = planType
        self.billingCycle = billingCycle
        self.amountCents = amountCents
        self.currency = currency
        self.currentPeriodStart = currentPeriodStart
        self.currentPeriodEnd = currentPeriodEnd
        self.cancelAtPeriodEnd = cancelAtPeriodEnd
        self.canceledAt = canceledAt
        self.trialStart = trialStart
        self.trialEnd = trialEnd
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.metadata = metadata
    }
}
