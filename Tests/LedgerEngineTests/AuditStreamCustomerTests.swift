import Foundation
import LedgerCore
import LedgerTestRandom
import Testing

@testable import LedgerEngine

/// An audit takes a stream's customer from the stream's events it has read when they settle it
/// (``AuditEvents/customer(settledBy:)``), and asks the log otherwise: what it takes must be what the log
/// answers (`EventStore.customer(ofStream:)`, the first event of the stream naming a customer).
@Suite("audit: a stream's customer from its events")
struct AuditStreamCustomerTests {
    /// Seeded streams, read whole or through a cut that leaves any events out, or with a detached prefix:
    /// a customer taken from the events is always the stream's own, and a whole stream always settles it.
    @Test func aSettledCustomerIsTheStreamsFirstAndAWholeStreamSettlesIt() {
        let seed = TestSeed.value(default: 20_002)
        var random = SeededGenerator(seed: seed)
        for round in 0..<2_000 {
            let stream = (1...(1 + random.below(12))).map { version in
                event(version: Int64(version), customer: random.chance(35) ? "cus_\(random.below(3))" : nil)
            }
            let first = stream.first { $0.customerID != nil }?.customerID
            #expect(AuditEvents.customer(settledBy: stream) == first, "seed \(seed), round \(round)")

            let detached = random.below(3) == 0 ? random.below(stream.count) : 0
            let read = stream.dropFirst(detached).filter { _ in !random.chance(20) }
            if let settled = AuditEvents.customer(settledBy: Array(read)) {
                #expect(settled == first, "seed \(seed), round \(round): \(read.map(\.streamVersion))")
            }
        }
        #expect(AuditEvents.customer(settledBy: []) == nil)
    }

    func event(version: Int64, customer: String?) -> RecordedEvent {
        RecordedEvent(
            position: version * 10, eventID: UUID(), streamID: "subscription:sub_1", streamVersion: version,
            type: "customer.subscription.updated", source: "stripe", sourceEventID: nil,
            occurredAt: EventTime(secondsSinceEpoch: 1_700_000_000),
            recordedAt: EventTime(secondsSinceEpoch: 1_700_000_000),
            customerID: customer, body: [], metadata: "{}", hash: [])
    }
}
