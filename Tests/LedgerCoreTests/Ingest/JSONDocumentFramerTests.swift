import Foundation
import LedgerCore
import Testing

@Suite("JSON document framer")
struct JSONDocumentFramerTests {
    /// 1-based line of `offset` in `bytes`.
    static func line(at offset: Int, in bytes: [UInt8]) -> Int {
        bytes[..<offset].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    @Test func prettySingleObjectFileIsOneByteExactDocument() throws {
        let event = try IngestFixtures.event("invoice.created.json")
        for input in [event, event + utf8("\n"), utf8("\n\n  ") + event + utf8("\n\n")] {
            let (results, allAgree) = frameEveryWay(input)
            #expect(allAgree)
            #expect(results.count == 1)
            #expect(results.first?.isDocument == true)
            #expect(results.first?.bytes == event)
            #expect(results.first?.line == (input.first == 0x0A ? 3 : 1))
        }
    }

    @Test func arrayOfPrettyObjectsGivesEachElement() throws {
        let events = try IngestFixtures.allEvents()
        var input = utf8("[\n")
        var expectedLines: [Int] = []
        for (index, event) in events.enumerated() {
            if index > 0 { input += utf8(",\n") }
            expectedLines.append(Self.line(at: input.count, in: input))
            input += event
        }
        input += utf8("\n]\n")
        let (results, allAgree) = frameEveryWay(input)
        #expect(allAgree)
        #expect(results.count == events.count)
        #expect(results.map(\.bytes) == events)
        #expect(results.filter { !$0.isDocument }.isEmpty)
        #expect(results.map(\.line) == expectedLines)
        #expect(frame(utf8("[]")).isEmpty)
        #expect(frame(utf8("  [ \n ] \n")).isEmpty)
    }

    @Test func jsonLinesAndConcatenatedPrettyObjects() throws {
        let events = try IngestFixtures.allEvents()
        let minified = events.map(IngestFixtures.minified)
        let jsonl = Array(minified.joined(separator: utf8("\n"))) + utf8("\n")
        let (lines, linesAgree) = frameEveryWay(jsonl)
        #expect(linesAgree)
        #expect(lines.map(\.bytes) == minified)
        #expect(lines.map(\.line) == Array(1...minified.count))

        // Pretty objects back to back (as `jq .` prints a stream), also with CRLF line ends.
        let concatenated = Array(events.joined(separator: utf8("\n")))
        let (pretty, prettyAgree) = frameEveryWay(concatenated)
        #expect(prettyAgree)
        #expect(pretty.map(\.bytes) == events)
        let crlf = Array(minified.joined(separator: utf8("\r\n")))
        #expect(frame(crlf, chunkSize: 5).map(\.bytes) == minified)

        let sameLine = frameEveryWay(utf8(#"{"a":1}{"b":[2]} {"c":"}"}"#))
        #expect(sameLine.allAgree)
        #expect(sameLine.whole.map(\.text) == [#"{"a":1}"#, #"{"b":[2]}"#, #"{"c":"}"}"#])
        #expect(sameLine.whole.map(\.line) == [1, 1, 1])
    }

    @Test func bracesAndQuotesInsideStringsDoNotCount() {
        let documents = [
            #"{"a": "}}}", "b": "{{{", "c": "]["}"#,
            #"{"q": "say \"}\" and \\", "r": "\\\"{"}"#,
            #"{"path": "C:\\dir\\", "n": {"m": "\"\\"}}"#,
            #"{"u": "\u007b\u007d", "e": "é}😀"}"#,
        ]
        let input = utf8(documents.joined(separator: "\n"))
        let (results, allAgree) = frameEveryWay(input)
        #expect(allAgree)
        #expect(results.map(\.text) == documents)
        #expect(results.map(\.line) == [1, 2, 3, 4])
    }

    @Test func mixedJSONLinesReportEachBadLineAndKeepGoing() throws {
        let lines = [
            #"{"id": "evt_1", "type": "invoice.paid", "created": 1700000000, "data": {"object": {"id": "in_1"}}}"#,
            #"{"id": "evt_2", "type": "invoice.paid", "created": 1700000000, "data": {"object": {"id": "in_2"#,
            #"{"id": "evt_3", "type": "invoice.paid", "created": 1700000000, "data": {"object": {"id": "in_3"}}}"#,
            #"garbage here"#,
            #"{}"#,
            #"{"id": "evt_\#(String(repeating: "x", count: 296))", "type": "a", "created": 1, "data": {"object": {"id": "x"}}}"#,
            #"{"id": "evt_7", "type": "invoice.paid", "created": "yesterday", "data": {"object": {"id": "in_7"}}}"#,
            #"{"id": "evt_8", "type": "invoice.paid", "created": 1700000000, "data": {"object": {"object": "invoice"}}}"#,
            #"{"id": "evt_9", "type": "invoice.paid", "created": 1700000000, "data": {"object": {"id": "in_9"}}}}"#,
            #"  42"#,
            #"{"id": "evt_11", "data": {"object": {"id": "in_11", "a": [1, 2}}, "type": "x", "created": 5}"#,
            #"{"id": "evt_12", "type": "invoice.paid", "created": 1700000000, "data": {"object": {"id": "in_12"}}}"#,
            #"{"id": "evt_13", "type": "invoice.paid", "created": 1700000000, "data": {"object": {"id": "in_13"}}"#,
        ]
        let input = utf8(lines.joined(separator: "\n") + "\n")
        let (results, allAgree) = frameEveryWay(input)
        #expect(allAgree)
        let outcomes = results.map { result -> String in
            guard result.isDocument else { return "\(result.line) malformed: \(result.reason ?? "")" }
            switch StripeEventEnvelope.scan(result.bytes) {
            case .success(let envelope): return "\(result.line) \(envelope.id)"
            case .failure(let rejection): return "\(result.line) rejected: \(rejection.reason)"
            }
        }
        #expect(
            outcomes == [
                "1 evt_1",
                "2 malformed: truncated: line 2 ended inside a string",
                "3 evt_3",
                "4 malformed: expected a JSON object, found garbage starting with 'g'",
                "5 rejected: id is missing",
                "6 rejected: id is 300 characters long; at most 255",
                "7 rejected: created must be an integer (got a string)",
                "8 evt_8",  // an object without an id is still a Stripe event (stored in event:evt_8)
                "9 evt_9",
                "9 malformed: unbalanced: '}' with no open object",
                "10 malformed: expected a JSON object, found a bare scalar starting with '4'",
                "11 malformed: invalid JSON: '}' closes an array on line 11",
                "12 evt_12",
                "13 malformed: truncated: input ended inside a JSON value",
            ])
        #expect(results[1].text == lines[1])
        #expect(results[3].text == lines[3])
        #expect(results[13].text == lines[12])
    }

    @Test func truncatedObjectOutsideAStringEndsAtTheNextObjectLine() {
        let input = utf8("{\"a\": {\"b\": 1,\n{\"c\": 2}\n{\"d\": x}\n{\"e\": 3}")
        let (results, allAgree) = frameEveryWay(input)
        #expect(allAgree)
        #expect(
            results.map(\.description) == [
                "malformed line 1 truncated: line 2 starts a new object before this one closed {\"a\": {\"b\": 1,",
                "document line 2  {\"c\": 2}",
                "malformed line 3 invalid JSON: 'x' outside a string on line 3 {\"d\": x}",
                "document line 4  {\"e\": 3}",
            ])
    }

    @Test func oversizeDocumentIsRejectedAndFramingContinues() {
        let big = utf8(
            #"{"blob": ""# + String(repeating: "y", count: Limits.ingestDocumentBytesMax) + #"", "n": {"}": 1}}"#)
        let small = utf8(#"{"id": "evt_2"}"#)
        let input = big + utf8("\n") + small + utf8("\n")
        for chunkSize in [nil, 7, 1000, 65_536] {
            let results = frame(input, chunkSize: chunkSize)
            #expect(results.count == 2, "chunk \(String(describing: chunkSize))")
            #expect(results.first?.isDocument == false)
            #expect(
                results.first?.reason
                    == "document is \(big.count) bytes; at most 1048576 (ingestDocumentBytesMax), skipped; "
                    + "only its first 1048576 of \(big.count) bytes are kept")
            #expect(results.first?.bytes.count == Limits.ingestDocumentBytesMax)
            #expect(results.last?.bytes == small)
            #expect(results.last?.line == 2)
        }
        let exactlyMax = utf8(#"{"a": ""# + String(repeating: "z", count: Limits.ingestDocumentBytesMax - 9) + #""}"#)
        #expect(exactlyMax.count == Limits.ingestDocumentBytesMax)
        #expect(frame(exactlyMax, chunkSize: 4096).first?.isDocument == true)
    }

    @Test func arrayModeSkipsBadElementsAndReportsAnUnclosedArray() {
        let input = utf8("[\n{\"a\": 1},\n42,\n\"x,]\",\n[1, {\"z\": 2}],\n{\"b\": 2} junk,\n{\"c\": [3]}\n]\n")
        let (results, allAgree) = frameEveryWay(input)
        #expect(allAgree)
        #expect(
            results.map(\.description) == [
                "document line 2  {\"a\": 1}",
                "malformed line 3 array element is not a JSON object (starts with '4') 42",
                "malformed line 4 array element is not a JSON object (starts with '\"') \"x,]\"",
                "malformed line 5 array element is not a JSON object (starts with '[') [1, {\"z\": 2}]",
                "document line 6  {\"b\": 2}",
                "malformed line 6 expected ',' or ']' after an array element, found 'j' junk",
                "document line 7  {\"c\": [3]}",
            ])
        let unclosed = frameEveryWay(utf8("[{\"a\": 1}, {\"b\": 2}"))
        #expect(unclosed.allAgree)
        #expect(
            unclosed.whole.map(\.description) == [
                "document line 1  {\"a\": 1}",
                "document line 1  {\"b\": 2}",
                "malformed line 1 truncated: input ended before the array's closing ']' ",
            ])
        let cutElement = frameEveryWay(utf8("[{\"a\": 1},\n{\"b\": {\"c\": 2},\n{\"d\": 3}]\n"))
        #expect(cutElement.allAgree)
        #expect(
            cutElement.whole.map(\.description) == [
                "document line 1  {\"a\": 1}",
                "malformed line 2 invalid JSON: ']' closes an object on line 3 {\"b\": {\"c\": 2},\n{\"d\": 3}]",
            ])
        let trailing = frameEveryWay(utf8("[{\"a\": 1},]\n[{\"b\": 2}]"))
        #expect(trailing.allAgree)
        #expect(
            trailing.whole.map(\.description) == [
                "document line 1  {\"a\": 1}",
                "malformed line 1 trailing ',' before the array's closing ']' ",
                "malformed line 2 unexpected content after the array's closing ']' (starts with '[') [{\"b\": 2}]",
            ])
    }

    @Test func truncatedLastDocumentAndEmptyInput() {
        #expect(frame([]).isEmpty)
        #expect(frame(utf8(" \n\t\n")).isEmpty)
        let cut = frameEveryWay(utf8("{\"a\": 1}\n{\"b\": \"x\\"))
        #expect(cut.allAgree)
        #expect(
            cut.whole.map(\.description) == [
                "document line 1  {\"a\": 1}",
                "malformed line 2 truncated: input ended inside a JSON value {\"b\": \"x\\",
            ])
    }

    @Test func feedingBeforeDrainingLosesNothing() {
        var framer = JSONDocumentFramer()
        framer.feed(utf8("{\"a\": 1}\n{\"b\""))
        framer.feed(utf8(": 2}\n{\"c\": 3}"))
        framer.finish()
        var texts: [String] = []
        while let item = framer.next() { texts.append(String(decoding: item.bytes, as: UTF8.self)) }
        #expect(texts == ["{\"a\": 1}", "{\"b\": 2}", "{\"c\": 3}"])
    }

    @Test func bulkStreamFramesAndScansEveryEvent() throws {
        // A few thousand events in 64 KiB chunks: the workload `swift test -c release` exercises for throughput.
        let events = try IngestFixtures.allEvents().map(IngestFixtures.minified)
        var input: [UInt8] = []
        for round in 0..<100 {
            for event in events {
                input += event
                input.append(0x0A)
            }
            input += round % 10 == 0 ? utf8("not json\n") : []
        }
        var framer = JSONDocumentFramer()
        var valid = 0
        var malformed = 0
        var start = 0
        func drain() {
            while let item = framer.next() {
                if case .document(let bytes, _) = item, (try? StripeEventEnvelope.scan(bytes).get()) != nil {
                    valid += 1
                } else {
                    malformed += 1
                }
            }
        }
        while start < input.count {
            let end = min(start + 65_536, input.count)
            framer.feed(input[start..<end])
            drain()
            start = end
        }
        framer.finish()
        drain()
        #expect(valid == events.count * 100)
        #expect(malformed == 10)
    }
}
