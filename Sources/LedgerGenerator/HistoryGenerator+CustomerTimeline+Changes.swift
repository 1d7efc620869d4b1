extension HistoryGenerator.CustomerTimeline {
    static let feedbacks: [StaticString] = [
        "too_expensive", "unused", "switched_service", "missing_features", "low_quality", "other",
    ]

    /// An upgrade, downgrade or seat change: one `customer.subscription.updated` whose previous attributes hold the old items.
    func changePlan(at time: Int64) {
        guard subscription.status == .active || subscription.status == .trialing else { return }
        beginAPIRequest()
        let previous = subscription
        let tier = subscription.plan.tier
        let roll = random.unit()
        if tier == 0 || (roll < 0.55 && tier < 3) {
            subscription.plan = HistoryGenerator.Plan.byTier(tier + (tier == 0 ? random.int(in: 1...2) : 1))
        } else if roll < 0.85 || subscription.quantity == 1 && tier < 2 {
            subscription.plan = HistoryGenerator.Plan.byTier(tier - 1)
        } else {
            let delta = random.int(in: 1...3) * (random.chance(0.6) ? 1 : -1)
            subscription.quantity = max(1, subscription.quantity + delta)
        }
        if subscription.plan.tier < 2 && subscription.quantity > 1 { subscription.quantity = 1 }
        var changed: HistoryGenerator.SubscriptionFields = .items
        // The application keeps `plan_type` in step with the price, so metadata changes with the plan.
        if previous.plan != subscription.plan { changed.insert(.metadata) }
        if previous.plan == subscription.plan && previous.quantity == subscription.quantity { return }
        emitSubscription(.subscriptionUpdated, previous: previous, changed: changed, at: time)
    }

    func requestCancellation(at time: Int64) {
        guard subscription.status == .active, !subscription.cancelAtPeriodEnd else { return }
        beginAPIRequest()
        let previous = subscription
        subscription.cancelAtPeriodEnd = true
        subscription.cancelAt = subscription.periodEnd
        subscription.canceledAt = time
        subscription.cancellationReason = "cancellation_requested"
        subscription.cancellationFeedback =
            random.chance(0.6) ? Self.feedbacks[random.int(in: 0...(Self.feedbacks.count - 1))] : nil
        emitSubscription(.subscriptionUpdated, previous: previous, changed: .cancellation, at: time)
        let remaining = subscription.periodEnd - time - 2 * Self.hour
        if remaining > Self.hour && random.chance(Rates.cancellationWithdrawn) {
            schedule(.withdrawCancellation, at: time + Self.hour + random.int64(in: 0...remaining))
        }
    }

    func withdrawCancellation(at time: Int64) {
        guard subscription.status == .active, subscription.cancelAtPeriodEnd else { return }
        beginAPIRequest()
        let previous = subscription
        subscription.cancelAtPeriodEnd = false
        subscription.cancelAt = nil
        subscription.canceledAt = nil
        subscription.cancellationReason = nil
        subscription.cancellationFeedback = nil
        emitSubscription(.subscriptionUpdated, previous: previous, changed: .cancellation, at: time)
    }

    func cancelNow(at time: Int64) {
        guard subscription.status == .active || subscription.status == .pastDue else { return }
        beginAPIRequest()
        subscription.cancellationFeedback =
            random.chance(0.5) ? Self.feedbacks[random.int(in: 0...(Self.feedbacks.count - 1))] : nil
        let refundable = lastPayment
        end(status: .canceled, reason: "cancellation_requested", at: time)
        if let refundable, refundable.amountRefunded == 0, random.chance(Rates.refundOnCancel) {
            schedule(.refund(refundable), at: time + random.int64(in: 60...Self.hour))
        }
    }

    /// Pauses collection (status stays `active`); renewals during the pause are voided.
    func pauseCollection(at time: Int64) {
        guard subscription.status == .active, !subscription.pauseCollectionActive, !subscription.cancelAtPeriodEnd
        else { return }
        beginAPIRequest()
        let previous = subscription
        subscription.pauseCollectionActive = true
        let months = random.int(in: 1...2) * subscription.interval.months
        let resumesAt = HistoryGenerator.CivilTime.addingMonths(
            months, to: time, anchorDay: HistoryGenerator.CivilTime.dayOfMonth(time))
        subscription.pauseResumesAt = resumesAt
        emitSubscription(.subscriptionUpdated, previous: previous, changed: .pauseCollection, at: time)
        schedule(.resumeCollection, at: resumesAt)
    }

    func resumeCollection(at time: Int64) {
        guard subscription.pauseCollectionActive, !subscription.isTerminal else { return }
        beginAutomaticRequest()
        let previous = subscription
        subscription.pauseCollectionActive = false
        subscription.pauseResumesAt = nil
        emitSubscription(.subscriptionUpdated, previous: previous, changed: .pauseCollection, at: time)
    }
}
