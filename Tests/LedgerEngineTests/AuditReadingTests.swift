import Foundation
import LedgerCore
import LedgerEngine
import LedgerGenerator
import LedgerPostgres
import LedgerTestSupport
import Testing

/// ``AuditReading`` (one read of an object's events, for the console's pages) gives what the audits that read
/// on their own give.
@Suite("audit reading shared by a page")
struct AuditReadingTests {
    @Test func historyAndStateAtSeededCutsEqualTheirOwnReads() async throws {
        try await TestDatabase.withMigrated { database in
            // Shuffled and duplicated delivery, with both API shapes' links (invoice_payment, refunds by charge).
            let ledger = GeneratedLedger(
                customers: 10, months: 10, seed: 7, duplicates: 0.1, shuffle: 0.2, apiVersion: .v2026_07_29)
            try ledger.insertLicenses(database)
            let count = try ledger.eventCount
            // Four slices, each recorded a second after the one before (an injected clock), so times cut too.
            let bounds = [0, count / 4, count / 2, 3 * count / 4, count]
            for (slice, (start, end)) in zip(bounds, bounds.dropFirst()).enumerated() {
                try ledger.ingest(database, slice: start..<end) {
                    EventTime(secondsSinceEpoch: 1_893_456_000 + Int64(slice))
                }
            }
            let connection = try database.connect()
            let head = try EventStore(connection: connection).head().position
            let seed = TestSeed.value(default: 31)
            var random = SeededGenerator(seed: seed)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            for reference in try Self.references(connection) {
                let reading = try AuditReading(reference, connection: connection)
                let history = try reading.history(connection: connection)
                let alone = try AuditHistory.build(reference, includePayments: true, connection: connection)
                #expect(try encoder.encode(history) == encoder.encode(alone), "seed \(seed), \(reference)")
                let stored = reading.storedEvents(of: history)
                #expect(Set(stored.keys) == Set(history.entries.map(\.position)), "\(reference)")
                #expect(stored.values.allSatisfy { $0.body.count > 0 })

                var cuts: [AuditCut] = [.everything, AuditCut(position: 0), AuditCut(position: head)]
                cuts += (0..<3).map { _ in AuditCut(position: Int64.random(in: 1...head, using: &random)) }
                cuts += (0...3).map { AuditCut(recordedAt: EventTime(secondsSinceEpoch: 1_893_456_000 + Int64($0))) }
                cuts.append(
                    AuditCut(
                        position: Int64.random(in: 1...head, using: &random),
                        recordedAt: EventTime(secondsSinceEpoch: 1_893_456_001)))
                for cut in cuts {
                    let shared = try reading.state(at: cut, connection: connection)
                    let own = try AuditState.build(reference, cut: cut, connection: connection)
                    #expect(try encoder.encode(shared) == encoder.encode(own), "seed \(seed), \(reference) at \(cut)")
                }
                #expect(throws: PositionBeyondHead.self) {
                    try reading.state(at: AuditCut(position: head + 1), connection: connection)
                }
            }
        }
    }

    /// Every subscription and customer, and some payments.
    static func references(_ connection: PostgresConnection) throws -> [AuditReference] {
        let streams = try connection.query(
            "SELECT DISTINCT stream_id FROM ledger.events WHERE stream_id LIKE 'subscription:%' ORDER BY 1"
        ).map { try $0.decode(String.self, at: 0) }
        let customers = try connection.query(
            "SELECT DISTINCT customer_id FROM ledger.events WHERE customer_id IS NOT NULL ORDER BY 1"
        ).map { try $0.decode(String.self, at: 0) }
        let payments = try connection.query(
            "SELECT DISTINCT stream_id FROM ledger.events WHERE stream_id LIKE 'payment:%' ORDER BY 1 LIMIT 12"
        ).map { try $0.decode(String.self, at: 0) }
        return streams.compactMap { StreamID.key(of: $0, in: .subscription).map(AuditReference.subscription) }
            + customers.map(AuditReference.customer)
            + payments.compactMap { StreamID.key(of: $0, in: .payment).map(AuditReference.paymentIntent) }
    }
}
