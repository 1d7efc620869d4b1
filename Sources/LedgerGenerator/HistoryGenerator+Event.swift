extension HistoryGenerator {
    /// The Stripe event types the generator emits; `rawValue` is the wire `type`.
    enum EventType: String, CaseIterable {
        case subscriptionCreated = "customer.subscription.created"
        case subscriptionUpdated = "customer.subscription.updated"
        case subscriptionDeleted = "customer.subscription.deleted"
        case subscriptionTrialWillEnd = "customer.subscription.trial_will_end"
        case subscriptionPaused = "customer.subscription.paused"
        case subscriptionResumed = "customer.subscription.resumed"
        case invoiceCreated = "invoice.created"
        case invoiceFinalized = "invoice.finalized"
        case invoicePaid = "invoice.paid"
        case invoicePaymentSucceeded = "invoice.payment_succeeded"
        case invoicePaymentFailed = "invoice.payment_failed"
        case invoiceVoided = "invoice.voided"
        case invoicePaymentPaid = "invoice_payment.paid"
        case paymentIntentCreated = "payment_intent.created"
        case paymentIntentSucceeded = "payment_intent.succeeded"
        case paymentIntentPaymentFailed = "payment_intent.payment_failed"
        case chargeSucceeded = "charge.succeeded"
        case chargeFailed = "charge.failed"
        case chargeRefunded = "charge.refunded"
        case refundCreated = "refund.created"
        case refundUpdated = "refund.updated"
        /// The pre-2025 name for a refund's update; both API shapes may receive `refund.created`.
        case chargeRefundUpdated = "charge.refund.updated"
        case disputeCreated = "charge.dispute.created"
        case disputeFundsWithdrawn = "charge.dispute.funds_withdrawn"
        case disputeUpdated = "charge.dispute.updated"
        case disputeClosed = "charge.dispute.closed"
        case disputeFundsReinstated = "charge.dispute.funds_reinstated"
    }

    /// The object an event carries, with the earlier state where the event reports `previous_attributes`.
    /// Indirect, so a pending event is a few words however large the states it carries.
    indirect enum Payload {
        case subscription(SubscriptionState, previous: SubscriptionState?, changed: SubscriptionFields)
        case invoice(InvoiceState)
        case paymentIntent(PaymentState)
        case charge(PaymentState, previous: PaymentState?)
        case invoicePayment(InvoiceState, PaymentState)
        /// A refund object and the payment it returns money from; `previous` is the refund before an update.
        case refund(Refund, PaymentState, previous: Refund?)
        case dispute(Dispute, previous: Dispute?)
    }

    /// Who caused an event: an API request (request id and idempotency key) or Stripe's own automation (both null).
    struct RequestOrigin {
        let id: String?
        let idempotencyKey: String?

        static let automatic = RequestOrigin(id: nil, idempotencyKey: nil)
    }

    /// An event decided by a customer's timeline but not yet rendered: compact until it is delivered.
    struct PendingEvent {
        let eventID: String
        let type: EventType
        let created: Int64
        let payload: Payload
        let request: RequestOrigin
        let pendingWebhooks: Int
        /// False for a test-mode customer's events (and every object in them); the rest of a history is live.
        let livemode: Bool
    }
}

/// One Stripe webhook event as delivered: its envelope fields and the complete JSON line (without newline).
public struct GeneratedEvent: Sendable, Equatable {
    /// The Stripe event id (`evt_…`); a duplicate delivery repeats it.
    public let eventID: String
    /// The Stripe event type, e.g. `customer.subscription.updated`.
    public let type: String
    /// The event's `created` time in Unix seconds (one-second resolution, as Stripe sends it).
    public let created: Int64
    /// The complete event envelope as compact JSON bytes (UTF-8), without a trailing newline.
    public let json: [UInt8]

    /// Creates an event from its envelope fields and rendered bytes.
    public init(eventID: String, type: String, created: Int64, json: [UInt8]) {
        self.eventID = eventID
        self.type = type
        self.created = created
        self.json = json
    }
}
