import LedgerCore

extension LicenseLookup {
    /// The channel `licenses` notifies after a statement inserted or updated licenses (migration 012).
    public static let notificationChannel = "ledger_licenses"
}

extension Limits {
    /// The longest a following projector with parked subscriptions goes without rechecking `licenses`,
    /// should a NOTIFY not come (rows loaded without triggers, e.g. by logical replication).
    public static let parkedRecheckSecondsMax: Int64 = 15
}
