import Foundation
import LedgerCore
import LedgerPostgres

/// The events one audit replays: every event that can change the rows of the customer the reference
/// belongs to, in log order, up to a cut.
///
/// The reducer's rows for a subscription and its payments depend only on events that name the
/// customer (subscription, invoice, PaymentIntent and charge objects carry `customer`), on the
/// 2025+ `invoice_payment` events of the customer's invoices, which name only the invoice, and on
/// the refund and dispute events of the customer's payments, which name only the PaymentIntent
/// and/or the charge. All are index lookups (migrations 007 and 020), so an audit costs what the
/// customer's history costs, whatever the size of the log. A stream whose events name no customer
/// is replayed with what it links, and a subscription whose history is asked for without its
/// payments is replayed on its own (its row depends on its stream alone).
struct AuditEvents {
    /// The Stripe subscription, customer or PaymentIntent the reference names.
    var focus: AuditFocus
    var customerID: String?
    /// What the replay applies, in log order: ``named``, the events they link, and ``settings``.
    var events: [RecordedEvent]
    /// The events read by the customer or the stream (the rest are found through their links).
    var named: [RecordedEvent]
    /// The mapping settings.
    var settings: [RecordedEvent]
    /// The ledger's mode, which a replay of these events alone cannot know: its state starts from it.
    var mode: FixedMode?
    /// `licenses`, when a mapping in the log reads it (``LicenseTable``).
    var licenses: LicenseTable?

    /// An empty reducer state for replaying ``events``, knowing the ledger's mode and, for a mapping that
    /// reads it, `licenses`. The mapping settings (``MappingSetting``) are among ``events``.
    func initialState() -> ProjectionState {
        var state = ProjectionState(mode: mode)
        state.licenses = licenses
        return state
    }

    static func read(
        _ reference: AuditReference, includePayments: Bool, cut: AuditCut, connection: PostgresConnection
    ) throws -> AuditEvents {
        let store = EventStore(connection: connection)
        let focus = try AuditFocus(reference, includePayments: includePayments, connection: connection)
        let mode = try store.fixedMode()
        let customerID: String?
        var streamEvents: [RecordedEvent] = []
        if case .customer(let id) = focus {
            guard try store.hasEvents(ofCustomer: id) else { throw AuditReferenceNotFound(reference: reference) }
            customerID = id
        } else if let stream = focus.streamID {
            // Events of the stream itself, in case some name no customer (or none does). They usually answer
            // the next two questions too, each of which would otherwise be one more read of every partition.
            streamEvents = try store.readStream(stream, through: cut)
            guard try !streamEvents.isEmpty || store.hasEvents(inStream: stream) else {
                throw AuditReferenceNotFound(reference: reference)
            }
            customerID = try Self.customer(settledBy: streamEvents) ?? store.customer(ofStream: stream)
        } else {
            customerID = nil
        }
        // The mapping settings map every subscription from their position on: a replay applies them in place.
        let settings = try store.readStream(MappingSetting.streamID, through: cut).filter(MappingSetting.isSetting)
        // The replay applies only these settings, so they alone say whether it reads `licenses`.
        let licenses = try LicenseTable.loadIfOneReadsIt(settings, connection)
        let customerEvents =
            focus.needsCustomerEvents ? try customerID.map { try store.readCustomer($0, through: cut) } ?? [] : []
        return try linking(
            focus: focus, customerID: customerID, named: Self.merged([customerEvents, streamEvents]),
            settings: settings, mode: mode, licenses: licenses, store: store, cut: cut)
    }

    /// The events of ``read(_:includePayments:cut:connection:)`` for `named` and `settings` read through `cut`:
    /// those and, when the focus needs the customer's events, the events they link.
    private static func linking(
        focus: AuditFocus, customerID: String?, named: [RecordedEvent], settings: [RecordedEvent], mode: FixedMode?,
        licenses: LicenseTable?, store: EventStore, cut: AuditCut
    ) throws -> AuditEvents {
        let linked = focus.needsCustomerEvents ? try linkedEvents(to: named, mode: mode, store, cut) : []
        return AuditEvents(
            focus: focus, customerID: customerID, events: merged([named, linked, settings]), named: named,
            settings: settings, mode: mode, licenses: licenses)
    }

    /// The events ``read(_:includePayments:cut:connection:)`` gives for `cut`, from these (read through a later cut
    /// or the whole log): the named events and settings are those within `cut`, and the events they link are
    /// looked up again through `cut`, since a link may be known only from an event past it.
    func through(_ cut: AuditCut, connection: PostgresConnection) throws -> AuditEvents {
        try Self.linking(
            focus: focus, customerID: customerID, named: named.filter(cut.includes),
            settings: settings.filter(cut.includes), mode: mode, licenses: licenses,
            store: EventStore(connection: connection), cut: cut)
    }

    /// The events that name no customer but bear on the payments `events` know: the `invoice_payment.*` events
    /// of their invoices and PaymentIntents (an invoice_payment names an invoice and an intent; either may be the
    /// customer's only link to the other), and the refund and dispute events of their intents and charges (a
    /// refund or dispute may name only its charge, which a charge event ties to the intent), and of those these
    /// reveal in turn, up to a fixed point.
    static func linkedEvents(
        to events: [RecordedEvent], mode: FixedMode?, _ store: EventStore, _ cut: AuditCut
    ) throws -> [RecordedEvent] {
        var links = ProjectionState(mode: mode)
        for event in events { _ = links.apply(event) }
        var found: [Int64: RecordedEvent] = [:]
        var asked: (invoices: Set<String>, intents: Set<String>, charges: Set<String>) = ([], [], [])
        for _ in 0..<Limits.auditLinkRoundsMax {
            let invoices = links.knownInvoiceIDs.subtracting(asked.invoices)
            let intents = links.knownPaymentIntentIDs.subtracting(asked.intents)
            let charges = links.knownChargeIDs.subtracting(asked.charges)
            guard !invoices.isEmpty || !intents.isEmpty || !charges.isEmpty else { break }
            asked.invoices.formUnion(invoices)
            asked.intents.formUnion(intents)
            asked.charges.formUnion(charges)
            let read =
                try store.readInvoicePayments(invoices: invoices, paymentIntents: intents, through: cut)
                + store.readAdjustments(paymentIntents: intents, charges: charges, through: cut)
            // In log order, as the replay will apply them: the same links win where two events disagree.
            for event in read.sorted(by: { $0.position < $1.position }) {
                guard found.updateValue(event, forKey: event.position) == nil else { continue }
                _ = links.apply(event)
            }
        }
        return found.values.sorted { $0.position < $1.position }
    }

    /// The customer named by the first event of a stream that names one, when `events` — the stream's events
    /// through a cut, in version order — settle it: the first of them naming a customer, if every version before
    /// it is among them (a version outside the cut, or in a detached partition, could name another). Nil
    /// when they do not settle it, for ``EventStore/customer(ofStream:)`` to answer.
    static func customer(settledBy events: [RecordedEvent]) -> String? {
        for (index, event) in events.enumerated() {
            guard event.streamVersion == Int64(index) + 1 else { return nil }
            if let customer = event.customerID { return customer }
        }
        return nil
    }

    /// The union of position-ordered lists, in position order, each position once.
    static func merged(_ lists: [[RecordedEvent]]) -> [RecordedEvent] {
        var seen: Set<Int64> = []
        return lists.joined().sorted { $0.position < $1.position }.filter { seen.insert($0.position).inserted }
    }
}

extension AuditCut {
    /// Whether `event` is within the cut, as the audit queries select it (`position <= $3 AND recorded_at <= $4`).
    func includes(_ event: RecordedEvent) -> Bool {
        event.position <= position && recordedAt.map { event.recordedAt <= $0 } ?? true
    }
}

/// The object an audit reports on.
enum AuditFocus: Sendable, Hashable {
    case subscription(String, includePayments: Bool)
    case customer(String)
    case paymentIntent(String)

    /// The focus `reference` names; a subscription UUID is turned into its Stripe id through the projected table.
    init(_ reference: AuditReference, includePayments: Bool, connection: PostgresConnection) throws {
        switch reference {
        case .subscription(let id): self = .subscription(id, includePayments: includePayments)
        case .customer(let id): self = .customer(id)
        case .paymentIntent(let id): self = .paymentIntent(id)
        case .subscriptionRowID(let rowID):
            guard let id = try SubscriptionRows(connection: connection).stripeSubscriptionID(ofRow: rowID) else {
                throw AuditReferenceNotFound(reference: reference)
            }
            self = .subscription(id, includePayments: includePayments)
        }
    }

    /// Whether the report needs the customer's other events: a subscription's own row depends only on its
    /// stream (the reducer reads nothing else for it), so its history without payments reads just that.
    var needsCustomerEvents: Bool {
        if case .subscription(_, includePayments: false) = self { return false }
        return true
    }

    /// The log stream of the focus object (none for a customer: its events span many streams).
    var streamID: String? {
        switch self {
        case .subscription(let id, _): StreamID.subscription(id).description
        case .paymentIntent(let id): StreamID.payment(id).description
        case .customer: nil
        }
    }

    /// Whether the report shows `event`, given what it is about.
    func shows(_ event: RecordedEvent, subject: EventSubject) -> Bool {
        switch self {
        case .subscription(let id, let includePayments):
            event.streamID == streamID || (includePayments && subject.subscriptionID == id)
        case .customer: true
        case .paymentIntent(let id): event.streamID == streamID || subject.paymentIntentIDs.contains(id)
        }
    }

    /// Whether the report covers the row of `key` in `state`.
    func covers(_ key: ProjectionObjectKey, in state: ProjectionState) -> Bool {
        switch (self, key) {
        case (.customer, .subscription), (.customer, .payment): true
        case (.subscription(let id, _), .subscription(let other)): id == other
        case (.subscription(let id, let includePayments), .payment(let payment)):
            includePayments && state.paymentIDs(ofSubscription: id).contains(payment)
        case (.paymentIntent(let id), .payment(let other)): id == other
        default: false
        }
    }
}
