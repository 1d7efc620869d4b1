import LedgerCore

extension Limits {
    /// How long `ledger rebuild` waits, by default, for a projector holding the projection to pause, in
    /// seconds: a follower answers at its next batch boundary (well under a second for a batch of 1,000),
    /// so this only runs out for a holder that does not pause (a one-shot `ledger project`, an older ledger).
    public static let rebuildWaitSecondsDefault = 30
    /// The longest `--wait` a rebuild accepts: an hour, long enough for any catch-up to finish.
    public static let rebuildWaitSecondsMax = 3_600
}
