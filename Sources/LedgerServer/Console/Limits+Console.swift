import LedgerCore

/// The bounds of the audit console (`/ui`), beside the server's other ``Limits``.
extension Limits {
    /// How long a console session lasts from sign-in, whatever it does meanwhile (not sliding): a
    /// working day. A restart ends every session sooner (they are kept in memory only).
    public static let consoleSessionSeconds = 8 * 3_600
    /// How long the login form's CSRF cookie lasts: the form must be sent within this.
    public static let consoleLoginFormSeconds = 30 * 60
    /// Sessions kept at once; past it, signing in drops the one that expires first.
    public static let consoleSessionsMax = 1_024
    /// Largest form body the console reads (sign-in, sign-out); a token is at most ``credentialBytesMax``.
    public static let consoleFormBytesMax = 8 * 1_024
    /// Objects listed as recently changed on the search page, and the newest events scanned to find them.
    public static let consoleRecentObjectsMax = 20
    public static let consoleRecentEventsScanned = 500
    /// Events a timeline page shows unless asked for another number (`?limit=`). A page's time grows with the
    /// entries it renders (tools/bench ui: the p95 subscription has ~57); the object's whole history is still
    /// replayed for the column changes, so this bounds the rendering, not the read.
    public static let consoleTimelinePageEvents = 25
    /// Most events a timeline page shows when asked (`?limit=`).
    public static let consoleTimelinePageEventsMax = 200
}
