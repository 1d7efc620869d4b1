extension HistoryGenerator {
    /// One customer's subscription lifecycle as a small state machine that yields its events in time order.
    ///
    /// The timeline keeps an agenda of future actions (renewal, retry,
    /// cancellation…). Running an action changes the state and queues the
    /// few events it causes, all within seconds of the action; they are
    /// rendered only when delivered, so a timeline stays compact while
    /// thousands of customers are interleaved.
    final class CustomerTimeline {
        enum Action {
            case signUp
            case trialWillEnd
            case endTrial
            case renew
            case attemptPayment
            case retryPayment
            case voidInvoice
            case completeIncomplete
            case expireIncomplete
            case changePlan
            case requestCancellation
            case withdrawCancellation
            case cancelNow
            case pauseCollection
            case resumeCollection
            case resumeSubscription
            case cancelUnpaid
            case changeInterval
            /// Indirect so the agenda's entries stay a few words wide.
            indirect case refund(PaymentState)
            indirect case settleRefund(Refund, PaymentState)
            indirect case openDispute(PaymentState)
            indirect case submitEvidence(Dispute)
            indirect case closeDispute(Dispute)
        }

        enum TrialOutcome {
            case convert, cancel, pause
        }

        struct AgendaEntry {
            let time: Int64
            let order: Int
            let action: Action
        }

        let profile: CustomerProfile
        let windowEnd: Int64
        /// True for the 2020-08-27 shapes, which have no `invoice_payment` events.
        let legacy: Bool
        /// A test-mode customer: every event and object of this timeline says `"livemode": false`.
        let testMode: Bool
        /// The catalog's coupons, of which a subscription may carry one.
        let coupons: [Coupon]
        var random: Random
        var subscription: SubscriptionState
        var invoice: InvoiceState?
        var payment: PaymentState?
        var lastPayment: PaymentState?
        var trialOutcome = TrialOutcome.convert
        var failedAttempts = 0
        var invoiceCount = 0
        /// Payments already refunded or disputed: each gets at most one refund or dispute.
        var adjustedPayments: Set<String> = []
        private var agenda: [AgendaEntry] = []
        private var agendaOrder = 0
        private var pending: [PendingEvent] = []
        private var pendingHead = 0
        private var clock: Int64
        private var request = RequestOrigin.automatic

        init(
            index: Int, seed: UInt64, signUpTime: Int64, windowEnd: Int64, legacy: Bool, testMode: Bool = false,
            coupons: [Coupon] = []
        ) {
            self.legacy = legacy
            self.testMode = testMode
            self.coupons = coupons
            var random = Random(seed: seed, stream: StreamID.customer, index: UInt64(index))
            let profile = CustomerProfile(index: index, random: &random)
            self.profile = profile
            self.random = random
            self.windowEnd = windowEnd
            self.clock = signUpTime
            subscription = SubscriptionState(
                id: profile.subscriptionID, customerID: profile.customerID, itemID: profile.itemID,
                licenseID: profile.licenseID, created: signUpTime, itemCreated: signUpTime + 1,
                plan: profile.plan, interval: profile.interval, quantity: profile.quantity, currency: profile.currency,
                status: .incomplete, billingCycleAnchor: signUpTime, periodStart: signUpTime, periodEnd: signUpTime,
                trialEndBehavior: "create_invoice")
            agenda.append(AgendaEntry(time: signUpTime, order: 0, action: .signUp))
        }

        /// When this customer's next event or action is due; nil once the lifecycle is over.
        var nextTime: Int64? {
            pendingHead < pending.count ? pending[pendingHead].created : agenda.first?.time
        }

        /// The next queued event, or nil after running the next due action (which queues events).
        func step() -> PendingEvent? {
            if pendingHead < pending.count {
                let event = pending[pendingHead]
                pendingHead += 1
                if pendingHead == pending.count {
                    // Released at once: thousands of idle timelines must not each keep their last batch of events.
                    pending = []
                    pendingHead = 0
                }
                return event
            }
            guard !agenda.isEmpty else { return nil }
            let entry = agenda.removeFirst()
            // An action never runs before the events already emitted, so per-customer order stays chronological.
            perform(entry.action, at: max(entry.time, clock))
            return nil
        }

        // MARK: Agenda

        /// Schedules an action; actions past the end of the generated window never happen.
        func schedule(_ action: Action, at time: Int64) {
            guard time < windowEnd else { return }
            agendaOrder += 1
            let entry = AgendaEntry(time: time, order: agendaOrder, action: action)
            let index = agenda.firstIndex { ($0.time, $0.order) > (time, agendaOrder) } ?? agenda.count
            agenda.insert(entry, at: index)
        }

        /// Drops every future action except refunds and disputes, which still settle after a subscription ends.
        func clearAgendaKeepingPaymentFollowUps() {
            agenda.removeAll { entry in
                switch entry.action {
                case .refund, .settleRefund, .openDispute, .submitEvidence, .closeDispute: false
                default: true
                }
            }
        }

        /// Drops the scheduled renewal, when a change starts a new billing period now.
        func cancelScheduledRenewal() {
            agenda.removeAll { entry in
                if case .renew = entry.action { return true }
                return false
            }
        }

        // MARK: Emitting

        /// Marks the following events as caused by one API request (shared request id and idempotency key).
        func beginAPIRequest() {
            request = RequestOrigin(id: random.identifier("req_", count: 14), idempotencyKey: random.uuid())
        }

        /// Marks the following events as caused by Stripe's own automation (renewals, retries).
        func beginAutomaticRequest() {
            request = .automatic
        }

        func emit(_ type: EventType, _ payload: Payload, at time: Int64) {
            let created = max(time, clock)
            clock = created
            pending.append(
                PendingEvent(
                    eventID: random.identifier("evt_", count: 24), type: type, created: created, payload: payload,
                    request: request, pendingWebhooks: random.int(in: 1...3), livemode: !testMode))
        }

        func emitSubscription(
            _ type: EventType, previous: SubscriptionState? = nil,
            changed: SubscriptionFields = [], at time: Int64
        ) {
            emit(type, .subscription(subscription, previous: previous, changed: changed), at: time)
        }

        func perform(_ action: Action, at time: Int64) {
            switch action {
            case .signUp: signUp(at: time)
            case .trialWillEnd: trialWillEnd(at: time)
            case .endTrial: endTrial(at: time)
            case .renew: renew(at: time)
            case .attemptPayment: attemptPayment(at: time)
            case .retryPayment: retryPayment(at: time)
            case .voidInvoice: voidInvoice(at: time)
            case .completeIncomplete: completeIncomplete(at: time)
            case .expireIncomplete: expireIncomplete(at: time)
            case .changePlan: changePlan(at: time)
            case .requestCancellation: requestCancellation(at: time)
            case .withdrawCancellation: withdrawCancellation(at: time)
            case .cancelNow: cancelNow(at: time)
            case .pauseCollection: pauseCollection(at: time)
            case .resumeCollection: resumeCollection(at: time)
            case .resumeSubscription: resumeSubscription(at: time)
            case .cancelUnpaid: cancelUnpaid(at: time)
            case .changeInterval: changeInterval(at: time)
            case .refund(let payment): refund(payment, at: time)
            case .settleRefund(let refund, let payment): settleRefund(refund, of: payment, at: time)
            case .openDispute(let payment): openDispute(payment, at: time)
            case .submitEvidence(let dispute): submitEvidence(dispute, at: time)
            case .closeDispute(let dispute): closeDispute(dispute, at: time)
            }
        }
    }
}
