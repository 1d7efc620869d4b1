extension HistoryGenerator.CustomerTimeline {
    typealias Rates = HistoryGenerator.LifecycleRates
    static let hour: Int64 = 3600
    static let day: Int64 = 86_400

    func periodEnd(from start: Int64) -> Int64 {
        HistoryGenerator.CivilTime.addingMonths(
            subscription.interval.months, to: start,
            anchorDay: HistoryGenerator.CivilTime.dayOfMonth(subscription.billingCycleAnchor))
    }

    func signUp(at time: Int64) {
        beginAPIRequest()
        let paid = subscription.plan != .free
        if paid && random.chance(Rates.trial) {
            startTrial(at: time)
            return
        }
        subscription.periodStart = time
        subscription.periodEnd = periodEnd(from: time)
        if paid && random.chance(Rates.coupon) { attachCoupon(at: time) }
        openInvoice(at: time, reason: "subscription_create")
        if !paid {
            subscription.status = .active
            emitSubscription(.subscriptionCreated, at: time)
            emitInvoice(.invoiceCreated, at: time)
            finalizeInvoice(at: time)
            settleZeroInvoice(at: time)
            startPeriod()
            return
        }
        // Stripe's default_incomplete flow: created `incomplete`, then activated once the first invoice is paid.
        emitSubscription(.subscriptionCreated, at: time)
        emitInvoice(.invoiceCreated, at: time)
        finalizeInvoice(at: time)
        if random.chance(Rates.initialPaymentFailure) {
            chargeInvoice(succeeds: false, at: time + Int64(random.int(in: 0...2)))
            if random.chance(Rates.incompleteRecovery) {
                schedule(.completeIncomplete, at: time + Int64(random.int(in: 600...(20 * 3600))))
            } else {
                schedule(.expireIncomplete, at: time + 23 * Self.hour)
            }
            return
        }
        subscription.defaultPaymentMethod = profile.card.paymentMethodID
        let paidAt = time + Int64(random.int(in: 0...2))
        chargeInvoice(succeeds: true, at: paidAt)
        activate(at: paidAt)
        startPeriod()
    }

    private func startTrial(at time: Int64) {
        let days = Int64([7, 14, 14, 30][random.int(in: 0...3)])
        let outcome = random.weighted(Rates.trialOutcomeWeights)
        trialOutcome = outcome == 0 ? .convert : outcome == 1 ? .cancel : .pause
        subscription.trialEndBehavior =
            switch trialOutcome {
            case .convert: "create_invoice"
            case .cancel: "cancel"
            case .pause: "pause"
            }
        subscription.status = .trialing
        subscription.trialStart = time
        subscription.trialEnd = time + days * Self.day
        subscription.periodStart = time
        subscription.periodEnd = time + days * Self.day
        subscription.billingCycleAnchor = time + days * Self.day
        // A trial starts with a $0 invoice that Stripe settles at once.
        openInvoice(at: time, reason: "subscription_create", amount: 0)
        emitSubscription(.subscriptionCreated, at: time)
        emitInvoice(.invoiceCreated, at: time)
        finalizeInvoice(at: time)
        settleZeroInvoice(at: time)
        schedule(.trialWillEnd, at: time + (days - 3) * Self.day)
        schedule(.endTrial, at: time + days * Self.day)
        if random.chance(Rates.planChangePerMonth) {
            schedule(.changePlan, at: time + Int64(random.int(in: 3600...Int(days * Self.day - 7200))))
        }
    }

    /// Moves `incomplete`/`past_due`/`paused` back to `active`, reporting the old status.
    func activate(at time: Int64, extra: HistoryGenerator.SubscriptionFields = []) {
        let previous = subscription
        subscription.status = .active
        emitSubscription(.subscriptionUpdated, previous: previous, changed: extra.union(.status), at: time)
    }

    /// Schedules the renewal at the period end and rolls the period's optional actions.
    func startPeriod() {
        let start = subscription.periodStart
        let end = subscription.periodEnd
        schedule(.renew, at: end)
        let span = end - start - 4 * Self.hour
        guard span > 0 else { return }
        let weight = min(Double(subscription.interval.months), Rates.yearlyMonthsWeight)
        func someTime() -> Int64 { start + 2 * Self.hour + random.int64(in: 0...span) }
        let freeBoost = subscription.plan == .free ? 2.0 : 1.0
        if random.chance(Rates.planChangePerMonth * weight * freeBoost) { schedule(.changePlan, at: someTime()) }
        if random.chance(Rates.cancelAtPeriodEndPerMonth * weight) {
            schedule(.requestCancellation, at: someTime())
        } else if random.chance(Rates.immediateCancelPerMonth * weight) {
            schedule(.cancelNow, at: someTime())
        }
        if subscription.plan != .free && random.chance(Rates.pauseCollectionPerMonth * weight) {
            schedule(.pauseCollection, at: someTime())
        }
        if subscription.plan != .free && random.chance(Rates.intervalChangePerMonth * weight) {
            schedule(.changeInterval, at: someTime())
        }
    }

    func trialWillEnd(at time: Int64) {
        guard subscription.status == .trialing else { return }
        beginAutomaticRequest()
        emitSubscription(.subscriptionTrialWillEnd, at: time)
    }

    func endTrial(at time: Int64) {
        guard subscription.status == .trialing else { return }
        beginAutomaticRequest()
        let previous = subscription
        switch trialOutcome {
        case .convert:
            subscription.status = .active
            subscription.periodStart = time
            subscription.periodEnd = periodEnd(from: time)
            openInvoice(at: time, reason: "subscription_cycle")
            emitSubscription(
                .subscriptionUpdated, previous: previous, changed: [.status, .currentPeriod, .latestInvoice], at: time)
            emitInvoice(.invoiceCreated, at: time)
            schedule(.attemptPayment, at: time + Self.hour)
            startPeriod()
        case .cancel:
            end(status: .canceled, reason: nil, at: time)
        case .pause:
            subscription.status = .paused
            emitSubscription(.subscriptionUpdated, previous: previous, changed: .status, at: time)
            emitSubscription(.subscriptionPaused, at: time)
            if random.chance(Rates.pausedResumed) {
                schedule(.resumeSubscription, at: time + random.int64(in: (2 * Self.day)...(30 * Self.day)))
            }
        }
    }

    func resumeSubscription(at time: Int64) {
        guard subscription.status == .paused else { return }
        beginAPIRequest()
        let previous = subscription
        subscription.status = .active
        subscription.billingCycleAnchor = time
        subscription.periodStart = time
        subscription.periodEnd = periodEnd(from: time)
        openInvoice(at: time, reason: "subscription_update")
        emitSubscription(.subscriptionResumed, at: time)
        emitSubscription(
            .subscriptionUpdated, previous: previous,
            changed: [.status, .currentPeriod, .billingCycleAnchor, .latestInvoice], at: time)
        emitInvoice(.invoiceCreated, at: time)
        schedule(.attemptPayment, at: time + 1)
        startPeriod()
    }

    func renew(at time: Int64) {
        guard subscription.status == .active || subscription.status == .pastDue else { return }
        beginAutomaticRequest()
        if subscription.cancelAtPeriodEnd {
            end(status: .canceled, reason: subscription.cancellationReason, at: time)
            return
        }
        let previous = subscription
        subscription.periodStart = time
        subscription.periodEnd = periodEnd(from: time)
        var changed: HistoryGenerator.SubscriptionFields = [.currentPeriod, .latestInvoice]
        if removeEndedDiscount(at: time) { changed.insert(.discount) }
        openInvoice(at: time, reason: "subscription_cycle")
        emitSubscription(.subscriptionUpdated, previous: previous, changed: changed, at: time)
        emitInvoice(.invoiceCreated, at: time)
        // Stripe finalizes and collects a renewal invoice about an hour after creating it.
        schedule(subscription.pauseCollectionActive ? .voidInvoice : .attemptPayment, at: time + Self.hour)
        startPeriod()
    }

    /// Ends the subscription: `customer.subscription.deleted` carries the final object.
    func end(status: HistoryGenerator.SubscriptionStatus, reason: StaticString?, at time: Int64) {
        subscription.status = status
        // A cancellation requested earlier keeps its request time, as Stripe does.
        subscription.canceledAt = subscription.canceledAt ?? time
        subscription.endedAt = time
        subscription.cancellationReason = reason
        invoice = nil
        payment = nil
        emitSubscription(.subscriptionDeleted, at: time)
        clearAgendaKeepingPaymentFollowUps()
    }

    func completeIncomplete(at time: Int64) {
        guard subscription.status == .incomplete, invoice != nil else { return }
        beginAPIRequest()
        chargeInvoice(succeeds: true, at: time)
        activate(at: time)
        startPeriod()
    }

    func expireIncomplete(at time: Int64) {
        guard subscription.status == .incomplete else { return }
        beginAutomaticRequest()
        end(status: .incompleteExpired, reason: nil, at: time)
    }
}
