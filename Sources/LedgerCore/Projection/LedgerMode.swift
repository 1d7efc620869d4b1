import Foundation

/// Whether a ledger holds Stripe's live data or its test data (Stripe's `livemode`).
///
/// A ledger has one mode, fixed by the first event in log order that states one: a
/// ``ModeSetting`` (`ledger mode set`) or a Stripe event's `livemode`. Events of the other mode
/// stay in the log and are ignored with that reason (``IgnoreReason/otherMode(event:ledger:)``),
/// so test charges never count as revenue in a live ledger. docs/0011-ledger-mode.md says why.
public enum LedgerMode: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    case live
    case test

    /// The mode a Stripe event's `livemode` states; nil when the field is absent or not a boolean.
    init?(livemode value: JSONValue) {
        guard let live = value.bool else { return nil }
        self = live ? .live : .test
    }

    public var description: String { rawValue }
}

/// The ledger's mode and the log position of the event that fixed it.
public struct FixedMode: Sendable, Hashable, Codable {
    public var mode: LedgerMode
    public var position: Int64

    public init(mode: LedgerMode, position: Int64) {
        self.mode = mode
        self.position = position
    }

    /// The mode `event` states, if any: a ``ModeSetting``'s, or a Stripe event's `livemode`.
    ///
    /// The one rule for which events fix a ledger's mode: the projection applies it event by event,
    /// and ``LedgerModeLookup`` (LedgerPostgres) finds the first such event for audits and `status`.
    public static func stated(by event: RecordedEvent) -> LedgerMode? {
        if ModeSetting.isSetting(event) { return ModeSetting(body: event.body)?.mode }
        guard event.source == EventSource.stripe, let tape = try? JSONTape(parsing: event.body) else { return nil }
        return stated(by: event, root: tape.root)
    }

    /// The mode `event`, whose body parsed to `root`, states through Stripe's top-level `livemode`.
    static func stated(by event: RecordedEvent, root: JSONValue) -> LedgerMode? {
        event.source == EventSource.stripe ? LedgerMode(livemode: root["livemode"]) : nil
    }
}

/// The native event that fixes a ledger's mode before Stripe does (`ledger mode set`).
///
/// Stream ``streamID``, type ``type``, source `ledger`, body `{"mode":"live","reason":"…","actor":"…"}`.
/// Only the first event stating a mode counts: a later setting of another mode is ignored with
/// ``IgnoreReason/modeFixed(_:)``, since re-labelling a ledger would recount its history.
public struct ModeSetting: LedgerSetting, Sendable, Equatable, Codable {
    /// The stream every mode setting is appended to.
    public static let streamID = StreamID(.ledger, "mode").description
    /// The stored type string.
    public static let type = "ledger.mode_set"

    public var mode: LedgerMode
    public var reason: String
    public var actor: String

    public init(mode: LedgerMode, reason: String, actor: String) {
        self.mode = mode
        self.reason = reason
        self.actor = actor
    }

    /// The setting a body holds; nil when it names no known mode.
    public init?(body: [UInt8]) {
        guard let tape = try? JSONTape(parsing: body), let mode = tape.root["mode"].string.flatMap(LedgerMode.init)
        else { return nil }
        self.init(mode: mode, reason: tape.root["reason"].string ?? "", actor: tape.root["actor"].string ?? "")
    }
}
