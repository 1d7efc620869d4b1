import Foundation
import LedgerCore

/// One place where the ledger and Stripe disagree: an object's columns, or an object only one side has.
struct ReconcileFinding: Encodable, Sendable {
    enum Kind: String, Encodable, Sendable {
        /// Both have the object; the columns listed differ.
        case differs
        /// Stripe listed the object; the ledger has no row for it.
        case onlyInStripe = "only_in_stripe"
        /// The ledger has a row; Stripe did not list the object (only said when not restricted by `--since`).
        case onlyInLedger = "only_in_ledger"
        /// Stripe's object would be parked by the projection (a value the rules or the tables cannot hold):
        /// an observation would not give it a row, so `--repair` leaves it to `ledger parked`.
        case unprojectable
    }

    /// One column, the ledger's value and the value Stripe's object implies (nil: NULL).
    struct Column: Encodable, Sendable, Equatable {
        var column: String
        var ledger: String?
        var stripe: String?

        enum CodingKeys: String, CodingKey { case column, ledger, stripe }

        /// Writes `null` for NULL rather than leaving the key out.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(column, forKey: .column)
            try container.encode(ledger, forKey: .ledger)
            try container.encode(stripe, forKey: .stripe)
        }
    }

    var object: String
    var table: String
    var kind: Kind
    var columns: [Column] = []
    var reason: String?

    /// One line per column (`sub_… status: ledger "active", Stripe "past_due"`), or one for the object.
    var lines: [String] {
        switch kind {
        case .differs:
            return columns.map {
                "\(object) \($0.column): ledger \(Self.quoted($0.ledger)), Stripe \(Self.quoted($0.stripe))"
            }
        case .onlyInStripe: return ["\(object): Stripe has it, the ledger has no \(table) row"]
        case .onlyInLedger: return ["\(object): the ledger has a \(table) row, Stripe did not list it"]
        case .unprojectable: return ["\(object): Stripe's object cannot become a row: \(reason ?? "parked")"]
        }
    }

    static func quoted(_ value: String?) -> String {
        value.map { "\"\(DisplayText.escaped($0, charactersMax: 80))\"" } ?? "null"
    }
}

/// Compares Stripe's objects with the ledger's rows at one head state, through the projection's own rules
/// (``ObservationRules``): the row an object's observation would give against the row the ledger has.
///
/// Only the columns a Stripe object speaks for are compared: `updated_at` and `processed_at` are the times
/// of the newest fact and of settlement, which an observation (dated by Stripe's clock when it answered)
/// states differently from the events that made the row; ids derived from Stripe's ids, `metadata`,
/// `failure_reason` and `subscription_id` are left out as well.
struct ReconcileComparison {
    typealias S = ProjectedColumn.Subscriptions
    typealias P = ProjectedColumn.PaymentTransactions

    /// The `subscriptions` columns compared.
    static let subscriptionColumns: Set<String> = Set(
        [
            S.status, S.planType, S.billingCycle, S.amountCents, S.currency, S.stripeCustomerID,
            S.currentPeriodStart, S.currentPeriodEnd, S.cancelAtPeriodEnd, S.canceledAt, S.trialStart, S.trialEnd,
            S.licenseID, S.createdAt,
        ].map(\.name))
    /// The `payment_transactions` columns compared.
    static let paymentColumns: Set<String> = Set(
        [P.status, P.amountCents, P.currency, P.refundedAmountCents, P.paymentMethod, P.stripeInvoiceID].map(\.name))

    let state: ProjectionState
    let rules: ObservationRules
    private(set) var findings: [ReconcileFinding] = []
    /// The observations of each object a repair would record (the ones that differ or that the ledger lacks).
    private(set) var repairs: [[Observation]] = []
    private(set) var listedSubscriptions = 0
    private(set) var listedPaymentIntents = 0
    private var seenSubscriptions: Set<String> = []
    private var seenPayments: Set<String> = []

    init(state: ProjectionState) {
        self.state = state
        self.rules = ObservationRules(of: state)
    }

    /// Compares one listed object (a subscription, or a PaymentIntent with its latest charge expanded).
    mutating func compare(_ observation: Observation) {
        switch observation.resource {
        case .subscriptions:
            listedSubscriptions += 1
            seenSubscriptions.insert(observation.objectID)
            let implied = rules.subscriptionRow(observing: observation)
            let ledger = state.subscriptionRow(stripeID: observation.objectID)
            record(
                observation.objectID, table: "subscriptions", ledger: ledger?.columnValues,
                stripe: implied.row?.columnValues, parked: implied.parked,
                compared: Self.subscriptionColumns, observations: [observation])
        case .paymentIntents:
            listedPaymentIntents += 1
            seenPayments.insert(observation.objectID)
            let observations = [observation] + [observation.expandedLatestCharge].compactMap { $0 }
            let implied = rules.paymentRow(observing: observations)
            let ledger = state.paymentRow(paymentIntentID: observation.objectID)
            record(
                observation.objectID, table: "payment_transactions", ledger: ledger?.columnValues,
                stripe: implied.row?.columnValues, parked: implied.parked,
                compared: Self.paymentColumns, observations: observations)
        case .invoices, .charges, .refunds, .disputes:
            break
        }
    }

    private mutating func record(
        _ id: String, table: String, ledger: [ColumnValue]?, stripe: [ColumnValue]?, parked: ParkReason?,
        compared: Set<String>, observations: [Observation]
    ) {
        if let parked, stripe == nil {
            findings.append(ReconcileFinding(object: id, table: table, kind: .unprojectable, reason: "\(parked)"))
            return
        }
        switch (ledger, stripe) {
        case (nil, nil):
            return  // excluded by a correction, or no row either way
        case (nil, _?):
            findings.append(ReconcileFinding(object: id, table: table, kind: .onlyInStripe))
        case (_?, nil):
            return  // Stripe's object gives no row only when a correction excludes it, which the ledger's row follows
        case (let ledger?, let stripe?):
            let columns = ColumnChange.between(ledger, stripe).filter { compared.contains($0.column) }
            guard !columns.isEmpty else { return }
            findings.append(
                ReconcileFinding(
                    object: id, table: table, kind: .differs,
                    columns: columns.map { .init(column: $0.column, ledger: $0.from, stripe: $0.to) }))
        }
        repairs.append(observations)
    }

    /// Adds the ledger's rows that Stripe did not list: every row, or the customer's (a payment counts as the
    /// customer's when its subscription's row does).
    mutating func addRowsNotListed(customer: String?) {
        var subscriptionsOfCustomer: Set<UUID> = []
        for row in state.subscriptionRows() where customer == nil || row.stripeCustomerID == customer {
            subscriptionsOfCustomer.insert(row.id)
            guard !seenSubscriptions.contains(row.stripeSubscriptionID) else { continue }
            findings.append(
                ReconcileFinding(object: row.stripeSubscriptionID, table: "subscriptions", kind: .onlyInLedger))
        }
        for row in state.paymentRows() where !seenPayments.contains(row.stripePaymentIntentID) {
            if customer != nil, !(row.subscriptionID.map(subscriptionsOfCustomer.contains) ?? false) { continue }
            findings.append(
                ReconcileFinding(
                    object: row.stripePaymentIntentID, table: "payment_transactions", kind: .onlyInLedger))
        }
    }
}
