import Foundation

/// One column of a projected row as audits show it: the column's name in migration 001 and its value as text.
///
/// Values are written the way snapshots store them: UUIDs in lower case, times as ISO 8601 UTC with
/// microseconds, booleans as `true`/`false`, `metadata` as its canonical JSON; SQL NULL is `nil`.
public struct ColumnValue: Sendable, Hashable {
    public var column: String
    public var value: String?

    public init(_ column: String, _ value: String?) {
        self.column = column
        self.value = value
    }
}

/// A column whose value an event changed, old and new (`nil` for NULL or a row that did not exist).
public struct ColumnChange: Sendable, Hashable, Codable {
    public var column: String
    public var from: String?
    public var to: String?

    public init(column: String, from: String?, to: String?) {
        self.column = column
        self.from = from
        self.to = to
    }

    /// Always writes `from` and `to`, `null` for NULL: a reader should not have to tell absent from NULL.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(column, forKey: .column)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
    }

    /// The columns that differ between two versions of one row; a missing row counts as all NULL.
    public static func between(_ old: [ColumnValue]?, _ new: [ColumnValue]?) -> [ColumnChange] {
        let columns = (new ?? old ?? []).map(\.column)
        let before = Dictionary(uniqueKeysWithValues: (old ?? []).map { ($0.column, $0.value) })
        let after = Dictionary(uniqueKeysWithValues: (new ?? []).map { ($0.column, $0.value) })
        return columns.compactMap { column in
            let from = before[column] ?? nil
            let to = after[column] ?? nil
            return from == to ? nil : ColumnChange(column: column, from: from, to: to)
        }
    }
}

extension SubscriptionRow {
    /// The row's columns in table order, as audits show them.
    public var columnValues: [ColumnValue] {
        [
            ColumnValue("id", id.auditText), ColumnValue("license_id", licenseID.auditText),
            ColumnValue("stripe_subscription_id", stripeSubscriptionID),
            ColumnValue("stripe_customer_id", stripeCustomerID), ColumnValue("status", status.rawValue),
            ColumnValue("plan_type", planType.rawValue), ColumnValue("billing_cycle", billingCycle.rawValue),
            ColumnValue("amount_cents", String(amountCents)), ColumnValue("currency", currency),
            ColumnValue("current_period_start", currentPeriodStart?.description),
            ColumnValue("current_period_end", currentPeriodEnd?.description),
            ColumnValue("cancel_at_period_end", String(cancelAtPeriodEnd)),
            ColumnValue("canceled_at", canceledAt?.description), ColumnValue("trial_start", trialStart?.description),
            ColumnValue("trial_end", trialEnd?.description), ColumnValue("created_at", createdAt.description),
            ColumnValue("updated_at", updatedAt.description), ColumnValue("metadata", metadata),
        ]
    }
}

extension PaymentTransactionRow {
    /// The row's columns in table order, as audits show them.
    public var columnValues: [ColumnValue] {
        [
            ColumnValue("id", id.auditText), ColumnValue("subscription_id", subscriptionID?.auditText),
            ColumnValue("stripe_payment_intent_id", stripePaymentIntentID),
            ColumnValue("stripe_invoice_id", stripeInvoiceID), ColumnValue("amount_cents", String(amountCents)),
            ColumnValue("currency", currency), ColumnValue("status", status.rawValue),
            ColumnValue("payment_method", paymentMethod), ColumnValue("failure_reason", failureReason),
            ColumnValue("refunded_amount_cents", String(refundedAmountCents)),
            ColumnValue("processed_at", processedAt?.description), ColumnValue("created_at", createdAt.description),
            ColumnValue("updated_at", updatedAt.description), ColumnValue("metadata", metadata),
        ]
    }
}

extension UUID {
    /// Lower case, as PostgreSQL prints a `uuid`.
    fileprivate var auditText: String { uuidString.lowercased() }
}
