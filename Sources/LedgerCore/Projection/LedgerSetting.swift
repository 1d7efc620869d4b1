/// A native event that sets something for the whole ledger (`ledger mode set`, `ledger mapping set`): one
/// stream of its own, one type, source `ledger`, a JSON body with the `reason` and `actor` a user gave.
public protocol LedgerSetting: Encodable {
    /// The stream every setting of this kind is appended to.
    static var streamID: String { get }
    /// The stored type string.
    static var type: String { get }
}

extension LedgerSetting {
    /// Whether `event` is a setting of this kind: its stream, type and native source together.
    public static func isSetting(_ event: RecordedEvent) -> Bool {
        event.type == type && event.streamID == streamID && event.source == EventSource.ledger
    }

    /// The body the command appends: one line of JSON, keys sorted.
    public func body() throws -> [UInt8] { Array(try LedgerJSON.encoder().encode(self)) }
}
