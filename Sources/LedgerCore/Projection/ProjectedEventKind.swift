/// The Stripe event types the projection reads; anything else is logged and not projected.
public enum ProjectedEventKind: Sendable, Hashable {
    case subscriptionCreated, subscriptionUpdated, subscriptionDeleted, subscriptionPaused, subscriptionResumed
    case subscriptionTrialWillEnd, subscriptionPendingUpdateApplied, subscriptionPendingUpdateExpired
    /// Any `payment_intent.*` event: each carries the whole PaymentIntent.
    case paymentIntent(PaymentIntentEvent)
    case invoicePaid, invoicePaymentFailed, invoicePaymentSucceeded
    /// Any other `invoice.*` event (`created`, `finalized`, `updated`, `voided`, …): read for its links only.
    case invoiceLinked
    case invoicePaymentPaid
    case chargeSucceeded, chargeFailed, chargeRefunded
    /// `refund.created`, `refund.updated`, `refund.failed`, `charge.refund.updated`: a Refund object.
    case refund
    /// Any `charge.dispute.*` event: a Dispute object.
    case dispute

    /// The `payment_intent.*` event names that decide a status beyond the object's own `status`.
    public enum PaymentIntentEvent: Sendable, Hashable {
        case paymentFailed
        case other
    }

    /// The kind for a stored event type, or nil when the projection does not read it.
    public init?(type: String) {
        switch type {
        case "customer.subscription.created": self = .subscriptionCreated
        case "customer.subscription.updated": self = .subscriptionUpdated
        case "customer.subscription.deleted": self = .subscriptionDeleted
        case "customer.subscription.paused": self = .subscriptionPaused
        case "customer.subscription.resumed": self = .subscriptionResumed
        case "customer.subscription.trial_will_end": self = .subscriptionTrialWillEnd
        case "customer.subscription.pending_update_applied": self = .subscriptionPendingUpdateApplied
        case "customer.subscription.pending_update_expired": self = .subscriptionPendingUpdateExpired
        case "payment_intent.payment_failed": self = .paymentIntent(.paymentFailed)
        case "invoice.paid": self = .invoicePaid
        case "invoice.payment_failed": self = .invoicePaymentFailed
        case "invoice.payment_succeeded": self = .invoicePaymentSucceeded
        case "invoice_payment.paid": self = .invoicePaymentPaid
        case "charge.succeeded": self = .chargeSucceeded
        case "charge.failed": self = .chargeFailed
        case "charge.refunded": self = .chargeRefunded
        case "refund.created", "refund.updated", "refund.failed", "charge.refund.updated": self = .refund
        default:
            if type.hasPrefix("payment_intent.") {
                self = .paymentIntent(.other)
            } else if type.hasPrefix("invoice.") {
                self = .invoiceLinked
            } else if type.hasPrefix("charge.dispute.") {
                self = .dispute
            } else {
                return nil
            }
        }
    }

    /// True for the kinds that carry a subscription object.
    var isSubscription: Bool {
        switch self {
        case .subscriptionCreated, .subscriptionUpdated, .subscriptionDeleted, .subscriptionPaused,
            .subscriptionResumed, .subscriptionTrialWillEnd, .subscriptionPendingUpdateApplied,
            .subscriptionPendingUpdateExpired:
            true
        case .paymentIntent, .invoicePaid, .invoicePaymentFailed, .invoicePaymentSucceeded, .invoiceLinked,
            .invoicePaymentPaid, .chargeSucceeded, .chargeFailed, .chargeRefunded, .refund, .dispute:
            false
        }
    }
}

/// What applying one event did to the projection state.
public enum ApplyOutcome: Sendable, Hashable {
    /// The event changed (or confirmed) the state of its object.
    case applied
    /// The event is kept in the log but does not change the projection.
    case ignored(IgnoreReason)
    /// The event cannot become a valid row; it is kept in ``ProjectionState/parked`` until a later event clears it.
    case parked(ParkReason)
}

/// Why an event did not change the projection.
public enum IgnoreReason: Sendable, Hashable, CustomStringConvertible {
    /// Older than what was already applied for its object (or lost a same-second tie).
    case stale
    /// The same Stripe event as the one already applied for its object.
    case duplicate
    /// The subscription was deleted; a later non-deletion event does not resurrect it.
    case objectDeleted
    /// A payment event that names no PaymentIntent (e.g. a charge made with the legacy Charges API).
    case noPaymentIntent
    /// An invoice event whose invoice has no id (`invoice.upcoming` previews one): it links nothing.
    case noInvoiceID
    /// A type the projection does not read.
    case notProjected(String)
    /// A Stripe event of the other mode than the ledger's (a test event in a live ledger, or the reverse).
    case otherMode(event: LedgerMode, ledger: LedgerMode)
    /// A `ledger mode set` for another mode than the one already fixed: a ledger's mode never changes.
    case modeFixed(FixedMode)
    /// A native setting the projection cannot read, with why.
    case invalidSetting(String)

    /// Why the event did not change the projection, as `ledger history` shows it.
    public var description: String {
        switch self {
        case .stale: "stale: older than what was already applied for its object"
        case .duplicate: "duplicate: the same Stripe event was already applied"
        case .objectDeleted: "the subscription was deleted; a later event does not resurrect it"
        case .noPaymentIntent: "names no PaymentIntent"
        case .noInvoiceID: "names no invoice id: links nothing"
        case .notProjected(let type): "\(type) is not a type the projection reads"
        case .otherMode(let event, let ledger):
            "a \(event)-mode event in a \(ledger) ledger: kept in the log, never counted"
        case .modeFixed(let fixed):
            "the ledger's mode is already \(fixed.mode) (fixed at position \(fixed.position)); it never changes"
        case .invalidSetting(let why): "not a setting the projection reads: \(why)"
        }
    }
}

/// Why an event could not become a valid row; the text is what `ledger status` shows.
public enum ParkReason: Sendable, Hashable, CustomStringConvertible {
    case malformedBody(String)
    case missingField(String)
    /// No license rule of the mapping found a value; `keys` are the metadata keys it tried, in order.
    case missingLicenseID(keys: [String])
    /// `metadata.<key>` should hold a license UUID and does not.
    case invalidLicenseID(key: String, String)
    /// `metadata.<key>` names a `license_key` no row of `licenses` has.
    case unknownLicenseKey(key: String, String)
    /// The mapping reads `licenses`, and this replay was given no way to (a runner without a database).
    case licensesUnavailable
    /// No plan type rule of the mapping found a value; `rules` are the rules it tried, as `ledger mapping` prints them.
    case missingPlanType(rules: [String])
    /// The rule found a value that is not a plan type.
    case invalidPlanType(rule: String, String)
    case unsupportedInterval(String)
    case mixedIntervals
    case mixedCurrencies
    case missingUnitAmount
    case negativeAmount(Int64)
    case amountOutOfRange(Int64)
    case invalidCurrency(String)
    case invalidStatus(String)
    /// A value PostgreSQL would refuse in `column` (U+0000, too long, outside `numeric`), with why.
    case valueDoesNotFit(column: String, String)
    /// A time in Unix seconds outside the ledger's window, 1970–9999 (``EventTime/secondsWindow``).
    case timeOutOfRange(field: String, Int64)
    /// A field that must be an integer holds something else (a fraction, an exponent, a string…).
    case notAnInteger(field: String, String)
    /// Stripe's `created` lies further after the moment the ledger recorded the event than clocks can
    /// disagree (``Limits/eventCreatedAheadSecondsMax``): it would outrank every genuine later event.
    case createdInTheFuture(created: Int64, recordedAt: EventTime)

    public var description: String {
        switch self {
        case .malformedBody(let message):
            "body is not readable JSON: \(DisplayText.escaped(message, charactersMax: 200))"
        case .missingField(let path): "required field \(path) is missing"
        case .missingLicenseID(let keys):
            "subscription metadata has no \(keys.isEmpty ? "license rule" : keys.map(shown).joined(separator: " or "))"
        case .invalidLicenseID(let key, let value): "metadata \(shown(key)) '\(shown(value))' is not a UUID"
        case .unknownLicenseKey(let key, let value):
            "no license has license_key '\(shown(value))' (from metadata \(shown(key)))"
        case .licensesUnavailable: "the mapping reads the licenses table, which this replay cannot see"
        case .missingPlanType(let rules):
            "no plan type: the mapping's rules (\(rules.joined(separator: ", "))) found none"
        case .invalidPlanType(let rule, let value):
            "plan type '\(shown(value))' from \(rule) is not one of free, starter, pro, enterprise"
        case .unsupportedInterval(let value):
            "recurring interval '\(shown(value))' is not a billing_cycle (every 1, 3, 6, 12 or 24 months)"
        case .mixedIntervals: "subscription items bill on different intervals"
        case .mixedCurrencies: "subscription items are priced in different currencies"
        case .missingUnitAmount: "an item's price has no unit_amount (tiered or custom pricing)"
        case .negativeAmount(let value): "amount \(value) is negative"
        case .amountOutOfRange(let value): "amount \(value) does not fit the INTEGER column"
        case .invalidCurrency(let value): "currency '\(shown(value))' is not a three-letter code"
        case .invalidStatus(let value): "status '\(shown(value))' is not a known status"
        case .valueDoesNotFit(let column, let problem): "\(column) \(problem)"
        case .timeOutOfRange(let field, let seconds):
            "\(field) \(seconds) is outside the ledger's window (Unix seconds 0…253402300799, years 1970–9999)"
        case .notAnInteger(let field, let found): "\(field) must be an integer (got \(shown(found)))"
        case .createdInTheFuture(let created, let recordedAt):
            "created \(created) (\(EventTime(secondsSinceEpoch: created))) is more than "
                + "\(Limits.eventCreatedAheadSecondsMax) s after the event was recorded (\(recordedAt))"
        }
    }
}

/// A value from an event, as a reason quotes it: control characters escaped, cut short.
private func shown(_ value: String) -> String { DisplayText.escaped(value) }

/// The object a parked event belongs to; a later valid event for the same object clears it.
public enum ProjectionObjectKey: Sendable, Hashable, Comparable {
    case subscription(String)
    case payment(String)
    /// An event whose object could not be identified, by log position.
    case event(Int64)
}

/// An event that could not be projected, with enough to show and retry it.
public struct ParkedEvent: Sendable, Hashable {
    public var position: Int64
    public var eventType: String
    public var reason: ParkReason

    public init(position: Int64, eventType: String, reason: ParkReason) {
        self.position = position
        self.eventType = eventType
        self.reason = reason
    }
}
