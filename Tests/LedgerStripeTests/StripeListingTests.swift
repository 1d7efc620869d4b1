import LedgerCore
import LedgerStripe
import LedgerTestRandom
import Testing

/// The pure parts of a listing: a page's elements kept byte for byte, and the windows a sync lists.
@Suite struct StripeListingTests {
    @Test func aPageKeepsEachElementsBytesExactly() throws {
        let elements = [
            "{\n    \"id\": \"evt_1\",\n    \"note\": \"a ] and a } and a \\\" inside\",\n    \"n\": [1, [2, {}]]\n  }",
            "{\"id\":\"evt_2\",\"data\":{\"object\":{\"items\":[]}}}",
            "{ \"id\" : \"evt_3\" , \"é\" : \"\\u00e9\" }",
        ]
        let page =
            "{\n  \"object\": \"list\",\n  \"url\": \"/v1/events\",\n  \"data\": [\n  "
            + elements.joined(separator: " ,\n  ") + "\n  ],\n  \"has_more\": true\n}"
        let parsed = try StripeListPage(bytes: Array(page.utf8))
        #expect(parsed.elements.map { String(decoding: $0, as: UTF8.self) } == elements)
        #expect(parsed.hasMore)
        let empty = try StripeListPage(bytes: Array("{\"object\":\"list\",\"data\":[],\"has_more\":false}".utf8))
        #expect(empty.elements.isEmpty && !empty.hasMore)
    }

    @Test(arguments: [
        "{\"object\":\"event\",\"data\":[],\"has_more\":false}", "{\"object\":\"list\",\"data\":{},\"has_more\":false}",
        "{\"object\":\"list\",\"data\":[1],\"has_more\":false}", "{\"object\":\"list\",\"data\":[]}",
        "{\"object\":\"list\",\"data\":[{}", "not json",
    ])
    func aPageThatIsNotAListIsRefused(text: String) {
        #expect(throws: StripeListPage.Malformed.self) { try StripeListPage(bytes: Array(text.utf8)) }
    }

    /// Whatever the events per window (seeded), the windows listed whole are contiguous, never overlap,
    /// cover the span exactly, and none but a single second holds more than the bound.
    @Test func windowsCoverTheSpanExactlyOnceWithinTheBound() {
        let seed = TestSeed.value(default: 1_409)
        var random = SeededGenerator(seed: seed)
        for _ in 0..<200 {
            let start = Int64(random.below(1_000_000))
            let through = start + Int64(random.below(2 * 86_400))
            let eventsMax = 20 + random.below(200)
            let density = random.below(5)  // events a second is `density` / 100 on average, some bursts
            var windows = StripeEventWindows(from: start, through: through, eventsMax: eventsMax)
            var covered = start
            var steps = 0
            while let window = windows.current {
                steps += 1
                guard steps < 100_000 else {
                    Issue.record("seed \(seed): no progress")
                    break
                }
                let width = window.upper - window.lower
                let count = Int(width) * density / 100 + (random.chance(10) ? random.below(3 * eventsMax) : 0)
                #expect(window.lower == covered && window.upper > window.lower && window.upper <= through + 1)
                if windows.overflows(count) {
                    windows.narrow()
                    continue
                }
                #expect(count <= eventsMax || width == 1, "seed \(seed): \(count) events in \(width) s")
                windows.advance(listed: count)
                covered = window.upper
            }
            #expect(covered == through + 1, "seed \(seed)")
        }
    }
}
