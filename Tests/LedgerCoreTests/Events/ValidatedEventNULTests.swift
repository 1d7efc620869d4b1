import Foundation
import LedgerCore
import LedgerTestRandom
import Testing

/// `ValidatedEvent`'s NUL check: PostgreSQL's `text` cannot hold a NUL byte, so an event with one in
/// any text field is refused before it can make a whole batch fail.
@Suite("ValidatedEvent refuses NUL bytes in every text field")
struct ValidatedEventNULTests {
    static let seed = TestSeed.value(default: 20_261_203)

    /// The text fields an event carries, each one settable.
    static let fields: [(name: String, set: @Sendable (inout NewEvent, String) -> Void)] = [
        ("stream id", { $0.streamID = $1 }), ("type", { $0.type = $1 }), ("metadata", { $0.metadata = $1 }),
        ("source event id", { $0.sourceEventID = $1 }), ("customer id", { $0.customerID = $1 }),
    ]

    static func event() -> NewEvent {
        NewEvent(
            eventID: UUID(uuid: (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)),
            streamID: "subscription:sub_1",
            type: "customer.subscription.created", source: "stripe", sourceEventID: "evt_1",
            occurredAt: EventTime(microsecondsSinceEpoch: 1_700_000_000_000_000), customerID: "cus_1",
            body: Array("{}".utf8),
            metadata: "{\"k\":\"v\"}")
    }

    @Test func aNULAnywhereInAnyTextFieldIsRefusedAndTheSameTextWithoutItIsAccepted() throws {
        var generator = SeededGenerator(seed: Self.seed)
        for round in 0..<500 {
            let (name, set) = generator.pick(Self.fields)
            let letters = (0..<(1 + generator.below(40))).map { _ in
                Character(UnicodeScalar(UInt8(0x61 + generator.below(26))))
            }
            var text = String(letters)
            var clean = Self.event()
            set(&clean, text)
            #expect(throws: Never.self, "seed \(Self.seed) round \(round): \(name) \(text)") {
                try ValidatedEvent(clean)
            }
            text.insert("\u{0}", at: text.index(text.startIndex, offsetBy: generator.below(text.count + 1)))
            var poisoned = Self.event()
            set(&poisoned, text)
            #expect(
                throws: InvalidEvent(reason: "text fields cannot contain NUL bytes"),
                "seed \(Self.seed) round \(round): \(name)"
            ) {
                try ValidatedEvent(poisoned)
            }
        }
    }

    @Test func absentOptionalFieldsAreNotChecked() throws {
        var event = Self.event()
        event.sourceEventID = nil
        event.customerID = nil
        #expect(try ValidatedEvent(event).event == event)
    }
}
