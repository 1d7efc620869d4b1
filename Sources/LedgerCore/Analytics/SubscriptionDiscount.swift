/// One discount on a subscription, as the subscription event carried it: what MRR needs to value it.
///
/// Read from the subscription's `discount` (API versions before 2025-03-31, the coupon expanded) and
/// `discounts` (ids, or objects whose coupon is `coupon` or, from 2025-03-31, `source.coupon`). A discount
/// named only by id, or whose coupon is an id, cannot be valued from the event: it has no ``value`` and
/// MRR ignores it (docs/0006-mrr.md).
public struct SubscriptionDiscount: Sendable, Hashable {
    /// The coupon's `duration`.
    public enum Duration: String, Sendable, Hashable, CaseIterable {
        case once, repeating, forever
    }

    /// What the coupon takes off each invoice.
    public enum Value: Sendable, Hashable {
        /// Stripe's `percent_off` × 10 000, so 25.5 % is 255 000 (parts per million of the amount).
        case percentOff(partsPerMillion: Int64)
        /// `amount_off` in `currency`'s minor unit (lower-case, as Stripe writes it), off each invoice.
        case amountOff(cents: Int64, currency: String)
    }

    /// The discount's id (`di_…`), else its coupon's.
    public var id: String
    /// nil when the event names the discount or its coupon only by id, or the coupon's value is unreadable.
    public var value: Value?
    /// nil when the coupon is not in the event or its duration is not one of Stripe's three.
    public var duration: Duration?
    /// The discount's `start` and `end` (Unix seconds); a repeating coupon ends at `end`.
    public var start: Int64?
    public var end: Int64?

    public init(id: String, value: Value?, duration: Duration?, start: Int64? = nil, end: Int64? = nil) {
        self.id = id
        self.value = value
        self.duration = duration
        self.start = start
        self.end = end
    }

    /// Parts per million in 100 %.
    public static let wholePartsPerMillion: Int64 = 1_000_000

    /// Whether the discount lowers the invoice of the period that starts at `periodStart`, as of an event
    /// created at `time`: `forever` always; `repeating` before its `end`; `once` only in the period it
    /// started in (its one invoice). Unvalued discounts never apply.
    public func applies(at time: Int64, periodStart: Int64?) -> Bool {
        guard value != nil, let duration else { return false }
        switch duration {
        case .forever: return true
        case .repeating: return end.map { time < $0 } ?? true
        case .once:
            guard let start, let periodStart else { return true }
            return start >= periodStart
        }
    }

    /// `cents` (one invoice's amount in `currency`) after this discount, never below 0. A percentage
    /// rounds to the nearest unit, halves up; an amount off in another currency takes nothing off.
    func discounted(_ cents: Int64, currency: String) -> Int64 {
        switch value {
        case .percentOff(let partsPerMillion)?:
            let kept = Self.wholePartsPerMillion - min(max(partsPerMillion, 0), Self.wholePartsPerMillion)
            return (cents * kept + Self.wholePartsPerMillion / 2) / Self.wholePartsPerMillion
        case .amountOff(let off, let discountCurrency)?:
            guard discountCurrency.lowercased() == currency.lowercased() else { return cents }
            return max(cents - max(off, 0), 0)
        case nil:
            return cents
        }
    }
}
