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
    ///
    /// Each page is read as a range of positions: the log is gapless, so the `limit` events after `after` are
    /// those through `after + limit`, a range pruned to the partition holding it whether PostgreSQL plans it for
    /// its values or runs a generic plan. The open-ended read it replaces (`position > after … LIMIT`) was planned
    /// over every partition at each call: PostgreSQL never settles on a generic plan for a LIMIT it cannot see
    /// (0.49 ms a call at 3.9M events in four partitions, 0.20 ms at one; docs/benchmarks.md). Only an empty
    /// range, left by a detached partition or the log's end, is read open-ended, to find the next attached event.
    public func fixedMode() throws -> FixedMode? {
        var after: Int64 = 0
        while true {
            let limit = after == 0 ? Self.modeLookupPageEvents.first : Self.modeLookupPageEvents.later
            var page = try read(after: after, through: after + Int64(limit), limit: limit)
            if page.isEmpty { page = try read(after: after, limit: limit) }
            for event in page {
                if let mode = FixedMode.stated(by: event) { return FixedMode(mode: mode, position: event.position) }
            }
            guard let last = page.last else { return nil }
            after = last.position
        }
    }
}
