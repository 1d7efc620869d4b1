/// What a `payment_intent.*` event says about its PaymentIntent.
struct PaymentIntentFact: Sendable, Hashable {
    var amount: Int64?
    var currency: String?
    var status: PaymentStatus
    var failureMessage: String?
    /// Pre-2025 shape only: the invoice the intent pays.
    var invoiceID: String?
    /// The type of the intent's own payment method (expanded `payment_method`, else `latest_charge`'s, else the
    /// failed one), or the only entry of `payment_method_types`.
    var methodType: String?
    var metadata: String
}

extension PaymentIntentFact {
    /// Reads `object` as a PaymentIntent; returns its id and fact, or nil without an `id`.
    static func read(
        _ object: JSONValue, event: ProjectedEventKind.PaymentIntentEvent, reading: inout FieldReading
    ) -> (String, Self)? {
        guard let id = object["id"].string else { return nil }
        let error = object["last_payment_error"]
        let stripeStatus = object["status"].string ?? ""
        let status: PaymentStatus
        switch (stripeStatus, event) {
        case ("succeeded", _): status = .succeeded
        case ("canceled", _): status = .canceled
        case (_, .paymentFailed): status = .failed
        case ("requires_payment_method", .other) where error.isObject: status = .failed
        default: status = .pending
        }
        let types = object["payment_method_types"].elements.compactMap(\.string)
        let methodType =
            object["payment_method"]["type"].string ?? object["latest_charge"]["payment_method_details"]["type"].string
            ?? error["payment_method"]["type"].string ?? (types.count == 1 ? types[0] : nil)
        if let problem = object["metadata"].jsonbProblem {
            reading.record(.valueDoesNotFit(column: "metadata", problem + ", which jsonb cannot hold"))
        }
        let fact = PaymentIntentFact(
            amount: reading.integer(object["amount"], "amount"), currency: object["currency"].string, status: status,
            failureMessage: error["message"].string,
            invoiceID: object["invoice"].string ?? object["invoice"]["id"].string, methodType: methodType,
            metadata: object["metadata"].isObject ? object["metadata"].canonicalJSON : "{}")
        return (id, fact)
    }

    /// The ids of the charges a PaymentIntent object names: `latest_charge` (an id or the expanded charge) and,
    /// in the pre-2025 shape, each entry of `charges.data`.
    static func chargeIDs(_ object: JSONValue) -> [String] {
        var ids: [String] = []
        if let latest = object["latest_charge"].string ?? object["latest_charge"]["id"].string { ids.append(latest) }
        for charge in object["charges"]["data"].elements {
            if let id = charge["id"].string, !ids.contains(id) { ids.append(id) }
        }
        return ids
    }
}

/// What a `charge.*` event says about the latest charge of a PaymentIntent.
struct ChargeFact: Sendable, Hashable {
    /// The charge's own id, which refunds and disputes that name no PaymentIntent are found by.
    var chargeID: String?
    var amount: Int64?
    var currency: String?
    var amountRefunded: Int64
    var fullyRefunded: Bool
    var status: PaymentStatus
    var methodType: String?
    var failureMessage: String?
    /// Pre-2025 shape only.
    var invoiceID: String?

    /// Reads `object` as a Charge; returns its PaymentIntent id and fact, or nil when it names none.
    static func read(_ object: JSONValue, reading: inout FieldReading) -> (String, Self)? {
        guard let paymentIntentID = object["payment_intent"].string ?? object["payment_intent"]["id"].string
        else { return nil }
        let amount = reading.integer(object["amount"], "amount")
        let refunded = reading.integer(object["amount_refunded"], "amount_refunded") ?? 0
        // Invariant: a refund only counts as full when Stripe says so or the whole amount came back.
        let full = object["refunded"].bool == true || (amount.map { $0 > 0 && refunded >= $0 } ?? false)
        let status: PaymentStatus
        switch object["status"].string {
        case "succeeded": status = full ? .refunded : .succeeded
        case "failed": status = .failed
        default: status = .pending
        }
        let fact = ChargeFact(
            chargeID: object["id"].string, amount: amount, currency: object["currency"].string,
            amountRefunded: refunded, fullyRefunded: full,
            status: status, methodType: object["payment_method_details"]["type"].string,
            failureMessage: object["failure_message"].string,
            invoiceID: object["invoice"].string ?? object["invoice"]["id"].string)
        return (paymentIntentID, fact)
    }
}

/// What an `invoice.*` event says: the subscription it bills and, pre-2025, the intent paying it.
struct InvoiceFact: Sendable, Hashable {
    var subscriptionID: String?
    var paymentIntentID: String?
    /// The intents of the invoice's expanded `payments` list (2025+ shape): links only, never a status.
    var paymentListIntentIDs: [String]
    /// The payment status the event reports for `paymentIntentID` (only events that report payment have one).
    var status: PaymentStatus
    var amountDue: Int64?
    var currency: String?

    /// Reads `object` as an Invoice; returns its id and fact, or nil without an `id`.
    static func read(_ object: JSONValue, status: PaymentStatus, reading: inout FieldReading) -> (String, Self)? {
        guard let id = object["id"].string else { return nil }
        let subscription =
            object["subscription"].string ?? object["subscription"]["id"].string
            ?? object["parent"]["subscription_details"]["subscription"].string
            ?? object["parent"]["subscription_details"]["subscription"]["id"].string
        let listed = object["payments"]["data"].elements.compactMap {
            $0["payment"]["payment_intent"].string ?? $0["payment"]["payment_intent"]["id"].string
        }
        let fact = InvoiceFact(
            subscriptionID: subscription,
            paymentIntentID: object["payment_intent"].string ?? object["payment_intent"]["id"].string,
            paymentListIntentIDs: listed, status: status,
            amountDue: reading.integer(object["amount_due"], "amount_due"),
            currency: object["currency"].string)
        return (id, fact)
    }
}

/// What an `invoice_payment.paid` event says: which intent paid which invoice (2025+ shape).
struct InvoicePaymentFact: Sendable, Hashable {
    var invoiceID: String
    var amount: Int64?
    var currency: String?

    /// Reads `object` as an InvoicePayment; returns its PaymentIntent id and fact, or nil when it names none.
    static func read(_ object: JSONValue, reading: inout FieldReading) -> (String, Self)? {
        let payment = object["payment"]
        guard let paymentIntentID = payment["payment_intent"].string ?? payment["payment_intent"]["id"].string,
            let invoiceID = object["invoice"].string ?? object["invoice"]["id"].string
        else { return nil }
        let fact = InvoicePaymentFact(
            invoiceID: invoiceID,
            amount: reading.integer(object["amount_paid"], "amount_paid")
                ?? reading.integer(object["amount_requested"], "amount_requested"),
            currency: object["currency"].string)
        return (paymentIntentID, fact)
    }
}

/// What a Refund object says (`refund.*`, `charge.refund.updated`): how much of which payment came back.
struct RefundFact: Sendable, Hashable {
    var paymentIntentID: String?
    var chargeID: String?
    var amount: Int64?
    /// Only a succeeded refund returned money; a pending, failed or canceled one counts nothing.
    var succeeded: Bool
    /// Same-second tie order: a refund settles (succeeded) and may fail or be canceled after that.
    var rank: Int

    /// Reads `object` as a Refund; returns its id and fact, or nil without an `id`.
    static func read(_ object: JSONValue, reading: inout FieldReading) -> (String, Self)? {
        guard let id = object["id"].string else { return nil }
        let status = object["status"].string
        let rank =
            switch status {
            case "succeeded": 1
            case "failed", "canceled": 2
            default: 0
            }
        let fact = RefundFact(
            paymentIntentID: object["payment_intent"].string ?? object["payment_intent"]["id"].string,
            chargeID: object["charge"].string ?? object["charge"]["id"].string,
            amount: reading.integer(object["amount"], "amount"), succeeded: status == "succeeded", rank: rank)
        return (id, fact)
    }
}

/// What a Dispute object says (`charge.dispute.*`): whether the disputed amount went back to the customer.
struct DisputeFact: Sendable, Hashable {
    /// How a dispute bears on its payment: only a lost one returned money.
    enum Outcome: Sendable, Hashable {
        case open, won, lost
    }

    var paymentIntentID: String?
    var chargeID: String?
    var amount: Int64?
    var outcome: Outcome

    /// Same-second tie order: a closed dispute outranks an open one.
    var rank: Int { outcome == .open ? 0 : 1 }

    /// Reads `object` as a Dispute; returns its id and fact, or nil without an `id`.
    static func read(_ object: JSONValue, reading: inout FieldReading) -> (String, Self)? {
        guard let id = object["id"].string else { return nil }
        let outcome: Outcome =
            switch object["status"].string {
            case "won": .won
            case "lost": .lost
            default: .open
            }
        let fact = DisputeFact(
            paymentIntentID: object["payment_intent"].string ?? object["payment_intent"]["id"].string,
            chargeID: object["charge"].string ?? object["charge"]["id"].string,
            amount: reading.integer(object["amount"], "amount"), outcome: outcome)
        return (id, fact)
    }
}

/// A fact with the event it came from, ordered so the newest wins whatever the delivery order.
struct Versioned<Value: Sendable & Hashable>: Sendable, Hashable {
    var value: Value
    /// Stripe's `created` of the event, in seconds: what ranks it.
    var created: Int64
    /// When the fact happened (``EventContext/reportedAt``): `created` for an event; for an observation, the
    /// time its object gives (a failed charge's `created`), else the observation's. A failure's `processed_at`.
    var reported: Int64
    /// Same-second tie order decided by the payload (higher wins).
    var rank: Int
    var position: Int64
    var eventID: String

    init(value: Value, created: Int64, reported: Int64? = nil, rank: Int, position: Int64, eventID: String) {
        self.value = value
        self.created = created
        self.reported = reported ?? created
        self.rank = rank
        self.position = position
        self.eventID = eventID
    }

    /// How an incoming event compares with this one.
    func compare(created: Int64, rank: Int, position: Int64, eventID: String) -> Recency {
        if !eventID.isEmpty, eventID == self.eventID { return .duplicate }
        if position == self.position { return .duplicate }
        if (created, rank, position) > (self.created, self.rank, self.position) { return .newer }
        return .stale
    }
}

/// Whether an incoming event supersedes what was applied for its object.
enum Recency {
    case newer, duplicate, stale
}
