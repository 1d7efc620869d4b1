import LedgerCore

extension EventStore {
    /// Events read by the first page while looking for the first that states a mode (in a real log it is
    /// the first event), and by each later page.
    static let modeLookupPageEvents = (first: 8, later: 256)

    /// The ledger's mode: the first event in log order that states one (``FixedMode/stated(by:)``), or nil.
    ///
    /// What the projection arrives at by replaying the whole log, found without replaying it: an audit
    /// that replays one customer seeds its state with it, and `ledger status` shows it. The events before
    /// the one that fixed the mode state none, so the answer holds for a replay up to any position.
    public func fixedMode() throws -> FixedMode? {
        var after: Int64 = 0
        while true {
            let page = try read(
                after: after, limit: after == 0 ? Self.modeLookupPageEvents.first : Self.modeLookupPageEvents.later)
            for event in page {
                if let mode = FixedMode.stated(by: event) { return FixedMode(mode: mode, position: event.position) }
            }
            guard let last = page.last else { return nil }
            after = last.position
        }
    }
}
