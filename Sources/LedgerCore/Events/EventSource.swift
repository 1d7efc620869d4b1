/// The `source` column's values: where an event came from.
public enum EventSource {
    /// A Stripe event, stored verbatim (webhook, file, sync).
    public static let stripe = "stripe"
    /// A native event the ledger itself records (`ledger append`, `ledger mode set`, snapshot records).
    public static let ledger = "ledger"
}
