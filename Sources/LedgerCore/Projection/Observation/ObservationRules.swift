import Foundation

/// The rows Stripe's current objects imply under a projection's rules: what `ledger sync reconcile` compares
/// the ledger's rows with, through the projection's own mapping rather than a second copy of it.
///
/// Holds a ``ProjectionState`` with the rules of the state it was made from (its mode, mapping, `licenses`
/// view and corrections) and no objects. Each object's row is computed on a copy of that empty state, so a
/// copy costs nothing whatever the size of the ledger: copying the full state and applying an observation to
/// it would copy every table of objects on the first write (copy-on-write), once per object compared.
public struct ObservationRules: Sendable {
    private let empty: ProjectionState

    /// The rules of `state`, without its objects.
    public init(of state: ProjectionState) {
        var empty = ProjectionState(configuration: state.configuration, mode: state.mode)
        empty.mapping = state.mapping
        empty.mappingPosition = state.mappingPosition
        empty.licenses = state.licenses
        empty.subscriptionCorrections = state.subscriptionCorrections
        empty.paymentCorrections = state.paymentCorrections
        self.empty = empty
    }

    /// The row an observation implies, or what the projection does with it instead.
    public struct Implied<Row: Sendable>: Sendable {
        /// The row, nil when the object gives none (parked, ignored, excluded by a correction).
        public var row: Row?
        /// Why the object would be parked, when it would be.
        public var parked: ParkReason?
        /// Why the projection would ignore the object (another mode than the ledger's), when it would.
        public var ignored: IgnoreReason?
    }

    /// The `subscriptions` row of an observed subscription, as the projection would make it from the
    /// observation alone.
    public func subscriptionRow(observing observation: Observation) -> Implied<SubscriptionRow> {
        var state = empty
        let outcome = state.apply(Self.recorded(observation, position: 1))
        return Self.implied(state.subscriptionRow(stripeID: observation.objectID), outcome)
    }

    /// The `payment_transactions` row of an observed PaymentIntent, from the intent's observation and, when
    /// the intent carries its latest charge expanded, that charge's (``Observation/expandedLatestCharge``),
    /// which states what the intent does not: the amount refunded, whether all of it was.
    public func paymentRow(observing observations: [Observation]) -> Implied<PaymentTransactionRow> {
        var state = empty
        var outcomes: [ApplyOutcome] = []
        for (index, observation) in observations.enumerated() {
            outcomes.append(state.apply(Self.recorded(observation, position: Int64(index) + 1)))
        }
        let intent = observations.first { $0.resource == .paymentIntents }?.objectID ?? ""
        let outcome = outcomes.first { if case .applied = $0 { false } else { true } } ?? .applied
        return Self.implied(state.paymentRow(paymentIntentID: intent), outcome)
    }

    private static func implied<Row>(_ row: Row?, _ outcome: ApplyOutcome) -> Implied<Row> {
        switch outcome {
        case .applied: Implied(row: row)
        case .parked(let reason): Implied(row: row, parked: reason)
        case .ignored(let reason): Implied(row: row, ignored: reason)
        }
    }

    /// The observation as the log would hold it, recorded at its own time (so its `created` is never "from
    /// the future"); positions only order the observations of one computation.
    static func recorded(_ observation: Observation, position: Int64) -> RecordedEvent {
        let event = observation.newEvent()
        return RecordedEvent(
            position: position, eventID: event.eventID, streamID: event.streamID, streamVersion: position,
            type: event.type, source: event.source, sourceEventID: event.sourceEventID,
            occurredAt: event.occurredAt, recordedAt: event.occurredAt, customerID: event.customerID,
            body: event.body, metadata: event.metadata, hash: [])
    }
}

extension Observation {
    /// The latest charge a PaymentIntent observation carries expanded (`expand[]=data.latest_charge`), as an
    /// observation of its own at the same time, its bytes exactly as Stripe sent them inside the intent; nil
    /// for any other observation or when `latest_charge` is an id or absent.
    public var expandedLatestCharge: Observation? {
        guard resource == .paymentIntents, let tape = try? JSONTape(parsing: object) else { return nil }
        let charge = tape.root["latest_charge"]
        guard let node = charge.node, node.kind == .object, let id = charge["id"].string else { return nil }
        // The tape's container nodes start at their bracket: the framer reads the one object from there.
        var framer = JSONDocumentFramer()
        framer.feed(object[Int(node.start)...])
        framer.finish()
        guard case .document(let bytes, _)? = framer.next() else { return nil }
        return Observation(
            resource: .charges, objectID: id, object: Array(bytes), observedAt: observedAt, customerID: customerID)
    }
}
