extension HistoryGenerator.CustomerTimeline {
    typealias Refund = HistoryGenerator.Refund
    typealias PaymentState = HistoryGenerator.PaymentState
    typealias Dispute = HistoryGenerator.Dispute
    static let disputeReasons: [StaticString] = [
        "fraudulent", "product_not_received", "subscription_canceled", "general",
    ]

    // MARK: Refunds

    /// Refunds all or part of a payment, reported by `charge.refunded` (cumulative `amount_refunded`), by the
    /// Refund object's own events, or by both in either order, as Stripe's endpoints variously receive them.
    func refund(_ paid: PaymentState, at time: Int64) {
        // Invariant: a payment is refunded or disputed at most once, so refunds never exceed what was paid.
        guard adjustedPayments.insert(paid.paymentIntentID).inserted else { return }
        beginAPIRequest()
        let amount = random.chance(0.5) ? paid.amount : max(1, paid.amount / Int64(random.int(in: 2...4)))
        let report = random.int(in: 0...3)
        var refund = Refund(
            id: random.identifier("re_", count: 24), amount: amount, created: time,
            balanceTransaction: random.identifier("txn_", count: 24))
        // Only a refund whose object is reported may start pending: `charge.refunded` alone must tell the end state.
        refund.succeeded = report == 0 || !random.chance(Rates.refundPending)
        var refunded = paid
        refunded.refunds.append(refund)
        let chargeEvent = HistoryGenerator.Payload.charge(refunded, previous: paid)
        let objectEvent = HistoryGenerator.Payload.refund(refund, refunded, previous: nil)
        switch report {
        case 0: emit(.chargeRefunded, chargeEvent, at: time)
        case 1: emit(.refundCreated, objectEvent, at: time)
        case 2:
            emit(.chargeRefunded, chargeEvent, at: time)
            emit(.refundCreated, objectEvent, at: time)
        default:
            emit(.refundCreated, objectEvent, at: time)
            emit(.chargeRefunded, chargeEvent, at: time)
        }
        if !refund.succeeded {
            schedule(.settleRefund(refund, refunded), at: time + random.int64(in: 600...(2 * Self.day)))
        }
    }

    /// A pending refund succeeds: `refund.updated` (`charge.refund.updated` in the pre-2025 shapes).
    func settleRefund(_ pending: Refund, of payment: PaymentState, at time: Int64) {
        beginAutomaticRequest()
        var settled = pending
        settled.succeeded = true
        var updated = payment
        updated.refunds = payment.refunds.map { $0.id == settled.id ? settled : $0 }
        emit(
            legacy ? .chargeRefundUpdated : .refundUpdated, .refund(settled, updated, previous: pending), at: time)
    }

    // MARK: Disputes

    /// The cardholder disputes a payment: the disputed amount is withdrawn at once.
    func openDispute(_ paid: PaymentState, at time: Int64) {
        guard adjustedPayments.insert(paid.paymentIntentID).inserted else { return }
        beginAutomaticRequest()
        let reason = Self.disputeReasons[random.int(in: 0...(Self.disputeReasons.count - 1))]
        let dispute = Dispute(id: random.identifier("dp_", count: 24), payment: paid, created: time, reason: reason)
        emit(.disputeCreated, .dispute(dispute, previous: nil), at: time)
        emit(.disputeFundsWithdrawn, .dispute(dispute, previous: nil), at: time)
        if random.chance(Rates.disputeContested) {
            schedule(.submitEvidence(dispute), at: time + random.int64(in: (Self.day)...(7 * Self.day)))
        } else {
            // Unanswered by `evidence_details.due_by`, the dispute is lost.
            var lost = dispute
            lost.status = .lost
            schedule(.closeDispute(lost), at: time + 14 * Self.day + random.int64(in: 0...Self.day))
        }
    }

    func submitEvidence(_ dispute: Dispute, at time: Int64) {
        beginAPIRequest()
        var reviewed = dispute
        reviewed.status = .underReview
        reviewed.evidenceSubmitted = true
        emit(.disputeUpdated, .dispute(reviewed, previous: dispute), at: time)
        var closed = reviewed
        closed.status = random.chance(Rates.disputeWonWhenContested) ? .won : .lost
        schedule(.closeDispute(closed), at: time + random.int64(in: (20 * Self.day)...(60 * Self.day)))
    }

    /// The bank's decision; a won dispute's funds come back.
    func closeDispute(_ dispute: Dispute, at time: Int64) {
        beginAutomaticRequest()
        emit(.disputeClosed, .dispute(dispute, previous: nil), at: time)
        if dispute.status == .won { emit(.disputeFundsReinstated, .dispute(dispute, previous: nil), at: time) }
    }

    // MARK: Coupons

    /// Redeems one of the catalog's coupons for this subscription's currency, from now.
    func attachCoupon(at time: Int64) {
        let usable = coupons.filter { $0.currency == nil || $0.currency == subscription.currency }
        guard !usable.isEmpty else { return }
        let coupon = usable[random.int(in: 0...(usable.count - 1))]
        let end = coupon.durationInMonths.map {
            HistoryGenerator.CivilTime.addingMonths(
                $0, to: time, anchorDay: HistoryGenerator.CivilTime.dayOfMonth(time))
        }
        subscription.discount = HistoryGenerator.Discount(
            id: random.identifier("di_", count: 24), coupon: coupon, start: time,
            end: coupon.duration == .repeating ? end : nil, expanded: random.chance(Rates.discountExpanded))
    }

    /// Whether `discount` lowers the invoice of the current period, opened at `time`: `forever` always,
    /// `repeating` until its end, `once` only on the period it was redeemed in.
    func discountApplies(_ discount: HistoryGenerator.Discount, at time: Int64) -> Bool {
        switch discount.coupon.duration {
        case .forever: true
        case .repeating: discount.end.map { time < $0 } ?? true
        case .once: subscription.periodStart <= discount.start
        }
    }

    /// Removes a discount that no longer applies (Stripe deletes it once used up); true when it did.
    func removeEndedDiscount(at time: Int64) -> Bool {
        guard let discount = subscription.discount, !discountApplies(discount, at: time) else { return false }
        subscription.discount = nil
        return true
    }

    // MARK: Intervals

    /// Moves a paid subscription to another interval: a new billing period starts now, invoiced at once.
    func changeInterval(at time: Int64) {
        guard subscription.status == .active, !subscription.pauseCollectionActive, !subscription.cancelAtPeriodEnd,
            invoice == nil
        else { return }
        beginAPIRequest()
        let previous = subscription
        let others = HistoryGenerator.Interval.allCases.filter { $0 != subscription.interval }
        subscription.interval = others[random.int(in: 0...(others.count - 1))]
        subscription.billingCycleAnchor = time
        subscription.periodStart = time
        subscription.periodEnd = periodEnd(from: time)
        var changed: HistoryGenerator.SubscriptionFields = [
            .items, .currentPeriod, .billingCycleAnchor, .latestInvoice,
        ]
        if removeEndedDiscount(at: time) { changed.insert(.discount) }
        cancelScheduledRenewal()
        openInvoice(at: time, reason: "subscription_update")
        emitSubscription(.subscriptionUpdated, previous: previous, changed: changed, at: time)
        emitInvoice(.invoiceCreated, at: time)
        schedule(.attemptPayment, at: time + 1)
        startPeriod()
    }
}
