extension Limits {
    /// Largest single JSON document `ledger ingest` and the webhook accept, in bytes.
    ///
    /// Real Stripe events are 1–12 KB; the bound keeps the framer's memory at one
    /// document plus one chunk however long a broken input runs on.
    public static let ingestDocumentBytesMax = 1024 * 1024
    /// Deepest nesting of arrays and objects the envelope scanner accepts (the event object is level 1).
    public static let jsonDepthMax = 64
    /// Longest id, type or kind string the envelope accepts, in characters.
    public static let envelopeStringCharactersMax = 255
}
