extension Limits {
    /// How far Stripe's `created` may lie after the moment the ledger recorded the event, in seconds.
    ///
    /// Stripe creates an event before it delivers it, so `created` later than `recorded_at` is only clock
    /// disagreement — or a forged or corrupted value, which would otherwise outrank every genuine later
    /// event of its object for good ("pin" it). A day is far beyond any real clock skew; an event beyond
    /// it is parked as from the future. Both times are stored, so the verdict is the same on every replay.
    public static let eventCreatedAheadSecondsMax: Int64 = 86_400
}

extension Limits {
    /// How long an event may wait to be applied before `ledger verify` (and `/readyz`) report the projection
    /// as not moving, in seconds: far above a live projector's lag (well under a second) and a scheduled
    /// `ledger project`'s usual period, short enough that tables falling behind are noticed the same hour.
    public static let projectionStalledSecondsMax: Int64 = 900
}
