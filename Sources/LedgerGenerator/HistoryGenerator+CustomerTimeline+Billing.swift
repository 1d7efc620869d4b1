extension HistoryGenerator.CustomerTimeline {
    static let declineCodes: [StaticString] = ["generic_decline", "insufficient_funds", "expired_card", "do_not_honor"]

    /// Creates the draft invoice for the current period and makes it the subscription's latest invoice.
    func openInvoice(at time: Int64, reason: StaticString, amount: Int64? = nil) {
        invoiceCount += 1
        let price = subscription.plan.unitAmount(subscription.interval)
        let listAmount = amount ?? price * Int64(subscription.quantity)
        // Only a billed period's invoice is discounted; a trial's $0 invoice has nothing to take off.
        let discount = subscription.discount.flatMap { amount == nil && discountApplies($0, at: time) ? $0 : nil }
        let discountAmount = discount?.coupon.discount(of: listAmount) ?? 0
        let sequence =
            invoiceCount < 10 ? "000\(invoiceCount)" : invoiceCount < 100 ? "00\(invoiceCount)" : "0\(invoiceCount)"
        invoice = HistoryGenerator.InvoiceState(
            id: random.identifier("in_", count: 24), number: profile.invoicePrefix + "-" + sequence,
            lineID: random.identifier("il_", count: 24), customerID: profile.customerID,
            customerEmail: profile.email, customerName: profile.name, subscriptionID: subscription.id,
            subscriptionItemID: subscription.itemID, plan: subscription.plan, interval: subscription.interval,
            quantity: subscription.quantity, currency: subscription.currency,
            amount: listAmount - discountAmount, billingReason: reason, created: time,
            periodStart: subscription.periodStart, periodEnd: subscription.periodEnd, discountAmount: discountAmount,
            discountID: discount?.id)
        payment = nil
        failedAttempts = 0
        subscription.latestInvoiceID = invoice?.id
    }

    func emitInvoice(_ type: HistoryGenerator.EventType, at time: Int64) {
        guard let invoice else { return }
        emit(type, .invoice(invoice), at: time)
    }

    func finalizeInvoice(at time: Int64) {
        invoice?.status = .open
        invoice?.finalizedAt = time
        emitInvoice(.invoiceFinalized, at: time)
    }

    /// A $0 invoice is paid on finalization without any payment intent.
    func settleZeroInvoice(at time: Int64) {
        invoice?.status = .paid
        invoice?.paidAt = time
        emitInvoice(.invoicePaid, at: time)
        emitInvoice(.invoicePaymentSucceeded, at: time)
        invoice = nil
    }

    /// One collection attempt on the open invoice: a new charge on the invoice's payment intent.
    func chargeInvoice(succeeds: Bool, at time: Int64, nextAttempt: Int64? = nil) {
        guard var invoice else { return }
        if payment == nil {
            payment = HistoryGenerator.PaymentState(
                paymentIntentID: random.identifier("pi_", count: 24),
                invoiceID: invoice.id, invoicePaymentID: random.identifier("inpay_", count: 24),
                customerID: profile.customerID, amount: invoice.amount, currency: invoice.currency, created: time,
                card: profile.card, description: invoiceCount == 1 ? "Subscription creation" : "Subscription update",
                chargeID: "", chargeCreated: 0, balanceTransaction: "", succeeded: false, riskScore: 0)
            invoice.paymentIntentID = payment?.paymentIntentID
            self.invoice = invoice
            emitPayment(.paymentIntentCreated, at: time)
        }
        guard var payment else { return }
        payment.chargeID = random.identifier("ch_", count: 24)
        payment.chargeCreated = time
        payment.balanceTransaction = random.identifier("txn_", count: 24)
        payment.riskScore = Int64(random.int(in: 0...70))
        payment.succeeded = succeeds
        payment.declineCode = succeeds ? nil : Self.declineCodes[random.int(in: 0...(Self.declineCodes.count - 1))]
        invoice.attemptCount += 1
        invoice.chargeID = payment.chargeID
        if succeeds {
            payment.paidAt = time
            invoice.status = .paid
            invoice.paidAt = time
            invoice.nextPaymentAttempt = nil
            invoice.invoicePaymentID = payment.invoicePaymentID
            // A settled invoice is never touched again; dropping it keeps idle timelines small.
            self.invoice = nil
            self.payment = nil
        } else {
            invoice.nextPaymentAttempt = nextAttempt
        }
        emit(succeeds ? .chargeSucceeded : .chargeFailed, .charge(payment, previous: nil), at: time)
        emit(succeeds ? .paymentIntentSucceeded : .paymentIntentPaymentFailed, .paymentIntent(payment), at: time)
        if succeeds {
            if !legacy { emit(.invoicePaymentPaid, .invoicePayment(invoice, payment), at: time) }
            emit(.invoicePaid, .invoice(invoice), at: time)
            emit(.invoicePaymentSucceeded, .invoice(invoice), at: time)
            lastPayment = payment
            if random.chance(Rates.refund) {
                schedule(.refund(payment), at: time + random.int64(in: (Self.day)...(10 * Self.day)))
            } else if random.chance(Rates.dispute) {
                schedule(.openDispute(payment), at: time + random.int64(in: (5 * Self.day)...(45 * Self.day)))
            }
        } else {
            self.payment = payment
            self.invoice = invoice
            emit(.invoicePaymentFailed, .invoice(invoice), at: time)
        }
    }

    func emitPayment(_ type: HistoryGenerator.EventType, at time: Int64) {
        guard let payment else { return }
        emit(type, .paymentIntent(payment), at: time)
    }

    func attemptPayment(at time: Int64) {
        guard let invoice, invoice.status == .draft, subscription.status == .active else { return }
        beginAutomaticRequest()
        finalizeInvoice(at: time)
        if invoice.amount == 0 {
            settleZeroInvoice(at: time)
            return
        }
        let fails = random.chance(Rates.renewalFailure)
        chargeInvoice(succeeds: !fails, at: time, nextAttempt: time + Rates.retryDelayDays[0] * Self.day)
        guard fails else { return }
        failedAttempts = 1
        let previous = subscription
        subscription.status = .pastDue
        emitSubscription(.subscriptionUpdated, previous: previous, changed: .status, at: time)
        schedule(.retryPayment, at: time + Rates.retryDelayDays[0] * Self.day)
    }

    func retryPayment(at time: Int64) {
        guard subscription.status == .pastDue, let invoice, invoice.status == .open else { return }
        beginAutomaticRequest()
        let succeeds = random.chance(Rates.retrySuccess)
        let retriesLeft = failedAttempts < Rates.retryDelayDays.count
        let delay = retriesLeft ? Rates.retryDelayDays[failedAttempts] * Self.day : 0
        chargeInvoice(succeeds: succeeds, at: time, nextAttempt: retriesLeft ? time + delay : nil)
        if succeeds {
            activate(at: time)
            return
        }
        if retriesLeft {
            failedAttempts += 1
            schedule(.retryPayment, at: time + delay)
            return
        }
        // Retries exhausted: Stripe's subscription settings decide between `unpaid` and canceling.
        if random.chance(Rates.exhaustedToUnpaid) {
            let previous = subscription
            subscription.status = .unpaid
            emitSubscription(.subscriptionUpdated, previous: previous, changed: .status, at: time)
            clearAgendaKeepingPaymentFollowUps()
            if random.chance(Rates.unpaidCanceled) {
                schedule(.cancelUnpaid, at: time + random.int64(in: (14 * Self.day)...(60 * Self.day)))
            }
        } else {
            end(status: .canceled, reason: "payment_failed", at: time)
        }
    }

    func cancelUnpaid(at time: Int64) {
        guard subscription.status == .unpaid else { return }
        beginAPIRequest()
        end(status: .canceled, reason: "payment_failed", at: time)
    }

    /// While collection is paused with behavior `void`, each renewal invoice is voided instead of charged.
    func voidInvoice(at time: Int64) {
        guard invoice?.status == .draft else { return }
        beginAutomaticRequest()
        invoice?.status = .void
        invoice?.voidedAt = time
        invoice?.finalizedAt = time
        emitInvoice(.invoiceVoided, at: time)
        invoice = nil
    }
}
