/// The kind of an MRR movement, as stored in `mrr_movements.kind` (ChartMogul's names).
public enum MRRMovementKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// The customer's first MRR in the currency (0 → > 0, never before).
    case new
    /// The customer's MRR rose and was already > 0.
    case expansion
    /// The customer's MRR fell and stays > 0.
    case contraction
    /// The customer's MRR fell to 0.
    case churn
    /// The customer's MRR rose from 0 after an earlier churn.
    case reactivation

    /// True for the kinds that raise MRR (`amount_cents > 0`).
    public var isGain: Bool {
        switch self {
        case .new, .expansion, .reactivation: true
        case .contraction, .churn: false
        }
    }
}

/// One row of `public.mrr_movements`: a change of one customer's MRR in one currency, caused by
/// (and attributed to) one subscription's change at one log position.
///
/// Invariant: `amountCents == mrrAfterCents - mrrBeforeCents`, with the sign the kind implies;
/// before and after are the customer's MRR in ``currency``, not the subscription's.
public struct MRRMovement: Sendable, Hashable, Codable {
    public var stripeSubscriptionID: String
    /// Nil when the subscription names no customer (it then counts as a customer of its own).
    public var stripeCustomerID: String?
    /// The UTC day of the causing event's `created`, never earlier than the customer's previous movement in the currency.
    public var day: UTCDay
    public var kind: MRRMovementKind
    /// ISO 4217, upper-case.
    public var currency: String
    public var amountCents: Int64
    public var mrrBeforeCents: Int64
    public var mrrAfterCents: Int64
    /// The log position of the event that caused it.
    public var sourcePosition: Int64

    public init(
        stripeSubscriptionID: String, stripeCustomerID: String?, day: UTCDay, kind: MRRMovementKind,
        currency: String, amountCents: Int64, mrrBeforeCents: Int64, mrrAfterCents: Int64, sourcePosition: Int64
    ) {
        self.stripeSubscriptionID = stripeSubscriptionID
        self.stripeCustomerID = stripeCustomerID
        self.day = day
        self.kind = kind
        self.currency = currency
        self.amountCents = amountCents
        self.mrrBeforeCents = mrrBeforeCents
        self.mrrAfterCents = mrrAfterCents
        self.sourcePosition = sourcePosition
    }

    /// The order movements are stored and restored in: by position, then subscription, then kind.
    public static func logOrder(_ a: MRRMovement, _ b: MRRMovement) -> Bool {
        (a.sourcePosition, a.stripeSubscriptionID, a.kind.rawValue)
            < (b.sourcePosition, b.stripeSubscriptionID, b.kind.rawValue)
    }
}

/// One row of `public.mrr_daily`: one currency's MRR at the end of one day and that day's movements.
///
/// A row exists for each day and currency with at least one movement; the MRR of a day without a
/// row is that of the newest earlier row. `mrrCents` is the sum of every movement up to and
/// including the day, so the MRR at the end of a period minus that at its start is exactly the sum
/// of the period's movements.
public struct MRRDailyRow: Sendable, Hashable, Codable {
    public var day: UTCDay
    public var currency: String
    /// MRR at the end of the day.
    public var mrrCents: Int64
    /// Customers with MRR > 0 in the currency at the end of the day.
    public var activeCustomers: Int64
    /// The sums of the day's movements of each kind (signed: contraction and churn are ≤ 0).
    public var newCents: Int64 = 0
    public var expansionCents: Int64 = 0
    public var contractionCents: Int64 = 0
    public var churnCents: Int64 = 0
    public var reactivationCents: Int64 = 0
    /// How many `new`, `reactivation` and `churn` movements the day had (each is one customer's).
    public var newCustomers: Int64 = 0
    public var reactivatedCustomers: Int64 = 0
    public var churnedCustomers: Int64 = 0

    public init(day: UTCDay, currency: String, mrrCents: Int64 = 0, activeCustomers: Int64 = 0) {
        self.day = day
        self.currency = currency
        self.mrrCents = mrrCents
        self.activeCustomers = activeCustomers
    }

    /// The sum of the day's movements (net new MRR).
    public var netCents: Int64 { newCents + expansionCents + contractionCents + churnCents + reactivationCents }

    /// Adds one movement's amount and customer count to the day's kind totals.
    mutating func add(_ kind: MRRMovementKind, amount: Int64) {
        switch kind {
        case .new:
            newCents += amount
            newCustomers += 1
        case .expansion: expansionCents += amount
        case .contraction: contractionCents += amount
        case .churn:
            churnCents += amount
            churnedCustomers += 1
        case .reactivation:
            reactivationCents += amount
            reactivatedCustomers += 1
        }
    }
}
