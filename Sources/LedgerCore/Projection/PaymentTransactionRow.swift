import Foundation

/// A payment's status as stored in `payment_transactions.status`.
public enum PaymentStatus: String, Sendable, Hashable, CaseIterable {
    case pending, succeeded, failed, refunded, canceled

    /// Same-second tie order between sources: a later stage of a payment outranks an earlier one.
    var tieRank: Int {
        switch self {
        case .pending: 0
        case .failed: 1
        case .canceled: 2
        case .succeeded: 3
        case .refunded: 4
        }
    }
}

/// One row of `public.payment_transactions`, column for column: one per PaymentIntent.
public struct PaymentTransactionRow: Sendable, Hashable {
    /// UUIDv5 of the PaymentIntent id.
    public var id: UUID
    /// UUIDv5 of the subscription the invoice belongs to, only while that subscription has a row.
    public var subscriptionID: UUID?
    public var stripePaymentIntentID: String
    public var stripeInvoiceID: String?
    public var amountCents: Int32
    /// ISO 4217, upper-case.
    public var currency: String
    public var status: PaymentStatus
    /// The payment method type (`card`, `sepa_debit`, …).
    public var paymentMethod: String?
    public var failureReason: String?
    public var refundedAmountCents: Int32
    /// When the payment first succeeded, or when it failed or was canceled; nil while pending.
    public var processedAt: EventTime?
    /// The earliest event time seen for this payment.
    public var createdAt: EventTime
    /// The time of the newest event the row derives from.
    public var updatedAt: EventTime
    /// The PaymentIntent's metadata as canonical JSON.
    public var metadata: String

    public init(
        id: UUID, subscriptionID: UUID?, stripePaymentIntentID: String, stripeInvoiceID: String?, amountCents: Int32,
        currency: String, status: PaymentStatus, paymentMethod: String?, failureReason: String?,
        refundedAmountCents: Int32, processedAt: EventTime?, createdAt: EventTime, updatedAt: EventTime,
        metadata: String
    ) {
        self.id = id
        self.subscriptionID = subscriptionID
        self.stripePaymentIntentID = stripePaymentIntentID
        self.stripeInvoiceID = stripeInvoiceID
        self.amountCents = amountCents
        self.currency = currency
        self.status = status
        self.paymentMethod = paymentMethod
        self.failureReason = failureReason
        self.refundedAmountCents = refundedAmountCents
        self.processedAt = processedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.metadata = metadata
    }
}
