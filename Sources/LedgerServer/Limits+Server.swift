import LedgerCore

/// The bounds of the HTTP service (`ledger serve`), beside the ledger's other ``Limits``.
extension Limits {
    /// Default largest webhook body accepted (`--body-limit`); Stripe's events are a few KiB.
    public static let webhookBodyBytesDefault = 1024 * 1024
    /// Largest `--body-limit` that may be configured: one append transaction's byte budget.
    public static let webhookBodyBytesMax = appendBatchBytesMax
    /// Largest `--signature-tolerance`: a day; Stripe's own default is 300 s.
    public static let signatureToleranceSecondsMax: Int64 = 86_400

    /// Events per `GET /v1/events` page when `limit` is not given, and the most it may ask for.
    public static let readPageEventsDefault = 100
    public static let readPageEventsMax = 1_000

    /// Connections (one thread each) that serve the read API, readiness and metrics queries.
    public static let databasePoolConnectionsDefault = 4
    public static let databasePoolConnectionsMax = 64
    /// Queries waiting for a pool connection before new ones are answered 503.
    public static let databasePoolQueueRequestsMax = 1_024
    /// Longest one read API statement may run (`statement_timeout` on pool connections).
    public static let readStatementTimeoutSecondsMax = 30

    /// Longest accepted API token or webhook secret, and most of each that may be configured.
    public static let credentialBytesMax = 1_024
    public static let credentialsMax = 64
    /// Longest request head (request line plus headers) the HTTP decoder accepts; more is a 400.
    public static let requestHeadBytesMax = 32 * 1024

    /// Longest wait between two attempts of the live projector to resume after an error.
    public static let projectorRetrySecondsMax = 5
    /// How long the live projector may keep failing, with events waiting and its checkpoint not
    /// moving, before `/readyz` answers 503, unless `--projector-stall-seconds` says otherwise: six retries at the longest retry interval, so one lost
    /// connection or a failover does not flap readiness, and a projection that is truly stuck is
    /// reported within a minute.
    public static let projectorStallSecondsDefault = 30
    /// The longest stall bound `--projector-stall-seconds` takes.
    public static let projectorStallSecondsMax = 3_600
}

extension Limits {
    /// Writer connections of `--no-group-commit` (each append its own transaction).
    public static let transactionPerRequestConnections = 16
    /// Most header fields in one request.
    public static let requestHeaderFieldsMax = 100
    /// Seconds a keep-alive connection may stay idle before the server closes it.
    public static let connectionIdleSecondsMax = 75
    /// Longest a graceful shutdown waits for requests in flight before cancelling them.
    public static let shutdownGraceSecondsMax = 30

    /// Longest a request body may take to arrive, from its head to its end; past it the answer is
    /// 408 and the connection is closed. Stripe's bodies are a few KiB sent at once; a full
    /// `webhookBodyBytesDefault` body still arrives in time at 1 Mbit/s. The idle timeout alone does
    /// not bound a body: every byte trickled resets it.
    public static let requestBodyReadSecondsDefault = 10
    /// The longest `--body-read-timeout` may make that deadline (a slow link, or a loaded test machine);
    /// an unauthenticated body is never held for longer.
    public static let requestBodyReadSecondsMax = 60
    /// Webhook bodies being read at once. A body must be read before its signature can be checked,
    /// so these are unauthenticated: one more is answered 503 with `Retry-After` and nothing of it
    /// is read. 128 × 1 MiB bodies hold ~165 MB at most (500 held ~640 MB before this bound); a
    /// signed delivery reads its body in well under a millisecond, so honest load (Stripe, or
    /// `tools/bench serve` with 64 connections) stays far below it.
    public static let webhookBodyReadsInFlightMax = 128
    /// Seconds a client is told to wait (`Retry-After`) after a 503.
    public static let retryAfterSeconds = 5
}
