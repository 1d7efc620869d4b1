import LedgerCore
import Testing

@Suite("stream ids")
struct StreamIDTests {
    @Test func streamsAreNamedCategoryColonKey() {
        #expect(StreamID.subscription("sub_1").description == "subscription:sub_1")
        #expect(StreamID.payment("pi_1").description == "payment:pi_1")
        #expect(SnapshotRecord.streamID == "ledger:snapshots")
    }

    @Test func aKeyIsReadBackOnlyFromItsOwnCategory() {
        #expect(StreamID.key(of: "subscription:sub_1", in: .subscription) == "sub_1")
        #expect(StreamID.key(of: "payment:pi_1", in: .subscription) == nil)
        #expect(StreamID.key(of: "subscriptions:sub_1", in: .subscription) == nil)
        #expect(StreamID.key(of: "sub_1", in: .subscription) == nil)
        // Only the first colon separates: a key may hold colons and begin with a combining mark.
        #expect(StreamID.key(of: "payment:pi:1", in: .payment) == "pi:1")
        #expect(StreamID.key(of: "subscription:\u{301}x", in: .subscription) == "\u{301}x")
    }

    @Test func parsingInvertsDescription() {
        for stream in [StreamID.subscription("sub_é:1"), .payment(""), StreamID(.event, "evt_1")] {
            #expect(StreamID(parsing: stream.description) == stream)
        }
    }
}
