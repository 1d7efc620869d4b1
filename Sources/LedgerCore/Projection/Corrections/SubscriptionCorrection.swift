import Foundation

/// What `ledger correct` has fixed for one subscription; each field set outranks what the mapping finds.
///
/// Each field keeps the newest correction of it by log position, a withdrawal included, so a replay in log
/// order and one from a snapshot keep the same one.
public struct SubscriptionCorrection: Sendable, Hashable {
    /// The newest license correction: an assignment or its withdrawal.
    public internal(set) var licenseCorrection: AppliedCorrection?
    /// The newest plan-type correction: an override or its withdrawal.
    public internal(set) var planTypeCorrection: AppliedCorrection?
    /// The newest `exclude` or `include`.
    public internal(set) var exclusion: AppliedCorrection?

    public init() {}

    /// The license assigned by a correction, whatever the subscription's metadata says.
    public var licenseID: UUID? {
        if case .license(let id) = licenseCorrection?.correction.fact { return id }
        return nil
    }

    /// The plan type a correction overrides.
    public var planType: PlanType? {
        if case .planType(let plan) = planTypeCorrection?.correction.fact { return plan }
        return nil
    }

    /// Whether the subscription is excluded from the billing tables.
    public var isExcluded: Bool { exclusion?.correction.fact == .excluded }

    /// The corrections that still set something, in log order.
    public var inEffect: [AppliedCorrection] {
        [licenseCorrection, planTypeCorrection, exclusion].compactMap { $0 }.filter(\.isInEffect).sorted {
            $0.position < $1.position
        }
    }
}

/// What `ledger correct` has recorded for one payment: its exclusion and its out-of-band refunds.
public struct PaymentCorrection: Sendable, Hashable {
    /// The newest `exclude` or `include`.
    public internal(set) var exclusion: AppliedCorrection?
    /// Every out-of-band refund, by log position: they add up, and one event counts once.
    public internal(set) var refunds: [Int64: AppliedCorrection] = [:]

    public init() {}

    /// Whether the payment is excluded from the billing tables.
    public var isExcluded: Bool { exclusion?.correction.fact == .excluded }

    /// The sum of the out-of-band refunds, before the cap at the payment's amount.
    public var refundedCents: Int64 {
        refunds.values.reduce(0) {
            if case .refund(let cents) = $1.correction.fact { return $0 &+ cents }
            return $0
        }
    }

    /// The corrections that still set something, in log order.
    public var inEffect: [AppliedCorrection] {
        ([exclusion].compactMap { $0 } + refunds.values).filter(\.isInEffect).sorted { $0.position < $1.position }
    }
}
