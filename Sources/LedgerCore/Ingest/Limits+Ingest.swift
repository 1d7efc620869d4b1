extension Limits {
    /// Largest single JSON document `ledger ingest` and the webhook accept, in bytes.
    ///
    /// Real Stripe events are 1–12 KB; the bound keeps the framer's memory at one
    /// document plus one chunk however long a broken input runs on.
    public static let ingestDocumentBytesMax = 1024 * 1024
    /// Most bytes of rejected documents `ledger ingest` holds before writing them to `ledger.rejected_inputs`.
    ///
    /// Rejections are written in batches of at most this many bytes (or
    /// ``ingestRejectedInputsBufferedMax`` rows), whether or not any valid event
    /// arrives, so memory stays bounded however much invalid input a file holds.
    public static let ingestRejectedBytesBufferedMax = 8 * 1024 * 1024
    /// Most rejected documents `ledger ingest` holds before writing them (see ``ingestRejectedBytesBufferedMax``).
    public static let ingestRejectedInputsBufferedMax = 5_000
    /// Deepest nesting of arrays and objects the envelope scanner accepts (the event object is level 1).
    public static let jsonDepthMax = 64
    /// Longest id, type or kind string the envelope accepts, in characters.
    public static let envelopeStringCharactersMax = 255
    /// Latest `created` the envelope accepts, in Unix seconds (5138-11-16T09:46:39Z); the earliest is 1.
    ///
    /// The window lies inside the ledger's time window (years 1970–9999), so every
    /// accepted `created` is a valid `EventTime` and `timestamptz`. A `created` far
    /// ahead of the moment it was recorded is stored; the projection judges it.
    public static let envelopeCreatedSecondsMax: Int64 = 99_999_999_999
}
