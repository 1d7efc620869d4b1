import Foundation
import LedgerCore
import LedgerEngine
import LedgerTestSupport
import Testing

@testable import LedgerServer

/// The console's own rendering helpers give what swift-mustache's Mirror lookups and HTML escaping give.
@Suite("audit console rendering")
struct ConsoleRenderingTests {
    /// Seeded strings of the escaped characters, ASCII, multi-byte text and combining marks.
    static func randomTexts(seed: UInt64, count: Int) -> [String] {
        var random = SeededGenerator(seed: seed)
        let pieces = ["<", ">", "&", "\"", "'", "a", " ", "{\"k\": 1}", "é", "€", "😀", "\u{301}", "\n", "&amp;"]
        return (0..<count).map { _ in
            (0..<Int.random(in: 0...40, using: &random)).map { _ in pieces.randomElement(using: &random) ?? "" }
                .joined()
        }
    }

    /// The same tag through the library's HTML escaping and through the console's.
    static let pages = ConsolePages(files: [
        (name: "library.mustache", text: "{{text}}"),
        (name: "console.mustache", text: "{{% CONTENT_TYPE: \(ConsoleHTMLEscaping.name)}}<a title=\"{{text}}\">"),
    ])

    @Test func consoleEscapingEqualsTheLibrarysWhereNoMarkCombines() throws {
        let seed = TestSeed.value(default: 16)
        for text in Self.randomTexts(seed: seed, count: 500) {
            // Sliced by bytes: a combining mark at the start of the text joins the quote before it in one Character.
            let page = Self.pages.html("console", ["text": text]).utf8
            let escaped = String(decoding: page.dropFirst(#"<a title=""#.utf8.count).dropLast(2), as: UTF8.self)
            #expect(!escaped.utf8.contains { "<>\"'".utf8.contains($0) }, "seed \(seed): \(text.debugDescription)")
            #expect(Self.unescaped(escaped) == text, "seed \(seed): \(text.debugDescription)")
            // The library's escaping sees a character and a combining mark after it as one Character.
            if !text.unicodeScalars.contains("\u{301}") {
                #expect(escaped == Self.pages.html("library", ["text": text]), "seed \(seed): \(text.debugDescription)")
            }
        }
    }

    /// The five entities back to their characters, byte by byte.
    static func unescaped(_ html: String) -> String {
        let entities: [(entity: String, byte: UInt8)] = [
            ("&lt;", UInt8(ascii: "<")), ("&gt;", UInt8(ascii: ">")), ("&amp;", UInt8(ascii: "&")),
            ("&quot;", UInt8(ascii: "\"")), ("&#39;", UInt8(ascii: "'")),
        ]
        var rest = Array(html.utf8)[...]
        var bytes: [UInt8] = []
        while let first = rest.first {
            if let match = entities.first(where: { rest.starts(with: $0.entity.utf8) }) {
                bytes.append(match.byte)
                rest = rest.dropFirst(match.entity.utf8.count)
            } else {
                bytes.append(first)
                rest = rest.dropFirst()
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func aQuoteBeforeACombiningMarkCannotEndAnAttribute() {
        let page = Self.pages.html("console", ["text": "\"\u{301} onmouseover=x"])
        #expect(page == "<a title=\"&quot;\u{301} onmouseover=x\">")
    }

    /// Every stored property of a timeline or as-of value is answered by name as Mirror would find it.
    @Test func pageValuesAnswerEveryStoredPropertyByName() throws {
        let entryJSON = #"""
            {"position": 7, "occurred_at": "2025-01-01T00:00:00Z", "recorded_at": "2025-01-01T00:00:01Z",
             "type": "customer.subscription.updated", "source": "stripe", "stream": "subscription:sub_1",
             "outcome": "ignored", "reason": "stale",
             "changes": [{"table": "subscriptions", "object": "sub_1",
                          "columns": [{"column": "status", "from": null, "to": "active"}]}]}
            """#
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let entry = TimelineEntry(try decoder.decode(HistoryEntry.self, from: Data(entryJSON.utf8)), stored: nil)
        let change = try #require(entry.changes.first)
        let column = try #require(change.columns.first)
        let page = ObjectPage(
            frame: PageFrame(title: "t"), kind: "Subscription", id: "sub_1",
            links: [PageLink(label: "Customer", href: "/ui/customers/cus_1", text: "cus_1")], notes: ["n"],
            historyArguments: "sub_1 --json", entries: [entry], eventCount: 3,
            navigation: TimelineNavigation(
                TimelinePaging(.after(3), limit: 1), window: 1..<2, positions: [3, 7, 9],
                path: "/ui/subscriptions/sub_1"))
        Self.expectSameChildren(page, page.child(named:))
        Self.expectSameChildren(page.navigation, page.navigation.child(named:))
        let event = RecordedEvent(
            position: 7, eventID: UUID(), streamID: "subscription:sub_1", streamVersion: 1,
            type: "customer.subscription.updated", source: "stripe", sourceEventID: nil,
            occurredAt: EventTime(microsecondsSinceEpoch: 0), recordedAt: EventTime(microsecondsSinceEpoch: 1),
            customerID: nil, body: Array(#"{"b": 1, "a": [true]}"#.utf8), metadata: "{}", hash: [])
        let body = EventBodyPage(event, frame: PageFrame(title: "t"))
        Self.expectSameChildren(body, body.child(named:))
        #expect(body.child(named: "sourceEventID") == nil)
        Self.expectSameChildren(entry, entry.child(named:))
        Self.expectSameChildren(change, change.child(named:))
        Self.expectSameChildren(column, column.child(named:))
        #expect(entry.child(named: "sourceEventID") == nil, "a nil optional is no child, as through Mirror")

        let historyEntry = try decoder.decode(HistoryEntry.self, from: Data(entryJSON.utf8))
        var asOf = AsOfPage(
            frame: PageFrame(title: "t"), object: .subscription("sub_1"), entries: [historyEntry],
            asked: ConsoleAsOf.Asked(at: "2026-01-01T00:00:00Z"))
        let table = AsOfTable(
            "subscriptions",
            after: [AuditRow([ColumnValue("stripe_subscription_id", "sub_1"), ColumnValue("x", nil)])],
            before: [AuditRow([ColumnValue("stripe_subscription_id", "sub_2")])], key: "stripe_subscription_id")
        asOf.tables = [table]
        let row = try #require(table.rows.first)
        let cell = try #require(row.columns.first)
        let stop = try #require(asOf.stops.first)
        Self.expectSameChildren(asOf, asOf.child(named:))
        Self.expectSameChildren(stop, stop.child(named:))
        Self.expectSameChildren(table, table.child(named:))
        Self.expectSameChildren(row, row.child(named:))
        Self.expectSameChildren(cell, cell.child(named:))
        #expect(entry.child(named: "nothing") == nil)
    }

    static func expectSameChildren(_ value: Any, _ child: (String) -> Any?) {
        for field in Mirror(reflecting: value).children {
            let label = field.label ?? ""
            // Mustache unwraps an optional: nil is no child.
            let mirrored: Any? =
                Mirror(reflecting: field.value).displayStyle == .optional
                ? Mirror(reflecting: field.value).children.first?.value : field.value
            let answered = child(label)
            #expect((answered == nil) == (mirrored == nil), "\(type(of: value)).\(label)")
            #expect(
                answered.map { String(describing: $0) } == mirrored.map { String(describing: $0) },
                "\(type(of: value)).\(label)")
        }
    }

    /// A seeded random JSON value: nested objects and arrays, keys that sort differently by case and digits,
    /// strings with escapes, control characters, slashes and non-ASCII text, integers at the edges of 64 bits,
    /// and values the fast path hands to Foundation (fractions, exponents, huge integers, duplicate keys).
    static func randomJSON(_ random: inout SeededGenerator, depth: Int = 0) -> String {
        let strings = [
            #""""#, #""a""#, #""A""#, #""a10""#, #""a2""#, #""_x""#, #""é""#, #""e\u0301""#, #""\u00e9""#,
            #""q\"\\\/\b\f\n\r\t""#, #""\u0001\u001f\u007f""#, #""😀\ud83d\ude00""#, #""https://x/y""#,
            #""\u2028""#, #""<script>""#, #""\ud800""#, #""\u0000""#,
        ]
        let scalars = [
            "0", "1", "-1", "42", "-0", "1.5", "1e3", "0.1", "100.0", "9223372036854775807", "-9223372036854775808",
            "9223372036854775808", "true", "false", "null", "007",
        ]
        let choice = depth > 4 ? Int.random(in: 2...3, using: &random) : Int.random(in: 0...3, using: &random)
        let space = [" ", "", "\n  ", "\t"].randomElement(using: &random) ?? ""
        switch choice {
        case 0:
            let keys = (0..<Int.random(in: 0...5, using: &random)).map { _ in
                strings.randomElement(using: &random) ?? ""
            }
            let members = keys.map { "\($0)\(space):\(space)\(randomJSON(&random, depth: depth + 1))" }
            return "{" + space + members.joined(separator: "," + space) + space + "}"
        case 1:
            let count = Int.random(in: 0...4, using: &random)
            let elements = (0..<count).map { _ in randomJSON(&random, depth: depth + 1) }
            return "[" + space + elements.joined(separator: "," + space) + "]"
        case 2: return strings.randomElement(using: &random) ?? ""
        default: return scalars.randomElement(using: &random) ?? ""
        }
    }

    @Test func prettyBodiesEqualFoundationsEncoding() throws {
        let seed = TestSeed.value(default: 16)
        var random = SeededGenerator(seed: seed)
        var fast = 0
        var documents = (0..<2000).map { _ in Self.randomJSON(&random) }
        documents += ["{}", "[]", "{\"a\":{}}", " {\"a\":[]} ", "{\"a\":1,}", "[1 2]", "{\"a\":1}x", "tru", "\"\\x\""]
        // Real Stripe bodies: every fixture event.
        let fixtures = Repository.root.appendingPathComponent("Tests/Fixtures/stripe")
        let files =
            FileManager.default.enumerator(at: fixtures, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "json" } ?? []
        #expect(files.count > 10)
        for file in files { documents.append(try String(contentsOf: file, encoding: .utf8)) }
        for document in documents {
            let expected = ConsolePrettyJSON.foundation(document)
            if let printed = ConsolePrettyJSON.fast(document) {
                fast += 1
                #expect(printed == expected, "seed \(seed): \(document)")
            }
            #expect(ConsolePrettyJSON.pretty(document) == expected, "seed \(seed): \(document)")
        }
        // Most documents (and every fixture) take the fast path; the rest show that giving up is safe.
        #expect(fast > documents.count / 4 && fast < documents.count, "seed \(seed): \(fast) of \(documents.count)")
    }
}
