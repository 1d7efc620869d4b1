import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerTestSupport
import LoopbackHTTPClient
import Testing

@testable import LedgerServer

/// The timeline's pages (``TimelinePaging``) in process over a generated history: followed by their links in
/// either direction, at any page size, they give every event of ``AuditHistory`` exactly once and in log order;
/// any `after`/`before` gives the keyset's events; a bad or hostile parameter is a 400 page, never a 500; each
/// event's body is one link away. The browser test follows the same links in Chromium.
@Suite("audit console timeline pages")
struct ConsoleTimelinePagingTests {
    @Test func pagesTogetherGiveEveryEventOnceInLogOrderAtAnyPageSize() async throws {
        try await Self.withHistory { server, session, objects, _ in
            let seed = TestSeed.value(default: 1_633)
            var random = SeededGenerator(seed: seed)
            for (object, positions) in objects {
                #expect(positions.count >= 3, "\(object.path) should have a history worth paging")
                let sizes = Array(1...min(positions.count + 1, Limits.consoleTimelinePageEventsMax))
                for limit in sizes {
                    let start = object.path + "?limit=\(limit)"
                    let forward = try await Self.follow(server, session, from: start, rel: "next", limit: limit)
                    #expect(forward == positions, "\(object.path), pages of \(limit) forward")
                    let last = try await Self.page(server, session, start).links["last"] ?? start
                    let backward = try await Self.follow(server, session, from: last, rel: "prev", limit: limit)
                    #expect(backward == positions, "\(object.path), pages of \(limit) backward")
                }
                // The default page: the first events, and the count of all of them.
                let first = try await Self.page(server, session, object.path)
                #expect(first.positions == Array(positions.prefix(Limits.consoleTimelinePageEvents)))
                #expect(first.total == positions.count)
                // Any anchor, at any size: the keyset's events (positions between events and past both ends too).
                for _ in 0..<40 {
                    let limit = Int.random(in: 1...positions.count + 1, using: &random)
                    let anchor = Int64.random(in: 0...(positions[positions.count - 1] + 2), using: &random)
                    let after = try await Self.page(server, session, object.path + "?after=\(anchor)&limit=\(limit)")
                    #expect(
                        after.positions == Array(positions.filter { $0 > anchor }.prefix(limit)),
                        "seed \(seed): \(object.path) after \(anchor), limit \(limit)")
                    guard anchor > 0 else { continue }
                    let before = try await Self.page(server, session, object.path + "?before=\(anchor)&limit=\(limit)")
                    #expect(
                        before.positions == Array(positions.filter { $0 < anchor }.suffix(limit)),
                        "seed \(seed): \(object.path) before \(anchor), limit \(limit)")
                    #expect(before.total == positions.count && after.total == positions.count)
                }
            }
        }
    }

    @Test func badOrHostilePagingParametersAreA400Page() async throws {
        try await Self.withHistory { server, session, objects, _ in
            let object = try #require(objects.first?.object)
            let hostile = "%3Cscript%3Ealert(1)%3C%2Fscript%3E"
            for query in [
                "after=abc", "after=-1", "after=1.5", "after=", "before=0", "before=-5", "after=99999999999999999999",
                "before=9223372036854775808", "after=1&before=5", "after=1&after=2", "limit=0", "limit=-1",
                "limit=\(Limits.consoleTimelinePageEventsMax + 1)", "limit=abc", "after=\(hostile)", "\(hostile)=1",
                "after=%00", "after=" + String(repeating: "9", count: 500), "offset=10", "after=0x10",
            ] {
                let response = try await server.request(
                    "GET", object.path + "?" + query, headers: [("Cookie", session.cookie)])
                Self.expectErrorPage(response, status: 400, query)
            }
            for position in ["abc", "0", "-1", "1.0", "99999999999999999999", "%3Cscript%3E", "+1"] {
                let response = try await server.request(
                    "GET", "/ui/events/\(position)", headers: [("Cookie", session.cookie)])
                Self.expectErrorPage(response, status: 400, "/ui/events/\(position)")
            }
            let head = try #require(objects.flatMap(\.positions).max())
            let missing = try await server.request(
                "GET", "/ui/events/\(head + 1_000)", headers: [("Cookie", session.cookie)])
            Self.expectErrorPage(missing, status: 404, "an event past the head")
            // Well-formed anchors past either end: a page saying so, with links back to the events.
            let past = try await server.request(
                "GET", object.path + "?after=\(head + 5)", headers: [("Cookie", session.cookie)])
            #expect(past.status == 200 && past.text.contains("No events here"))
            #expect(Self.links(past.text)["prev"] != nil && Self.links(past.text)["first"] != nil)
            let before = try await server.request(
                "GET", object.path + "?before=1", headers: [("Cookie", session.cookie)])
            #expect(before.status == 200 && Self.links(before.text)["next"] == object.path)
            // Without a session, the new paths lead to sign-in like every other.
            for path in ["/ui/events/1", "/ui/events/abc", object.path + "?after=abc"] {
                let response = try await server.request("GET", path)
                #expect(response.status == 303 && response.header("location") == "/ui/login", "\(path)")
            }
        }
    }

    /// Each event's body page shows the stored body as text, whatever it holds: the markup the generated
    /// history writes into a subscription's metadata stays escaped.
    @Test func eachEventsBodyIsOneLinkAwayAndEscaped() async throws {
        try await Self.withHistory { server, session, objects, database in
            let connection = try database.connect()
            let (object, positions) = try #require(objects.first)
            let page = try await server.request("GET", object.path, headers: [("Cookie", session.cookie)])
            for position in positions.prefix(Limits.consoleTimelinePageEvents) {
                #expect(page.text.contains(#"href="/ui/events/\#(position)""#), "\(position)")
            }
            // Bodies are no longer inline: the page carries the diffs, not the bodies.
            #expect(!page.text.contains(#"<pre class="stored""#))
            let hostile = try #require(
                try EventStore(connection: connection).stream(ofSourceEvent: ConsoleBrowserTests.hostileEventID))
            let event = try #require(try EventStore(connection: connection).readStream(hostile).last)
            let body = try await server.request(
                "GET", "/ui/events/\(event.position)", headers: [("Cookie", session.cookie)])
            #expect(body.status == 200)
            #expect(!body.text.contains("<script>") && !body.text.contains("<img"))
            #expect(body.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(body.text.contains(#"id="body-stored""#) && body.text.contains(#"id="event-metadata""#))
            let subscription = try #require(StreamID.key(of: hostile, in: .subscription))
            #expect(
                body.text.contains(#"href="/ui/subscriptions/\#(subscription)?after=\#(event.position - 1)#position-"#))
        }
    }

    // MARK: - Harness

    /// A signed-in in-process server over the browser test's generated history, with the timelines it pages:
    /// the subscription with the most events (with its payments) and its customer, positions from ``AuditHistory``.
    static func withHistory(
        _ body:
            @Sendable (
                InProcessLedger, ConsoleClient.Session, [(object: ConsoleObject, positions: [Int64])], TestDatabase
            ) async throws -> Void
    ) async throws {
        try await TestDatabase.withMigrated { database in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paging-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let history = try ConsoleBrowserTests.generatedHistory(database, in: directory)
            let connection = try database.connect()
            let subscription = try AuditHistory.build(
                .subscription(history.subscription), includePayments: true, connection: connection)
            let customer = try #require(subscription.customerID)
            let customerHistory = try AuditHistory.build(
                .customer(customer), includePayments: true, connection: connection)
            let objects: [(object: ConsoleObject, positions: [Int64])] = [
                (.subscription(history.subscription), subscription.entries.map(\.position)),
                (.customer(customer), customerHistory.entries.map(\.position)),
            ]
            try await InProcessLedger.with(database) { server in
                try await body(server, try await ConsoleClient.signIn(server), objects, database)
            }
        }
    }

    struct Page {
        var positions: [Int64]
        var total: Int?
        var links: [String: String]
    }

    static func page(_ server: InProcessLedger, _ session: ConsoleClient.Session, _ path: String) async throws -> Page {
        let response = try await server.request("GET", path, headers: [("Cookie", session.cookie)])
        #expect(response.status == 200, "\(path): \(response.status)")
        let positions = response.text.matches(of: /<li class="entry [a-z]+" id="position-\d+" data-position="(\d+)"/)
            .compactMap { Int64($0.output.1) }
        let total = response.text.firstMatch(of: /data-total="(\d+)"/).flatMap { Int($0.output.1) }
        return Page(positions: positions, total: total, links: links(response.text))
    }

    /// The first link of each `rel` on the page, its `&amp;` read back.
    static func links(_ html: String) -> [String: String] {
        var links: [String: String] = [:]
        for match in html.matches(of: /<a rel="([a-z]+)" href="([^"]*)">/) where links[String(match.output.1)] == nil {
            links[String(match.output.1)] = match.output.2.replacingOccurrences(of: "&amp;", with: "&")
        }
        return links
    }

    /// The positions of the pages from `start` following `rel` (next: appended; prev: prepended) until none.
    static func follow(
        _ server: InProcessLedger, _ session: ConsoleClient.Session, from start: String, rel: String, limit: Int
    ) async throws -> [Int64] {
        var positions: [Int64] = []
        var next: String? = start
        var pages = 0
        while let path = next {
            let page = try await page(server, session, path)
            #expect(!page.positions.isEmpty && page.positions.count <= limit, "\(path): \(page.positions.count)")
            positions = rel == "next" ? positions + page.positions : page.positions + positions
            next = page.links[rel]
            pages += 1
            guard pages <= 1_000 else {
                Issue.record("\(start): following \(rel) did not end")
                break
            }
        }
        return positions
    }

    static func expectErrorPage(_ response: LoopbackHTTPResponse, status: Int, _ what: String) {
        #expect(response.status == status, "\(what): \(response.status)")
        #expect(response.header("content-type") == "text/html; charset=utf-8", "\(what)")
        #expect(response.text.contains(#"class="error""#), "\(what): \(response.text.prefix(300))")
        #expect(!response.text.contains("<script") && !response.text.contains("\u{0}"), "\(what)")
        ConsoleTests.expectSecurityHeaders(response, what)
    }
}
