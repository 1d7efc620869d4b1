import LedgerCore
import Testing

@Suite("consumer cursor")
struct ConsumerCursorTests {
    @Test func batchesStartAfterTheCursorNotAfterTheLease() {
        var cursor = ConsumerCursor()
        #expect(cursor.nextBatch(head: 100, eventsMax: 10) == (0, 10))
        cursor.deliver(through: 10)
        #expect(cursor.nextBatch(head: 100, eventsMax: 10) == (0, 10))
        #expect(cursor.acknowledge(10) == .moved(from: 0, to: 10))
        #expect(cursor.nextBatch(head: 14, eventsMax: 10) == (10, 14))
        #expect(cursor.nextBatch(head: 10, eventsMax: 10) == (10, 10))
        // A head behind the cursor (never, in a gapless log) gives an empty batch, not a negative one.
        #expect(cursor.nextBatch(head: 3, eventsMax: 10) == (10, 10))
    }

    @Test func acknowledgementsMoveForwardOnlyAndNeverPastTheLease() {
        var cursor = ConsumerCursor(acknowledged: 5, delivered: 20)
        #expect(cursor.acknowledge(21) == .beyondDelivered(delivered: 20))
        #expect(cursor.acknowledge(5) == .alreadyAcknowledged(cursor: 5))
        #expect(cursor.acknowledge(2) == .alreadyAcknowledged(cursor: 5))
        #expect(cursor == ConsumerCursor(acknowledged: 5, delivered: 20))
        #expect(cursor.acknowledge(12) == .moved(from: 5, to: 12))
        #expect(cursor.acknowledge(20) == .moved(from: 12, to: 20))
        cursor.deliver(through: 15)
        #expect(cursor.delivered == 20, "a shorter redelivery does not shrink the lease")
    }

    @Test func aResetTakesTheLeaseWithIt() {
        var cursor = ConsumerCursor(acknowledged: 50, delivered: 80)
        cursor.reset(to: 10)
        #expect(cursor == ConsumerCursor(acknowledged: 10, delivered: 10))
        #expect(cursor.acknowledge(80) == .beyondDelivered(delivered: 10))
        cursor.reset(to: 200)
        #expect(cursor.nextBatch(head: 250, eventsMax: 100) == (200, 250))
    }

    @Test func groupNamesAreShortLowerCaseWords() throws {
        for name in ["etl", "warehouse.daily", "a-b_c.9", "0start", String(repeating: "x", count: 64)] {
            #expect(try ConsumerGroupName(name).rawValue == name)
        }
        for name in ["", "Upper", "-lead", ".lead", "with space", "ümlaut", String(repeating: "x", count: 65), "a/b"] {
            #expect(throws: InvalidConsumerGroupName.self) { try ConsumerGroupName(name) }
        }
    }
}
