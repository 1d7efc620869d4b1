import LedgerCore
import Testing

/// Issue 13 point 6: a byte order mark must not cost the first event; a truncated rejection says so.
@Suite("JSON document framer: byte order mark and truncation")
struct JSONDocumentFramerBOMTests {
    static let mark: [UInt8] = [0xEF, 0xBB, 0xBF]

    @Test func aByteOrderMarkAtTheStartIsSkippedHoweverTheInputIsCut() {
        let first = utf8(#"{"id": "evt_1"}"#)
        let second = utf8(#"{"id": "evt_2"}"#)
        for input in [
            Self.mark + first + utf8("\n") + second,
            Self.mark + utf8("[") + first + utf8(",\n") + second + utf8("]"),
            Self.mark + utf8("\n  ") + first + utf8("\n") + second,
        ] {
            let (results, allAgree) = frameEveryWay(input)
            #expect(allAgree, "\(input)")
            #expect(results.map(\.isDocument) == [true, true], "\(results)")
            #expect(results.first?.bytes == first, "the mark is not part of the first document")
            #expect(results.first?.line == 1 || results.first?.line == 2)
        }
    }

    @Test func aMarkAnywhereElseOrOnlyInPartIsReported() {
        let document = utf8(#"{"id": "evt_1"}"#)
        // Only the very start of an input is skipped: a mark on line 2 is stray bytes.
        let (later, laterAgree) = frameEveryWay(document + utf8("\n") + Self.mark + document)
        #expect(laterAgree)
        #expect(
            later.map(\.description) == [
                "document line 1  {\"id\": \"evt_1\"}",
                "malformed line 2 expected a JSON object, found garbage starting with byte 0xef \(later.last?.text ?? "")",
            ])
        // Two bytes of a mark, then a document: the bytes are reported with the line they are on.
        let (partial, partialAgree) = frameEveryWay([0xEF, 0xBB] + document + utf8("\n") + document)
        #expect(partialAgree)
        #expect(partial.map(\.isDocument) == [false, true])
        // A lone partial mark that ends the input is reported, not waited on forever.
        let (alone, aloneAgree) = frameEveryWay([0xEF, 0xBB])
        #expect(aloneAgree)
        #expect(alone.map(\.isDocument) == [false])
        #expect(frame([]).isEmpty)
    }

    @Test func aMalformedStretchLongerThanTheBoundSaysOnlyItsStartIsKept() {
        let garbage = utf8("x" + String(repeating: "y", count: Limits.ingestDocumentBytesMax + 10))
        let input = garbage + utf8("\n") + utf8(#"{"id": "evt_2"}"#)
        for chunkSize in [nil, 65_536] {
            let results = frame(input, chunkSize: chunkSize)
            #expect(results.map(\.isDocument) == [false, true])
            #expect(results.first?.bytes.count == Limits.ingestDocumentBytesMax)
            #expect(
                results.first?.reason
                    == "expected a JSON object, found garbage starting with 'x'; only its first "
                    + "\(Limits.ingestDocumentBytesMax) of \(garbage.count) bytes are kept")
        }
    }
}
