/// The MRR movements a billing projection implies: a pure reducer fed with the projection's own
/// subscription rows, one changed row at a time, in log order.
///
/// Movements are about the customer's MRR per currency (ChartMogul's definitions, docs/0006-mrr.md):
/// `new` the first time it rises above 0, `reactivation` when it does so again after a `churn`
/// (a fall to 0), `expansion`/`contraction` for changes that keep it above 0. Each movement is
/// attributed to the subscription whose row changed. A subscription that changes currency (or
/// customer) leaves the old one (a negative movement there) and enters the new one.
///
/// Invariants: every movement's amount is a difference of two integer contributions
/// (``MRRContribution``), so the customer's MRR is always the sum of its subscriptions'
/// contributions and of its movements; a customer's movements in a currency never go back in
/// time (a late event is dated on the newest day already used), so the daily rows' running sums
/// are each customer's MRR at the end of the day and never negative. The whole state is a
/// function of ``movements`` (see ``init(restoring:)``), which is what a snapshot stores.
public struct MRRLedger: Sendable {
    /// Who a movement's customer is: the Stripe customer, or the subscription itself when it names none.
    enum CustomerKey: Hashable, Sendable {
        case customer(String)
        case subscription(String)

        init(customerID: String?, subscriptionID: String) {
            self = customerID.map(CustomerKey.customer) ?? .subscription(subscriptionID)
        }
    }

    struct Account: Hashable, Sendable {
        var customer: CustomerKey
        var currency: String
    }

    /// What a subscription adds to its customer's MRR now; kept only while > 0.
    struct Contribution: Hashable, Sendable {
        var account: Account
        var customerID: String?
        var cents: Int64
    }

    /// A customer's MRR in one currency; present once it has had a movement.
    struct Standing: Hashable, Sendable {
        var mrrCents: Int64
        var lastDay: UTCDay
    }

    /// Every movement so far, in log order (``MRRMovement/logOrder(_:_:)``).
    public private(set) var movements: [MRRMovement] = []
    var contributions: [String: Contribution] = [:]
    var standings: [Account: Standing] = [:]
    /// Per currency, per day: the day's kind totals (``MRRDailyRow/mrrCents`` and customers unset).
    var days: [String: [UTCDay: MRRDailyRow]] = [:]
    /// Movements before this index have been taken by ``takeChanges()``.
    var takenMovements = 0
    /// Per currency, the earliest day whose daily row changed since the last ``takeChanges()``.
    var changedFrom: [String: UTCDay] = [:]

    /// An empty ledger.
    public init() {}

    /// Takes note of `row` (with the `discounts` of the event it derives from) as it is after the event at
    /// `position`; records the movements its change implies.
    public mutating func observe(_ row: SubscriptionRow, discounts: [SubscriptionDiscount] = [], position: Int64) {
        let id = row.stripeSubscriptionID
        let cents = MRRContribution.monthlyCents(of: row, discounts: discounts)
        let account = Account(
            customer: CustomerKey(customerID: row.stripeCustomerID, subscriptionID: id), currency: row.currency)
        let old = contributions[id]
        if old?.account == account && old?.cents == cents || old == nil && cents == 0 { return }
        let eventDay = UTCDay(row.updatedAt)
        if let old, old.account == account {
            record(id, old.customerID, account, delta: cents - old.cents, position: position, eventDay: eventDay)
        } else {
            if let old {
                record(id, old.customerID, old.account, delta: -old.cents, position: position, eventDay: eventDay)
            }
            if cents > 0 {
                record(id, row.stripeCustomerID, account, delta: cents, position: position, eventDay: eventDay)
            }
        }
        contributions[id] =
            cents > 0 ? Contribution(account: account, customerID: row.stripeCustomerID, cents: cents) : nil
    }

    /// The subscription has no row any more (a correction excluded it, a mapping or a withdrawn correction left
    /// it without a license or plan): whatever it contributed stops on `day`, at `position`.
    public mutating func observeNoRow(subscriptionID id: String, position: Int64, day: UTCDay) {
        guard let old = contributions.removeValue(forKey: id) else { return }
        record(id, old.customerID, old.account, delta: -old.cents, position: position, eventDay: day)
    }

    /// Records one change of `account`'s MRR, classified by the customer's MRR before and after it.
    private mutating func record(
        _ subscriptionID: String, _ customerID: String?, _ account: Account, delta: Int64, position: Int64,
        eventDay: UTCDay
    ) {
        let standing = standings[account]
        let before = standing?.mrrCents ?? 0
        let after = before + delta
        precondition(after >= 0, "a customer's MRR is a sum of non-negative contributions")
        let movement = MRRMovement(
            stripeSubscriptionID: subscriptionID, stripeCustomerID: customerID,
            day: max(eventDay, standing?.lastDay ?? eventDay),
            kind: Self.kind(before: before, after: after, hadMovement: standing != nil), currency: account.currency,
            amountCents: delta, mrrBeforeCents: before, mrrAfterCents: after, sourcePosition: position)
        append(movement, account: account)
    }

    /// The movement's kind: what the customer's MRR did.
    static func kind(before: Int64, after: Int64, hadMovement: Bool) -> MRRMovementKind {
        if after > before { return before > 0 ? .expansion : hadMovement ? .reactivation : .new }
        return after > 0 ? .contraction : .churn
    }

    /// Appends a movement and updates the customer's standing and the day's totals.
    private mutating func append(_ movement: MRRMovement, account: Account) {
        standings[account] = Standing(mrrCents: movement.mrrAfterCents, lastDay: movement.day)
        days[movement.currency, default: [:]][
            movement.day, default: MRRDailyRow(day: movement.day, currency: movement.currency)
        ]
        .add(movement.kind, amount: movement.amountCents)
        changedFrom[movement.currency] = min(changedFrom[movement.currency] ?? movement.day, movement.day)
        movements.append(movement)
    }
}

extension MRRLedger {
    /// What to write after some events: the new movements, and every daily row on or after the
    /// earliest day that changed (a late movement shifts the MRR of all later days).
    public struct Changes: Sendable, Equatable {
        public var movements: [MRRMovement]
        public var dailyRows: [MRRDailyRow]

        public init(movements: [MRRMovement], dailyRows: [MRRDailyRow]) {
            self.movements = movements
            self.dailyRows = dailyRows
        }
    }

    /// The movements and daily rows changed since the last call, and resets them.
    public mutating func takeChanges() -> Changes {
        let new = Array(movements[takenMovements...])
        var rows: [MRRDailyRow] = []
        for currency in changedFrom.keys.sorted() {
            guard let from = changedFrom[currency] else { continue }
            rows += dailyRows(currency: currency).filter { $0.day >= from }
        }
        takenMovements = movements.count
        changedFrom = [:]
        return Changes(movements: new, dailyRows: rows)
    }

    /// Every daily row, by currency then day.
    public func dailyRows() -> [MRRDailyRow] {
        days.keys.sorted().flatMap { dailyRows(currency: $0) }
    }

    /// One currency's daily rows by day, with the running MRR and active customers filled in.
    func dailyRows(currency: String) -> [MRRDailyRow] {
        guard let byDay = days[currency] else { return [] }
        var mrr: Int64 = 0
        var active: Int64 = 0
        return byDay.keys.sorted().compactMap { day in
            guard var row = byDay[day] else { return nil }
            mrr += row.netCents
            active += row.newCustomers + row.reactivatedCustomers - row.churnedCustomers
            row.mrrCents = mrr
            row.activeCustomers = active
            return row
        }
    }

    /// MRR now, per currency: the sum of every movement, and of every subscription's contribution.
    public var mrrCentsByCurrency: [String: Int64] {
        var totals: [String: Int64] = [:]
        for (account, standing) in standings { totals[account.currency, default: 0] += standing.mrrCents }
        return totals
    }

    /// Customers with MRR > 0 now, per currency.
    public var activeCustomersByCurrency: [String: Int] {
        var counts: [String: Int] = [:]
        for (account, standing) in standings where standing.mrrCents > 0 { counts[account.currency, default: 0] += 1 }
        return counts
    }
}

/// Movements that cannot have come from this reducer (a snapshot is checked twice: digest, then this).
public struct MRRRestoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public var position: Int64
    public var detail: String

    public var description: String { "MRR movement at position \(position): \(detail)" }
}

extension MRRLedger {
    /// Restores the ledger from its movements in log order, checking each against the state the earlier
    /// ones give: the customer's MRR before it, its kind, its day, the subscription's contribution.
    public init(restoring movements: some Sequence<MRRMovement>) throws(MRRRestoreError) {
        self.init()
        var previous: MRRMovement?
        for movement in movements {
            func fail(_ detail: String) -> MRRRestoreError {
                MRRRestoreError(position: movement.sourcePosition, detail: detail)
            }
            if let previous, !MRRMovement.logOrder(previous, movement) { throw fail("out of log order") }
            previous = movement
            let id = movement.stripeSubscriptionID
            let account = Account(
                customer: CustomerKey(customerID: movement.stripeCustomerID, subscriptionID: id),
                currency: movement.currency)
            let standing = standings[account]
            let before = standing?.mrrCents ?? 0
            guard movement.mrrBeforeCents == before, movement.amountCents != 0,
                movement.mrrAfterCents == before + movement.amountCents, movement.mrrAfterCents >= 0
            else { throw fail("does not continue the customer's MRR of \(before)") }
            guard
                movement.kind == Self.kind(before: before, after: movement.mrrAfterCents, hadMovement: standing != nil)
            else { throw fail("kind \(movement.kind.rawValue) does not match the MRR change") }
            if let lastDay = standing?.lastDay, movement.day < lastDay { throw fail("goes back in time") }
            var contribution =
                contributions[id] ?? Contribution(account: account, customerID: movement.stripeCustomerID, cents: 0)
            guard contribution.account == account else { throw fail("subscription is counted in another account") }
            contribution.cents += movement.amountCents
            guard contribution.cents >= 0 else { throw fail("subscription's contribution would be negative") }
            contributions[id] = contribution.cents > 0 ? contribution : nil
            append(movement, account: account)
        }
        takenMovements = self.movements.count
        changedFrom = [:]
    }
}
