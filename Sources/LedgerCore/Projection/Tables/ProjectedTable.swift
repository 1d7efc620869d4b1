/// The projected tables as the schema declares them (migration 001 and later): every column's type,
/// length and nullability, and every CHECK constraint — the one definition of what PostgreSQL refuses.
///
/// The reducer checks each value against these columns before a row leaves it (a value that does not
/// fit parks its event with the column's name), so the row writer never meets a refusal for the data's
/// sake. A test compares this definition with `information_schema` and `pg_constraint` of a migrated
/// database: a migration that changes a limit fails that test until this file follows it.
public enum ProjectedTable: String, Sendable, CaseIterable {
    case subscriptions
    case paymentTransactions = "payment_transactions"

    /// The table's columns, in table order.
    public var columns: [ProjectedColumn] {
        switch self {
        case .subscriptions:
            typealias C = ProjectedColumn.Subscriptions
            return [
                C.id, C.licenseID, C.stripeSubscriptionID, C.stripeCustomerID, C.status, C.planType, C.billingCycle,
                C.amountCents, C.currency, C.currentPeriodStart, C.currentPeriodEnd, C.cancelAtPeriodEnd,
                C.canceledAt, C.trialStart, C.trialEnd, C.createdAt, C.updatedAt, C.metadata,
            ]
        case .paymentTransactions:
            typealias C = ProjectedColumn.PaymentTransactions
            return [
                C.id, C.subscriptionID, C.stripePaymentIntentID, C.stripeInvoiceID, C.amountCents, C.currency,
                C.status, C.paymentMethod, C.failureReason, C.refundedAmountCents, C.processedAt, C.createdAt,
                C.updatedAt, C.metadata,
            ]
        }
    }

    /// The primary key: the row's UUIDv5 of its Stripe id.
    public var primaryKey: ProjectedColumn {
        switch self {
        case .subscriptions: ProjectedColumn.Subscriptions.id
        case .paymentTransactions: ProjectedColumn.PaymentTransactions.id
        }
    }

    /// The column naming the row's Stripe object: unique, and how drift reports and audits name a row.
    public var stripeIDColumn: ProjectedColumn {
        switch self {
        case .subscriptions: ProjectedColumn.Subscriptions.stripeSubscriptionID
        case .paymentTransactions: ProjectedColumn.PaymentTransactions.stripePaymentIntentID
        }
    }

    /// Columns the schema lets be NULL that every projected row fills (its row type's field is not
    /// optional): snapshot and export files declare them NOT NULL.
    public var filledByEveryRow: [ProjectedColumn] {
        switch self {
        case .subscriptions:
            typealias C = ProjectedColumn.Subscriptions
            return [C.stripeSubscriptionID, C.metadata]
        case .paymentTransactions:
            typealias C = ProjectedColumn.PaymentTransactions
            return [C.stripePaymentIntentID, C.refundedAmountCents, C.metadata]
        }
    }

    /// The table's CHECK constraints, by name, with the reducer rule that keeps every row inside each.
    ///
    /// A new CHECK in a migration is refused by the schema test until it is listed here with its rule.
    public var checkConstraints: [String: String] {
        switch self {
        case .subscriptions:
            [
                "subscriptions_status_check": "SubscriptionStatus has exactly the allowed values",
                "subscriptions_plan_type_check": "PlanType has exactly the allowed values",
                "subscriptions_billing_cycle_check": "BillingCycle has exactly the allowed values",
                "subscriptions_amount_cents_check": "SubscriptionValidation.amountCents refuses negative amounts",
            ]
        case .paymentTransactions:
            [
                "payment_transactions_status_check": "PaymentStatus has exactly the allowed values",
                "payment_transactions_amount_cents_check": "PaymentValueCheck refuses negative amounts",
                "payment_transactions_refunded_amount_cents_check": "PaymentValueCheck refuses negative refunds",
            ]
        }
    }
}

/// One column of a projected table: its name in the schema, its type and whether it may be NULL.
public struct ProjectedColumn: Sendable, Hashable {
    /// The column's SQL type, as far as it limits the values it accepts.
    public enum Kind: Sendable, Hashable {
        case uuid, boolean, integer, timestamptz, jsonb, text
        /// `VARCHAR(n)`: at most n characters (Unicode scalars; PostgreSQL counts characters in UTF-8).
        case varchar(Int)
    }

    public let name: String
    public let kind: Kind
    public let nullable: Bool

    init(_ name: String, _ kind: Kind, nullable: Bool) {
        self.name = name
        self.kind = kind
        self.nullable = nullable
    }

    /// The columns of `public.subscriptions`.
    public enum Subscriptions {
        public static let id = ProjectedColumn("id", .uuid, nullable: false)
        public static let licenseID = ProjectedColumn("license_id", .uuid, nullable: false)
        public static let stripeSubscriptionID = ProjectedColumn(
            "stripe_subscription_id", .varchar(255), nullable: true)
        public static let stripeCustomerID = ProjectedColumn("stripe_customer_id", .varchar(255), nullable: true)
        public static let status = ProjectedColumn("status", .varchar(50), nullable: false)
        public static let planType = ProjectedColumn("plan_type", .varchar(50), nullable: false)
        public static let billingCycle = ProjectedColumn("billing_cycle", .varchar(50), nullable: false)
        public static let amountCents = ProjectedColumn("amount_cents", .integer, nullable: false)
        public static let currency = ProjectedColumn("currency", .varchar(3), nullable: false)
        public static let currentPeriodStart = ProjectedColumn("current_period_start", .timestamptz, nullable: true)
        public static let currentPeriodEnd = ProjectedColumn("current_period_end", .timestamptz, nullable: true)
        public static let cancelAtPeriodEnd = ProjectedColumn("cancel_at_period_end", .boolean, nullable: false)
        public static let canceledAt = ProjectedColumn("canceled_at", .timestamptz, nullable: true)
        public static let trialStart = ProjectedColumn("trial_start", .timestamptz, nullable: true)
        public static let trialEnd = ProjectedColumn("trial_end", .timestamptz, nullable: true)
        public static let createdAt = ProjectedColumn("created_at", .timestamptz, nullable: false)
        public static let updatedAt = ProjectedColumn("updated_at", .timestamptz, nullable: false)
        public static let metadata = ProjectedColumn("metadata", .jsonb, nullable: true)
    }

    /// The columns of `public.payment_transactions`.
    public enum PaymentTransactions {
        public static let id = ProjectedColumn("id", .uuid, nullable: false)
        public static let subscriptionID = ProjectedColumn("subscription_id", .uuid, nullable: true)
        public static let stripePaymentIntentID = ProjectedColumn(
            "stripe_payment_intent_id", .varchar(255), nullable: true)
        public static let stripeInvoiceID = ProjectedColumn("stripe_invoice_id", .varchar(255), nullable: true)
        public static let amountCents = ProjectedColumn("amount_cents", .integer, nullable: false)
        public static let currency = ProjectedColumn("currency", .varchar(3), nullable: false)
        public static let status = ProjectedColumn("status", .varchar(50), nullable: false)
        public static let paymentMethod = ProjectedColumn("payment_method", .varchar(50), nullable: true)
        public static let failureReason = ProjectedColumn("failure_reason", .text, nullable: true)
        public static let refundedAmountCents = ProjectedColumn("refunded_amount_cents", .integer, nullable: true)
        public static let processedAt = ProjectedColumn("processed_at", .timestamptz, nullable: true)
        public static let createdAt = ProjectedColumn("created_at", .timestamptz, nullable: false)
        public static let updatedAt = ProjectedColumn("updated_at", .timestamptz, nullable: false)
        public static let metadata = ProjectedColumn("metadata", .jsonb, nullable: true)
    }
}

extension ProjectedColumn {
    /// Why PostgreSQL would refuse `text` in this text or varchar column, or nil when it fits.
    ///
    /// `text` and `varchar` cannot hold U+0000 (SQLSTATE 22021); `varchar(n)` holds n characters (22001).
    func problem(storing text: String) -> ParkReason? {
        var characters = 0
        for scalar in text.unicodeScalars {
            if scalar.value == 0 {
                return .valueDoesNotFit(column: name, "contains U+0000, which PostgreSQL text cannot hold")
            }
            characters += 1
        }
        if case .varchar(let maximum) = kind, characters > maximum {
            return .valueDoesNotFit(column: name, "is \(characters) characters long; the column holds \(maximum)")
        }
        return nil
    }

    /// ``problem(storing:)`` for an optional value: NULL always fits a nullable column.
    func problem(storing text: String?) -> ParkReason? {
        guard let text else { return nullable ? nil : .valueDoesNotFit(column: name, "is missing") }
        return problem(storing: text)
    }

    /// Why a time in Unix seconds cannot be this column's value: outside the ledger's window.
    func problem(storingSeconds seconds: Int64?) -> ParkReason? {
        guard let seconds else { return nullable ? nil : .valueDoesNotFit(column: name, "is missing") }
        return EventTime.secondsWindow.contains(seconds) ? nil : .timeOutOfRange(field: name, seconds)
    }
}
