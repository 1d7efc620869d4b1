import Foundation

/// One column of a projected row as audits show it: the column's name (``ProjectedTable``) and its value as text.
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

extension ColumnValue {
    /// The value of one of a projected table's columns, named as the schema names it (``ProjectedTable``).
    init(_ column: ProjectedColumn, _ value: String?) {
        self.init(column.name, value)
    }
}

extension SubscriptionRow {
    /// The row's columns in table order, as audits show them.
    public var columnValues: [ColumnValue] {
        typealias C = ProjectedColumn.Subscriptions
        return [
            ColumnValue(C.id, id.auditText), ColumnValue(C.licenseID, licenseID.auditText),
            ColumnValue(C.stripeSubscriptionID, stripeSubscriptionID),
            ColumnValue(C.stripeCustomerID, stripeCustomerID),
            ColumnValue(C.status, status.rawValue), ColumnValue(C.planType, planType.rawValue),
            ColumnValue(C.billingCycle, billingCycle.rawValue), ColumnValue(C.amountCents, String(amountCents)),
            ColumnValue(C.currency, currency), ColumnValue(C.currentPeriodStart, currentPeriodStart?.description),
            ColumnValue(C.currentPeriodEnd, currentPeriodEnd?.description),
            ColumnValue(C.cancelAtPeriodEnd, String(cancelAtPeriodEnd)),
            ColumnValue(C.canceledAt, canceledAt?.description), ColumnValue(C.trialStart, trialStart?.description),
            ColumnValue(C.trialEnd, trialEnd?.description), ColumnValue(C.createdAt, createdAt.description),
            ColumnValue(C.updatedAt, updatedAt.description), ColumnValue(C.metadata, metadata),
        ]
    }
}

extension PaymentTransactionRow {
    /// The row's columns in table order, as audits show them.
    public var columnValues: [ColumnValue] {
        typealias C = ProjectedColumn.PaymentTransactions
        return [
            ColumnValue(C.id, id.auditText), ColumnValue(C.subscriptionID, subscriptionID?.auditText),
            ColumnValue(C.stripePaymentIntentID, stripePaymentIntentID),
            ColumnValue(C.stripeInvoiceID, stripeInvoiceID),
            ColumnValue(C.amountCents, String(amountCents)), ColumnValue(C.currency, currency),
            ColumnValue(C.status, status.rawValue), ColumnValue(C.paymentMethod, paymentMethod),
            ColumnValue(C.failureReason, failureReason),
            ColumnValue(C.refundedAmountCents, String(refundedAmountCents)),
            ColumnValue(C.processedAt, processedAt?.description), ColumnValue(C.createdAt, createdAt.description),
            ColumnValue(C.updatedAt, updatedAt.description), ColumnValue(C.metadata, metadata),
        ]
    }
}

extension UUID {
    /// Lower case, as PostgreSQL prints a `uuid`.
    fileprivate var auditText: String { uuidString.lowercased() }
}
