import Foundation
import LedgerCore
import LedgerPostgres

/// One object's events read once, for a page that shows several audits of it (the console's timeline and as-of
/// pages): its history with its payments, the stored events that history shows, and its rows at any cut — each
/// equal to what ``AuditHistory/build(_:includePayments:connection:)`` and
/// ``AuditState/build(_:cut:connection:)`` give on their own, without reading the object's events again.
public struct AuditReading {
    public let reference: AuditReference
    /// The events of the reference and its payments through the whole log.
    let scope: AuditEvents

    /// Reads the events of `reference` with its payments (``AuditEvents``) through the whole log.
    public init(_ reference: AuditReference, connection: PostgresConnection) throws {
        self.reference = reference
        scope = try AuditEvents.read(reference, includePayments: true, cut: .everything, connection: connection)
    }

    /// What `ledger history REF --include-payments` prints.
    public func history(connection: PostgresConnection) throws -> AuditHistory {
        try AuditHistory.replay(scope, reference: reference, connection: connection)
    }

    /// The stored events of `history`'s entries, by position (a page shows their bodies beside the entries).
    public func storedEvents(of history: AuditHistory) -> [Int64: RecordedEvent] {
        let shown = Set(history.entries.map(\.position))
        var events: [Int64: RecordedEvent] = [:]
        for event in scope.events where shown.contains(event.position) { events[event.position] = event }
        return events
    }

    /// What `ledger state REF` prints at `cut`: the events within it replayed, with the events they link looked up
    /// through `cut` (``AuditEvents/through(_:connection:)``).
    public func state(at cut: AuditCut, connection: PostgresConnection) throws -> AuditState {
        try AuditState.refuseBeyondHead(cut, connection: connection)
        let events = cut == .everything ? scope : try scope.through(cut, connection: connection)
        return try AuditState.replay(events, reference: reference, cut: cut, connection: connection)
    }
}
