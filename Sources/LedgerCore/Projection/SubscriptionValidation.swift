import Foundation

/// Everything besides a subscription's own snapshot that decides its row.
struct SubscriptionRules {
    /// The mapping in effect (``ProjectionState/mapping``).
    var mapping: ProjectionMapping
    /// What the mapping may ask `licenses`; nil when the runner gave none.
    var licenses: (any LicenseDirectory)?
    /// What `ledger correct` fixed for this subscription: each field outranks the mapping.
    var correction: SubscriptionCorrection?
}

/// Whether a subscription snapshot can become a row that satisfies the table's constraints.
enum SubscriptionValidation {
    /// The checked column values of a valid row.
    struct Fields {
        var licenseID: UUID
        var status: SubscriptionStatus
        var planType: PlanType
        var billingCycle: BillingCycle
        var amountCents: Int32
        var currency: String
    }

    case valid(Fields)
    case invalid(ParkReason)

    var reason: ParkReason? {
        switch self {
        case .valid: nil
        case .invalid(let reason): reason
        }
    }

    /// Checks every CHECK and NOT NULL the `subscriptions` table enforces, except the license's existence.
    static func validate(_ s: SubscriptionSnapshot, rules: SubscriptionRules) -> Self {
        if let problem = s.problem ?? ProjectedColumn.Subscriptions.stripeCustomerID.problem(storing: s.customerID) {
            return .invalid(problem)
        }
        guard let status = SubscriptionStatus(rawValue: s.status) else { return .invalid(.invalidStatus(s.status)) }
        let licenseID: UUID
        if let corrected = rules.correction?.licenseID {
            licenseID = corrected
        } else {
            switch rules.mapping.resolveLicense(s, licenses: rules.licenses) {
            case .success(let id): licenseID = id
            case .failure(let failure): return .invalid(failure.reason)
            }
        }
        let planType: PlanType
        if let corrected = rules.correction?.planType {
            planType = corrected
        } else {
            switch rules.mapping.resolvePlanType(s, license: licenseID, licenses: rules.licenses) {
            case .success(let plan): planType = plan
            case .failure(let failure): return .invalid(failure.reason)
            }
        }
        let cycle: BillingCycle
        switch billingCycle(s.items) {
        case .success(let value): cycle = value
        case .failure(let reason): return .invalid(reason.reason)
        }
        let amount: Int32
        switch amountCents(s.items) {
        case .success(let value): amount = value
        case .failure(let reason): return .invalid(reason.reason)
        }
        // Invariant: one row has one currency; Stripe never mixes them within a subscription.
        let itemCurrencies = Set(s.items.compactMap { $0.currency?.lowercased() })
        guard itemCurrencies.count <= 1 else { return .invalid(.mixedCurrencies) }
        guard let currency = s.currency, currency.utf8.count == 3, currency.utf8.allSatisfy(Self.isLetter) else {
            return .invalid(.invalidCurrency(s.currency ?? ""))
        }
        return .valid(
            Fields(
                licenseID: licenseID, status: status, planType: planType, billingCycle: cycle, amountCents: amount,
                currency: currency.uppercased()))
    }

    /// A ``ParkReason`` as an `Error`, so the helpers can return `Result`.
    struct Failure: Error {
        let reason: ParkReason
    }

    /// The one interval all items bill on, with its `interval_count` (absent means 1).
    static func billingCycle(_ items: [SubscriptionSnapshot.Item]) -> Result<BillingCycle, Failure> {
        guard let first = items.first else { return .failure(Failure(reason: .missingField("items.data"))) }
        guard items.allSatisfy({ $0.interval == first.interval && $0.intervalCount == first.intervalCount }) else {
            return .failure(Failure(reason: .mixedIntervals))
        }
        guard let interval = first.interval else {
            return .failure(Failure(reason: .missingField("items.data[].price.recurring.interval")))
        }
        guard let cycle = BillingCycle(stripeInterval: interval, count: first.intervalCount ?? 1) else {
            let count = first.intervalCount.map { $0 == 1 ? "" : " × \($0)" } ?? ""
            return .failure(Failure(reason: .unsupportedInterval(interval + count)))
        }
        return .success(cycle)
    }

    /// Σ unit amount × quantity, refusing negative values and values the INTEGER column cannot hold.
    static func amountCents(_ items: [SubscriptionSnapshot.Item]) -> Result<Int32, Failure> {
        var total: Int64 = 0
        for item in items {
            guard let unit = item.unitAmount else { return .failure(Failure(reason: .missingUnitAmount)) }
            guard unit >= 0 else { return .failure(Failure(reason: .negativeAmount(unit))) }
            guard item.quantity >= 0 else { return .failure(Failure(reason: .negativeAmount(item.quantity))) }
            let (product, overflow) = unit.multipliedReportingOverflow(by: item.quantity)
            let (sum, overflow2) = total.addingReportingOverflow(product)
            guard !overflow, !overflow2 else { return .failure(Failure(reason: .amountOutOfRange(Int64.max))) }
            total = sum
        }
        guard let amount = Int32(exactly: total) else { return .failure(Failure(reason: .amountOutOfRange(total))) }
        return .success(amount)
    }

    static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
    }
}
