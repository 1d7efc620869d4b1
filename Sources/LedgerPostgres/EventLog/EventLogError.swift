import LedgerCore

/// A stream was not at the version its writer expected; nothing of the batch was written.
public struct VersionConflict: Error, Sendable, Equatable, CustomStringConvertible {
    public var streamID: String
    public var expected: ExpectedVersion
    /// The stream's version when the append was tried (0: no stream).
    public var actual: Int64

    public init(streamID: String, expected: ExpectedVersion, actual: Int64) {
        self.streamID = streamID
        self.expected = expected
        self.actual = actual
    }

    public var description: String {
        "version conflict on stream \(streamID): expected \(expected), found "
            + (actual == 0 ? "no stream" : "version \(actual)")
    }
}

/// What an append did with one event.
public enum AppendOutcome: Sendable, Equatable {
    /// Stored now at `position`, as version `streamVersion` of its stream.
    case appended(position: Int64, streamVersion: Int64)
    /// Already stored (same event id or source id) at `position`; nothing appended. `conflicting`: the
    /// stored body differs from this one, which was kept in `ledger.rejected_inputs` (a redelivery that
    /// is not the same event must leave a trace, never be dropped as a duplicate).
    case duplicate(position: Int64, conflicting: Bool = false)

    /// The position the event has in the log, new or original.
    public var position: Int64 {
        switch self {
        case .appended(let position, _), .duplicate(let position, _): position
        }
    }
}

/// Events a caller appends atomically, with optional expected versions per stream.
///
/// Invariant: every event was validated (``ValidatedEvent``) when the batch was made, so the
/// group commit and the store take it as it is and never check again.
public struct AppendBatch: Sendable {
    public let events: [NewEvent]
    /// Expected version of a stream before this batch; streams not named are not checked.
    public var expectations: [String: ExpectedVersion]
    /// Where each event came from (`FILE:LINE`, `webhook`, `ledger append`), in event order: what a
    /// conflicting duplicate's row in `ledger.rejected_inputs` names. An event without one is named
    /// by its source.
    public var origins: [String]

    /// A batch of events validated before; they are not checked again.
    public init(validated: [ValidatedEvent], expectations: [String: ExpectedVersion] = [:], origins: [String] = []) {
        self.events = validated.map(\.event)
        self.expectations = expectations
        self.origins = origins
    }

    /// A batch of events validated now: throws ``InvalidEvent`` for the first one the log would refuse.
    public init(
        events: [NewEvent], expectations: [String: ExpectedVersion] = [:], origins: [String] = []
    ) throws(InvalidEvent) {
        for event in events { _ = try ValidatedEvent(event) }
        self.events = events
        self.expectations = expectations
        self.origins = origins
    }

    /// Where the event at `index` came from.
    func origin(at index: Int) -> String {
        index < origins.count ? origins[index] : "\(events[index].source) append"
    }
}
