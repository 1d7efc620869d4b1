/// One object of ``ProjectionState``'s reducer state, encoded: a snapshot file stores one row per record.
///
/// ``ProjectionState/reducerRecords()`` writes them and
/// ``ProjectionState/init(configuration:reducerRecords:)`` reads them back, so a replay continues from a
/// saved position exactly as if it had applied every earlier event.
public struct ReducerRecord: Sendable, Hashable {
    /// Which part of the reducer state a record holds; the raw values are stored and never change.
    ///
    /// Declared in raw-value order, which is the order ``ProjectionState/reducerRecords()`` emits.
    public enum Kind: String, Sendable, CaseIterable {
        /// Refunds and disputes whose charge no event has tied to a PaymentIntent yet; the key is the charge id.
        case chargeAdjustments = "charge_adjustments"
        /// What `ledger correct` recorded for one object (``SubscriptionCorrection``, ``PaymentCorrection``); the
        /// key is the object's, as for ``parked``: `subscription:<id>` or `payment:<id>`.
        case correction = "correction"
        /// The newest payment-bearing event of an invoice; the key is the invoice id.
        case invoice = "invoice"
        /// The newest `invoice.*` event reporting no payment (its type); the key is the invoice id.
        case invoiceLink = "invoice_link"
        /// The invoices billed to a subscription; the key is the subscription id.
        case invoicesBySubscription = "invoices_by_subscription"
        /// A fact about the whole ledger; the key names it (`mode`: ``FixedMode``, once an event has fixed it).
        case ledger = "ledger"
        /// An event that could not become a valid row; the key is its object: `subscription:<id>`, `payment:<id>`
        /// or `event:<position>`.
        case parked = "parked"
        /// Everything kept for one PaymentIntent; the key is its id.
        case payment = "payment"
        /// The PaymentIntent a charge belongs to; the key is the charge id.
        case paymentByCharge = "payment_by_charge"
        /// The PaymentIntents linked to an invoice; the key is the invoice id.
        case paymentsByInvoice = "payments_by_invoice"
        /// The newest event and the newest valid event of a subscription; the key is its id.
        case subscription = "subscription"
        /// The subscription an invoice bills; the key is the invoice id.
        case subscriptionByInvoice = "subscription_by_invoice"
    }

    /// The version byte every ``state`` starts with; bumped whenever the encoding changes.
    ///
    /// 2: a payment keeps its refunds and disputes, a charge its id, an invoice its listed intents; a
    /// PaymentIntent no longer keeps its cancellation reason; a subscription snapshot keeps its discounts.
    ///
    /// 3: a subscription snapshot keeps its metadata's strings and its items' lookup keys and products (the
    /// mapping reads them), and the ledger facts hold the mapping in effect (``MappingSetting``); the corrections
    /// `ledger correct` recorded are kept per object (``Kind/correction``).
    ///
    /// 4: a payment fact keeps when it happened besides when it ranks (``Versioned/reported``: an observation's).
    public static let formatVersion: UInt8 = 4

    /// Which part of the state the record holds.
    public var kind: Kind
    /// The Stripe id, or for ``Kind/parked`` the object key as text.
    public var key: String
    /// The encoded value: ``formatVersion``, then the fields in a fixed order.
    public var state: [UInt8]

    /// A record of `kind` for `key` holding `state`.
    public init(kind: Kind, key: String, state: [UInt8]) {
        self.kind = kind
        self.key = key
        self.state = state
    }
}
