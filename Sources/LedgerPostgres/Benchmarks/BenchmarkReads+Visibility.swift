extension BenchmarkReads {
    /// `$1` Stripe subscription ids (text[]), `$2` PaymentIntent ids (text[]), `$3` a projection's name: which of
    /// those rows exist, and the projection's checkpoint, read in one statement (one snapshot), so a row and the
    /// checkpoint are seen as of the same instant. Kinds: `s` a subscription, `p` a payment, `c` the checkpoint.
    static let selectVisibleRows = """
        SELECT 's', stripe_subscription_id FROM public.subscriptions WHERE stripe_subscription_id = ANY($1::text[])
        UNION ALL
        SELECT 'p', stripe_payment_intent_id FROM public.payment_transactions
        WHERE stripe_payment_intent_id = ANY($2::text[])
        UNION ALL
        SELECT 'c', position::text FROM ledger.checkpoints WHERE projection = $3
        """

    /// What a watcher of the projection sees now.
    public struct VisibleRows: Sendable, Equatable {
        /// Of the subscription ids asked about, those that have a row.
        public var subscriptions: Set<String> = []
        /// Of the PaymentIntent ids asked about, those that have a row.
        public var payments: Set<String> = []
        /// The projection's checkpoint (0 before its first batch).
        public var checkpoint: Int64 = 0
    }

    /// Which of `subscriptions` and `payments` have a row in `subscriptions` / `payment_transactions`, and the
    /// checkpoint of `projection`, as one snapshot of the database shows them.
    public func visibleRows(subscriptions: some Sequence<String>, payments: some Sequence<String>, projection: String)
        throws -> VisibleRows
    {
        var visible = VisibleRows()
        let rows = try connection.query(
            Self.selectVisibleRows,
            [PostgresArrayLiteral.make(subscriptions), PostgresArrayLiteral.make(payments), projection])
        for row in rows {
            let value = try row.decode(String.self, at: 1)
            switch try row.decode(String.self, at: 0) {
            case "s": visible.subscriptions.insert(value)
            case "p": visible.payments.insert(value)
            default: visible.checkpoint = Int64(value) ?? 0
            }
        }
        return visible
    }
}
