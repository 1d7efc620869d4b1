import LedgerCore

/// The bounds of the Stripe client and `ledger sync`, beside the ledger's other ``Limits``.
extension Limits {
    /// Most attempts of one Stripe request by default (`--attempts`), the first included, and the most allowed.
    public static let stripeRequestAttemptsDefault = 8
    public static let stripeRequestAttemptsMax = 20
    /// The first retry's backoff; each later one doubles up to the max.
    public static let stripeBackoffMillisecondsBase = 500
    public static let stripeBackoffSecondsMax = 30
    /// The longest `Retry-After` honoured; a longer one is cut to this.
    public static let stripeRetryAfterSecondsMax = 60
    /// The largest Stripe response body read (a page of 100 events is a few hundred KiB).
    public static let stripeResponseBytesMax = 64 * 1024 * 1024
    /// How long Stripe lists events (`GET /v1/events`): 30 days.
    public static let stripeEventRetentionSeconds: Int64 = 30 * 86_400
    /// Events one sync window holds in memory by default (`--window-events-max`), and the range allowed.
    public static let syncWindowEventsDefault = 5_000
    public static let syncWindowEventsRange = 100...100_000
    /// The widest sync window, so a sparse account still reports progress now and then.
    public static let syncWindowSecondsMax: Int64 = 7 * 86_400
    /// Most listed pages `ledger sync backfill` hands one append (one transaction, one cursor move): the
    /// pages listed while the previous append committed, so memory holds at most this many pages and one
    /// append's (a few MiB).
    public static let backfillPagesPerAppendMax = 10
}

extension Limits {
    /// `ledger serve --sync-every`: the shortest and longest pause between catch-ups (1 s is for tests).
    public static let syncEverySecondsRange: ClosedRange<Int64> = 1...(7 * 86_400)
}
