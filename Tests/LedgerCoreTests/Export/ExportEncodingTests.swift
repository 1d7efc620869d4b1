import Foundation
import LedgerCore
import Testing

@Suite("export encodings")
struct ExportEncodingTests {
    func text(_ append: (inout [UInt8]) -> Void) -> String {
        var output: [UInt8] = []
        append(&output)
        return String(decoding: output, as: UTF8.self)
    }

    func bytes(_ text: String, _ body: (UnsafeRawBufferPointer) -> Void) {
        Array(text.utf8).withUnsafeBytes(body)
    }

    @Test func csvFieldsAreQuotedOnlyWhenRFC4180AsksAndQuotesAreDoubled() {
        #expect(text { ExportBytes.appendCSVField("plain", to: &$0) } == "plain")
        #expect(text { ExportBytes.appendCSVField("a,b", to: &$0) } == "\"a,b\"")
        #expect(text { ExportBytes.appendCSVField("say \"hi\"", to: &$0) } == "\"say \"\"hi\"\"\"")
        #expect(text { ExportBytes.appendCSVField("line\nbreak", to: &$0) } == "\"line\nbreak\"")
        #expect(text { ExportBytes.appendCSVField("cr\r", to: &$0) } == "\"cr\r\"")
        #expect(text { ExportBytes.appendCSVField("\"", to: &$0) } == "\"\"\"\"")
        #expect(text { ExportBytes.appendCSVField("\"\"x\"", to: &$0) } == "\"\"\"\"\"x\"\"\"")
        // An empty string is quoted, so it differs from NULL (nothing at all).
        #expect(text { ExportBytes.appendCSVField("", to: &$0) } == "\"\"")
        #expect(text { ExportBytes.appendCSVNull(to: &$0) } == "")
        #expect(text { ExportBytes.appendCSVRecordEnd(to: &$0) } == "\r\n")
    }

    @Test func jsonStringsEscapeQuotesBackslashesAndControlCharacters() throws {
        let tricky = "q\"b\\n\nt\tc\u{01}é😀"
        let encoded = text { ExportBytes.appendJSONString(tricky, to: &$0) }
        #expect(encoded == #""q\"b\\n\nt\tc\u0001é😀""#)
        let decoded = try JSONSerialization.jsonObject(with: Data(encoded.utf8), options: .fragmentsAllowed)
        #expect(decoded as? String == tricky)
    }

    @Test func rawJSONIsCopiedAsItIsWithLineBreaksAsSpaces() {
        for (stored, written) in [
            (#"{"a":[1,2],"s":"x,\"y\"\n"}"#, #"{"a":[1,2],"s":"x,\"y\"\n"}"#),
            ("{\r\n  \"a\": 1\n}\n", "{    \"a\": 1 } "),
        ] {
            bytes(stored) { json in
                var output: [UInt8] = []
                let accepted = ExportBytes.appendRawJSON(json, to: &output)
                #expect(accepted)
                #expect(String(decoding: output, as: UTF8.self) == written)
            }
        }
        for notJSON in ["", "   ", "plain", "{\"a\":1", "[1,2}", "\"string\""] {
            bytes(notJSON) { json in
                var output: [UInt8] = []
                #expect(!ExportBytes.appendRawJSON(json, to: &output), "\(notJSON)")
            }
        }
    }

    @Test func integersUUIDsAndHexAreWrittenAsPostgreSQLPrintsThem() {
        for value: Int64 in [0, 7, -1, 1_234_567_890, .max, .min] {
            #expect(text { ExportBytes.appendInteger(value, to: &$0) } == String(value))
        }
        let id = UUID()
        withUnsafeBytes(of: id.uuid) { raw in
            #expect(text { ExportBytes.appendUUID(raw, to: &$0) } == id.uuidString.lowercased())
        }
        bytes("\u{00}\u{7F}") { raw in #expect(text { ExportBytes.appendHex(raw, to: &$0) } == "007f") }
    }

    @Test func fieldListsKeepTheirOrderAndRefuseUnknownOrRepeatedNames() throws {
        #expect(try EventExportField.parseList("body, position,hash") == [.body, .position, .hash])
        #expect(throws: InvalidFieldList.self) { try EventExportField.parseList("position,bogus") }
        #expect(throws: InvalidFieldList.self) { try EventExportField.parseList("position,position") }
        #expect(throws: InvalidFieldList.self) { try EventExportField.parseList("position,") }
        do {
            _ = try EventExportField.parseList("nope")
            Issue.record("an unknown field was accepted")
        } catch {
            #expect(error.description.contains("stream_version"))
        }
    }

    @Test func anEventIsOneJSONLineOrOneCSVRecordWithItsFieldsInOrder() throws {
        let event = RecordedEvent(
            position: 42, eventID: UUID(), streamID: "odd,\"stream\"\nid", streamVersion: 3, type: "t.x",
            source: "ledger", sourceEventID: nil, occurredAt: EventTime(secondsSinceEpoch: 1_700_000_000),
            recordedAt: EventTime(microsecondsSinceEpoch: 1_700_000_000_123_456), customerID: "cus_1",
            body: Array("{\n  \"k\": \"v,\\\"w\\\"\"\n}".utf8), metadata: "{}", hash: Array(repeating: 0xAB, count: 32))
        let (jsonLine, csvRecord, header) = try EventFieldBytes.with(event) { fields in
            let hash = UnsafeRawBufferPointer(start: nil, count: 0)
            var json: [UInt8] = []
            var csv: [UInt8] = []
            var header: [UInt8] = []
            let all = EventRecordEncoder(format: .jsonl)
            try event.hash.withUnsafeBytes { try all.append(fields, hash: $0, to: &json) }
            let picked = EventRecordEncoder(format: .csv, fields: [.body, .position, .sourceEventID, .streamID])
            try picked.append(fields, hash: hash, to: &csv)
            picked.appendHeader(to: &header)
            return (
                String(decoding: json, as: UTF8.self), String(decoding: csv, as: UTF8.self),
                String(decoding: header, as: UTF8.self)
            )
        }
        #expect(jsonLine.hasSuffix("}\n") && jsonLine.filter { $0 == "\n" }.count == 1)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(jsonLine.utf8)) as? [String: Any])
        #expect(object["position"] as? Int == 42)
        #expect(object["stream_id"] as? String == event.streamID)
        #expect(object["source_event_id"] is NSNull)
        #expect(object["recorded_at"] as? String == "2023-11-14T22:13:20.123456Z")
        #expect((object["body"] as? [String: String])?["k"] == "v,\"w\"")
        #expect(object["hash"] as? String == String(repeating: "ab", count: 32))
        #expect(jsonLine.hasPrefix(#"{"position":42,"event_id":"#))
        #expect(header == "body,position,source_event_id,stream_id\r\n")
        #expect(csvRecord == "\"{\n  \"\"k\"\": \"\"v,\\\"\"w\\\"\"\"\"\n}\",42,,\"odd,\"\"stream\"\"\nid\"\r\n")
    }

    @Test func aBodyThatIsNotJSONCannotBeAJSONLineButCanBeACSVRecord() throws {
        let event = RecordedEvent(
            position: 9, eventID: UUID(), streamID: "s", streamVersion: 1, type: "t", source: "ledger",
            sourceEventID: nil, occurredAt: EventTime(secondsSinceEpoch: 0),
            recordedAt: EventTime(secondsSinceEpoch: 0),
            customerID: nil, body: Array("not json".utf8), metadata: "{}", hash: [])
        try EventFieldBytes.with(event) { fields in
            var output: [UInt8] = []
            let hash = UnsafeRawBufferPointer(start: nil, count: 0)
            #expect(
                throws: UnexportableEvent(
                    position: 9, reason: "its body is not a JSON object or array (export it with --format csv)")
            ) {
                try EventRecordEncoder(format: .jsonl).append(fields, hash: hash, to: &output)
            }
            try EventRecordEncoder(format: .csv, fields: [.body]).append(fields, hash: hash, to: &output)
            #expect(String(decoding: output, as: UTF8.self).hasSuffix("not json\r\n"))
        }
    }
}

extension EventFieldBytes {
    /// The fields of `event`, borrowed for `body`.
    static func with<T>(_ event: RecordedEvent, _ body: (EventFieldBytes) throws -> T) throws -> T {
        var (streamText, typeText, sourceText, metadataText) = (
            event.streamID, event.type, event.source, event.metadata
        )
        return try withUnsafeBytes(of: event.eventID.uuid) { eventID in
            try event.body.withUnsafeBytes { bodyBytes in
                try streamText.withUTF8 { stream in
                    try typeText.withUTF8 { type in
                        try sourceText.withUTF8 { source in
                            try metadataText.withUTF8 { metadata in
                                var sourceID = event.sourceEventID
                                var customer = event.customerID
                                return try optionalBytes(&sourceID) { sourceEventID in
                                    try optionalBytes(&customer) { customerID in
                                        try body(
                                            EventFieldBytes(
                                                position: event.position, eventID: eventID,
                                                streamID: UnsafeRawBufferPointer(stream),
                                                streamVersion: event.streamVersion,
                                                type: UnsafeRawBufferPointer(type),
                                                source: UnsafeRawBufferPointer(source),
                                                sourceEventID: sourceEventID, occurredAt: event.occurredAt,
                                                recordedAt: event.recordedAt, customerID: customerID, body: bodyBytes,
                                                metadata: UnsafeRawBufferPointer(metadata)))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static func optionalBytes<T>(_ text: inout String?, _ body: (UnsafeRawBufferPointer?) throws -> T) rethrows
        -> T
    {
        guard var value = text else { return try body(nil) }
        defer { text = value }
        return try value.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }
}
