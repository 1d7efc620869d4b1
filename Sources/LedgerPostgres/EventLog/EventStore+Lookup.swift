import LedgerCore

extension EventStore {
    /// `$1` source event id (`evt_…`). Served by `event_keys_source_event_id_key` (migration 018), so it
    /// answers for archived events too.
    static let selectStreamOfSourceEvent = "SELECT stream_id FROM ledger.event_keys WHERE source_event_id = $1 LIMIT 1"

    /// The stream of the event whose source id is `sourceEventID` (a Stripe `evt_…`), nil when the log has none.
    public func stream(ofSourceEvent sourceEventID: String) throws -> String? {
        try connection.query(Self.selectStreamOfSourceEvent, [sourceEventID]).first?.decode(String.self, at: 0)
    }
}
