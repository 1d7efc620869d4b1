/// The ledger's release version, printed by `ledger --version` and recorded in snapshot files.
public enum LedgerVersion {
    public static let current = "0.1.0"
}
