import Foundation

/// What the projection starts from besides the log: the mapping in effect before any ``MappingSetting``.
///
/// Ledgers always start from ``ProjectionMapping/default``; a mapping of their own is recorded in the log
/// (`ledger mapping set`). Tests and benchmarks start from another one to exercise the rules alone.
public struct ProjectionConfiguration: Sendable, Hashable {
    public var mapping: ProjectionMapping

    public init(mapping: ProjectionMapping = .default) {
        self.mapping = mapping
    }
}

/// The projected state of `subscriptions` and `payment_transactions`: a pure `(state, event) -> state` reducer.
///
/// Invariants: the rows are a function of the *set* of events applied, never of their
/// delivery order — each object keeps the newest fact per source (by Stripe's `created`,
/// then a payload tie rule, then position), and derived times are minima or maxima over
/// events. Redelivering an event changes nothing. No clock, no I/O: the runner reads
/// rows, parked events and license ids out of the state and writes them.
public struct ProjectionState: Sendable {
    /// Bumped whenever the mapping changes, so a snapshot or checkpoint of another version is not reused.
    ///
    /// Covers the MRR ledger the rows feed (``LedgerProjections``): 2 added `mrr_movements` and
    /// `mrr_daily`, which a checkpoint of version 1 never wrote; 3 parks values the tables cannot hold
    /// (schema limits, times outside 1970–9999, `created` from the future) that 2 wrote or failed on; 4 ignores
    /// events of the other mode than the ledger's (``LedgerMode``), which 3 counted; 5 reads every `invoice.*` event
    /// for links, refund and dispute objects, and gives a canceled PaymentIntent no failure reason (docs/0003);
    /// 5 also takes coupons off MRR and projects quarterly, semi-annual and two-yearly prices (docs/0006);
    /// 6 reads the mapping from the log (``MappingSetting``) and the corrections `ledger correct` records;
    /// 7 applies observations (``Observation``) and takes `created_at` from the object's own `created` (docs/0016).
    public static let projectorVersion = 7

    public let configuration: ProjectionConfiguration
    /// The mapping in effect: the configuration's until a ``MappingSetting`` replaces it.
    public internal(set) var mapping: ProjectionMapping
    /// The position of the setting that made ``mapping`` the one in effect; nil for the configuration's.
    public internal(set) var mappingPosition: Int64?
    /// What the mapping may ask `licenses` (only rules that read it do): set by the runner, not part of the log.
    public var licenses: (any LicenseDirectory)?
    /// What `ledger correct` fixed, by subscription id.
    var subscriptionCorrections: [String: SubscriptionCorrection] = [:]
    /// What `ledger correct` recorded, by PaymentIntent id: exclusions and out-of-band refunds.
    var paymentCorrections: [String: PaymentCorrection] = [:]
    /// The ledger's mode, once an event has stated one (``FixedMode/stated(by:)``); events of the other mode are ignored.
    public internal(set) var mode: FixedMode?
    var subscriptions: [String: SubscriptionRecord] = [:]
    var payments: [String: PaymentRecord] = [:]
    /// The newest payment-bearing event per invoice (`invoice.paid`, `.payment_failed`, `.payment_succeeded`).
    var invoices: [String: Versioned<InvoiceFact>] = [:]
    /// Reverse links, insert-only, so a subscription or invoice change finds the payments whose rows it alters.
    var paymentsByInvoice: [String: Set<String>] = [:]
    var invoicesBySubscription: [String: Set<String>] = [:]
    /// The newest `invoice.*` event that reports no payment, per invoice (its type): it decides their outcomes.
    var invoiceLinkEvents: [String: Versioned<String>] = [:]
    /// The subscription each invoice bills, from any `invoice.*` event (the smallest id should two differ).
    var subscriptionByInvoice: [String: String] = [:]
    /// The PaymentIntent of each charge an event tied to one: refunds and disputes naming only a charge follow it.
    var paymentByCharge: [String: String] = [:]
    /// Refunds and disputes whose charge no event has tied to a PaymentIntent yet, by charge id.
    var adjustmentsByCharge: [String: PaymentAdjustments] = [:]
    /// Events that could not become valid rows, one per object; a later valid event for the object clears it.
    public internal(set) var parked: [ProjectionObjectKey: ParkedEvent] = [:]
    /// Objects whose rows may have changed since the last ``takeChangedObjects()``.
    var changed: Set<ProjectionObjectKey> = []
    /// The subscriptions whose row the last ``apply(_:)`` changed, for a reducer fed row by row (``LedgerProjections``).
    public internal(set) var subscriptionsChangedByLastEvent: [String] = []

    /// An empty projection; `mode` seeds the ledger's mode when replaying only part of the log (an audit).
    public init(configuration: ProjectionConfiguration = ProjectionConfiguration(), mode: FixedMode? = nil) {
        self.configuration = configuration
        self.mapping = configuration.mapping
        self.mode = mode
    }

    /// Applies one logged event and says what it did; never throws, never stops on bad input.
    public mutating func apply(_ event: RecordedEvent) -> ApplyOutcome {
        subscriptionsChangedByLastEvent.removeAll(keepingCapacity: true)
        if ModeSetting.isSetting(event) { return applyModeSetting(event) }
        if MappingSetting.isSetting(event) { return applyMappingSetting(event) }
        if Correction.isCorrection(event) { return applyCorrection(event) }
        if let resource = Observation.resource(of: event) { return applyObservation(resource, event) }
        guard let kind = ProjectedEventKind(type: event.type) else {
            // Any Stripe event may fix the mode, but its body is read for that only until one has.
            if mode == nil, let stated = FixedMode.stated(by: event) {
                mode = FixedMode(mode: stated, position: event.position)
            }
            return .ignored(.notProjected(event.type))
        }
        let tape: JSONTape
        do {
            tape = try JSONTape(parsing: event.body)
        } catch {
            return park(.event(event.position), event: event, reason: .malformedBody(error.description))
        }
        let root = tape.root
        if let stated = FixedMode.stated(by: event, root: root) {
            if let fixed = mode, stated != fixed.mode { return .ignored(.otherMode(event: stated, ledger: fixed.mode)) }
            if mode == nil { mode = FixedMode(mode: stated, position: event.position) }
        }
        return apply(kind, event, root)
    }

    /// A `ledger mode set` event: fixes the mode if nothing has yet.
    mutating func applyModeSetting(_ event: RecordedEvent) -> ApplyOutcome {
        guard let setting = ModeSetting(body: event.body) else {
            return .ignored(.invalidSetting("the body names no mode (live or test)"))
        }
        guard let fixed = mode else {
            mode = FixedMode(mode: setting.mode, position: event.position)
            return .applied
        }
        return .ignored(.modeFixed(fixed))
    }

    /// Applies a Stripe event of the ledger's mode (or of none stated) whose body parsed, or an observation
    /// (`observed`) read as the event of `kind` that would carry its object.
    mutating func apply(
        _ kind: ProjectedEventKind, _ event: RecordedEvent, _ root: JSONValue, observed: Bool = false
    ) -> ApplyOutcome {
        let created: Int64
        switch Self.created(root["created"], event: event) {
        case .success(let seconds): created = seconds
        case .failure(let problem): return park(.event(event.position), event: event, reason: problem.reason)
        }
        let object = root["data"]["object"]
        let context = EventContext(
            kind: kind, type: event.type, position: event.position,
            eventID: root["id"].string ?? event.sourceEventID ?? "", created: created,
            reportedAt: observed ? Self.reportedAt(observing: object, kind: kind) ?? created : created,
            objectCreated: Self.objectCreated(object, kind: kind))
        var reading = FieldReading()
        switch kind {
        case .subscriptionCreated, .subscriptionUpdated, .subscriptionDeleted, .subscriptionPaused,
            .subscriptionResumed, .subscriptionTrialWillEnd, .subscriptionPendingUpdateApplied,
            .subscriptionPendingUpdateExpired:
            guard let snapshot = SubscriptionSnapshot(object: object, previous: root["data"]["previous_attributes"])
            else { return park(.event(event.position), event: event, reason: .missingField("data.object.id/status")) }
            // An id the row cannot hold cannot name the object either: the event is parked on its own.
            if let problem = ProjectedColumn.Subscriptions.stripeSubscriptionID.problem(storing: snapshot.id) {
                return park(.event(event.position), event: event, reason: problem)
            }
            return applySubscription(snapshot, context)
        case .paymentIntent(let paymentEvent):
            guard let (id, fact) = PaymentIntentFact.read(object, event: paymentEvent, reading: &reading) else {
                return park(.event(event.position), event: event, reason: .missingField("data.object.id"))
            }
            if let problem = PaymentValueCheck.identifier(id) {
                return park(.event(event.position), event: event, reason: problem)
            }
            // The intent names its charges (`latest_charge`; before 2025 also `charges.data`): a refund or dispute
            // naming only one of them finds the intent without a `charge.*` event.
            for chargeID in PaymentIntentFact.chargeIDs(object) { linkCharge(chargeID, toPayment: id) }
            if let problem = reading.problem ?? PaymentValueCheck.problem(fact) {
                return park(.payment(id), event: event, reason: problem)
            }
            return applyPaymentIntent(id, fact, context)
        case .invoicePaid, .invoicePaymentSucceeded, .invoicePaymentFailed:
            let status: PaymentStatus = kind == .invoicePaymentFailed ? .failed : .succeeded
            guard let (id, fact) = InvoiceFact.read(object, status: status, reading: &reading) else {
                return park(.event(event.position), event: event, reason: .missingField("data.object.id"))
            }
            // Invoices have no row of their own: a value their payments cannot hold parks the event alone.
            if let problem = reading.problem ?? PaymentValueCheck.problem(fact, invoiceID: id) {
                return park(.event(event.position), event: event, reason: problem)
            }
            return applyInvoice(id, fact, context)
        case .invoiceLinked:
            // Reports no payment: the links only, so values the links do not use are not checked.
            guard let (id, fact) = InvoiceFact.read(object, status: .pending, reading: &reading) else {
                return .ignored(.noInvoiceID)
            }
            if let problem = PaymentValueCheck.linkProblem(fact, invoiceID: id) {
                return park(.event(event.position), event: event, reason: problem)
            }
            return applyInvoiceLinks(id, fact, context)
        case .refund:
            guard let (id, fact) = RefundFact.read(object, reading: &reading) else {
                return park(.event(event.position), event: event, reason: .missingField("data.object.id"))
            }
            if let problem = reading.problem ?? PaymentValueCheck.problem(fact) {
                return park(.event(event.position), event: event, reason: problem)
            }
            return applyRefund(id, fact, context)
        case .dispute:
            guard let (id, fact) = DisputeFact.read(object, reading: &reading) else {
                return park(.event(event.position), event: event, reason: .missingField("data.object.id"))
            }
            if let problem = reading.problem ?? PaymentValueCheck.problem(fact) {
                return park(.event(event.position), event: event, reason: problem)
            }
            return applyDispute(id, fact, context)
        case .invoicePaymentPaid:
            guard let (id, fact) = InvoicePaymentFact.read(object, reading: &reading) else {
                return .ignored(.noPaymentIntent)
            }
            if let problem = PaymentValueCheck.identifier(id) {
                return park(.event(event.position), event: event, reason: problem)
            }
            if let problem = reading.problem ?? PaymentValueCheck.problem(fact) {
                return park(.payment(id), event: event, reason: problem)
            }
            return applyInvoicePayment(id, fact, context)
        case .chargeSucceeded, .chargeFailed, .chargeRefunded:
            guard let (id, fact) = ChargeFact.read(object, reading: &reading) else { return .ignored(.noPaymentIntent) }
            if let problem = PaymentValueCheck.identifier(id) {
                return park(.event(event.position), event: event, reason: problem)
            }
            if let problem = reading.problem ?? PaymentValueCheck.problem(fact) {
                return park(.payment(id), event: event, reason: problem)
            }
            return applyCharge(id, fact, context)
        }
    }

    /// Stripe's `created` of `event` (its `occurred_at` when the body has none): within the ledger's window
    /// and not beyond ``Limits/eventCreatedAheadSecondsMax`` after the event was recorded.
    ///
    /// Invariant: an object's order is decided by `created`, so a value from the far future would outrank
    /// every genuine later event of its object for good; such an event is parked as its own object instead.
    static func created(_ value: JSONValue, event: RecordedEvent) -> Result<Int64, SubscriptionValidation.Failure> {
        var reading = FieldReading()
        let seconds = reading.time(value, "created") ?? event.occurredAt.microsecondsSinceEpoch / 1_000_000
        if let problem = reading.problem { return .failure(.init(reason: problem)) }
        guard EventTime.secondsWindow.contains(seconds) else {
            return .failure(.init(reason: .timeOutOfRange(field: "created", seconds)))
        }
        let recorded = event.recordedAt.microsecondsSinceEpoch / 1_000_000
        guard seconds <= recorded + Limits.eventCreatedAheadSecondsMax else {
            return .failure(.init(reason: .createdInTheFuture(created: seconds, recordedAt: event.recordedAt)))
        }
        return .success(seconds)
    }

    /// Records `reason` for `key`, replacing an older parked event of the same object.
    mutating func park(_ key: ProjectionObjectKey, event: RecordedEvent, reason: ParkReason) -> ApplyOutcome {
        park(key, position: event.position, type: event.type, reason: reason)
    }

    mutating func park(_ key: ProjectionObjectKey, position: Int64, type: String, reason: ParkReason) -> ApplyOutcome {
        parked[key] = ParkedEvent(position: position, eventType: type, reason: reason)
        return .parked(reason)
    }

    /// The objects whose rows may have changed since the last call (for an incremental writer), and resets the set.
    public mutating func takeChangedObjects() -> Set<ProjectionObjectKey> {
        defer { changed = [] }
        return changed
    }

    /// Number of subscriptions and payments the state tracks (with or without a valid row).
    public var objectCounts: (subscriptions: Int, payments: Int) { (subscriptions.count, payments.count) }
}

/// The envelope fields of the event being applied.
struct EventContext {
    let kind: ProjectedEventKind
    let type: String
    let position: Int64
    let eventID: String
    /// Stripe's `created`, in seconds: what ranks the event against the object's others. An observation's is
    /// the time Stripe sent the object.
    let created: Int64
    /// When the fact the event reports happened, for the row's earliest times (`created_at`, `processed_at`):
    /// an event's `created`; an observation's, the time its object gives, when it gives one (``ProjectionState/reportedAt(observing:kind:)``).
    let reportedAt: Int64
    /// The object's own `created` (subscriptions and PaymentIntents): `created_at` is never later than it.
    let objectCreated: Int64?

    /// The earliest time the event tells of its object: what `created_at` is the minimum of.
    var earliestTime: Int64 { min(reportedAt, objectCreated ?? reportedAt) }
}
