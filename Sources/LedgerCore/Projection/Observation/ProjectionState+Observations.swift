import Foundation

extension ProjectionState {
    /// Applies an ``Observation`` as the Stripe event that would carry its object at the observation's time:
    /// the same readers, checks and newest-fact rules, so an observation and an event never disagree on how
    /// an object becomes a row.
    mutating func applyObservation(_ resource: Observation.Resource, _ event: RecordedEvent) -> ApplyOutcome {
        let tape: JSONTape
        do {
            tape = try JSONTape(parsing: event.body)
        } catch {
            return park(.event(event.position), event: event, reason: .malformedBody(error.description))
        }
        let root = tape.root
        let object = root["data"]["object"]
        // The object states its mode as an event's envelope does.
        if let stated = LedgerMode(livemode: object["livemode"]) {
            if let fixed = mode, stated != fixed.mode { return .ignored(.otherMode(event: stated, ledger: fixed.mode)) }
            if mode == nil { mode = FixedMode(mode: stated, position: event.position) }
        }
        return apply(Self.kind(observing: resource, object), event, root, observed: true)
    }

    /// The event kind whose object an observation of `resource` carries.
    ///
    /// A canceled subscription is final in Stripe, as `customer.subscription.deleted` says. An invoice reports a
    /// payment only when paid, as `invoice.paid` does; an open one gives its links only, since whether its attempt
    /// failed or waits for the customer (3-D Secure) is the PaymentIntent's to say, and a same-second invoice claim
    /// would outrank it.
    static func kind(observing resource: Observation.Resource, _ object: JSONValue) -> ProjectedEventKind {
        switch resource {
        case .subscriptions:
            object["status"].string == "canceled" ? .subscriptionDeleted : .subscriptionUpdated
        case .paymentIntents:
            .paymentIntent(.other)
        case .invoices:
            object["status"].string == "paid" ? .invoicePaid : .invoiceLinked
        case .charges:
            // The charge's own `status` decides its fact; the kind only routes it.
            .chargeSucceeded
        case .refunds:
            .refund
        case .disputes:
            .dispute
        }
    }

    /// When an observed object says its payment happened: a charge's `created`, an expanded `latest_charge`'s (or
    /// the newest of an old PaymentIntent's embedded `charges`), a paid invoice's `status_transitions.paid_at`; nil
    /// when it says nothing (the observation's time is used).
    static func reportedAt(observing object: JSONValue, kind: ProjectedEventKind) -> Int64? {
        switch kind {
        case .chargeSucceeded, .chargeFailed, .chargeRefunded: usableTime(object["created"])
        case .paymentIntent:
            // Its newest charge: `latest_charge` when expanded; before 2022-11-15 the embedded `charges` list.
            usableTime(object["latest_charge"]["created"])
                ?? object["charges"]["data"].elements.compactMap { usableTime($0["created"]) }.max()
        case .invoicePaid: usableTime(object["status_transitions"]["paid_at"])
        default: nil
        }
    }

    /// The object's own `created` for the objects a row is keyed by (subscriptions, PaymentIntents).
    static func objectCreated(_ object: JSONValue, kind: ProjectedEventKind) -> Int64? {
        switch kind {
        case .paymentIntent: return usableTime(object["created"])
        default: return kind.isSubscription ? usableTime(object["created"]) : nil
        }
    }

    /// A time a row may hold, or nil: a value that is absent or unusable (a fraction, outside 1970–9999) gives no
    /// time rather than parking, since the event's own time stands in for it.
    private static func usableTime(_ value: JSONValue) -> Int64? {
        var reading = FieldReading()
        guard let seconds = reading.time(value, "created"), reading.problem == nil else { return nil }
        return seconds
    }
}
