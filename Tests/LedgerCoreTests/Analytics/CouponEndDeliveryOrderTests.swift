import Foundation
import LedgerCore
import Testing

/// A coupon that ends (issue 15 point 6), in both API shapes and in every delivery order: a
/// `repeating` coupon lowers MRR for its months and MRR is back at the list amount from the first event after
/// its end, whichever order the webhooks arrive in. ``MRRDiscountTests`` checks the movements in log order.
@Suite struct CouponEndDeliveryOrderTests {
    typealias D = MRRDiscountTests
    typealias P = PaymentLifecycleTests

    static let amount = 5000
    static let amountOff = 1000

    /// The customer's MRR once `envelopes` are delivered in `order` (positions in delivery order).
    static func mrr(_ envelopes: [[String: Any]], order: [Int]) throws -> Int64? {
        try D.project(order.map { envelopes[$0] }).mrr.movements.last.map { Int64($0.mrrAfterCents) }
    }

    @Test(arguments: D.Shape.allCases)
    func aRepeatingCouponLowersMRRForItsMonthsAndEndsInEveryDeliveryOrder(_ shape: D.Shape) throws {
        let t0 = D.t0
        let end = t0 + 90 * D.day
        let off = D.discount(
            shape, coupon: D.coupon(amountOff: Self.amountOff, duration: "repeating", months: 3), start: t0, end: end)
        let during = [
            try D.event(shape, "customer.subscription.created", at: t0, amount: Self.amount, discounts: [off]),
            try D.event(shape, at: t0 + 30 * D.day, amount: Self.amount, discounts: [off]),
            try D.event(shape, at: t0 + 60 * D.day, amount: Self.amount, discounts: [off]),
        ]
        for order in P.permutations(Array(during.indices)) {
            #expect(try Self.mrr(during, order: order) == Int64(Self.amount - Self.amountOff), "order \(order)")
        }
        // The renewal after the end still names the discount, then Stripe drops it: full price either way.
        let after = [
            try D.event(shape, at: end + 1, amount: Self.amount, discounts: [off]),
            try D.event(shape, at: end + 2, amount: Self.amount),
        ]
        let all = during + after
        for order in P.permutations(Array(all.indices)) {
            #expect(try Self.mrr(all, order: order) == Int64(Self.amount), "order \(order)")
        }
        for last in after.indices {
            let ended = during + [after[last]]
            for order in P.permutations(Array(ended.indices)) {
                #expect(try Self.mrr(ended, order: order) == Int64(Self.amount), "order \(order), ended by \(last)")
            }
        }
    }
}
