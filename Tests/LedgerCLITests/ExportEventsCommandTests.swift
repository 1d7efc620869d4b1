import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("ledger export events")
struct ExportEventsCommandTests {
    static let fields = [
        "position", "event_id", "stream_id", "stream_version", "type", "source", "source_event_id", "occurred_at",
        "recorded_at", "customer_id", "metadata", "body", "hash",
    ]

    /// Reads both exports with Python's `json` and `csv` and compares every record with the log
    /// (EXPECTED: one JSON object per event, the body in base64): bodies JSON-equal in JSON Lines
    /// (byte-equal when they have no line break), byte-equal in CSV.
    static let checkScript = #"""
        import base64, csv, json, sys
        csv.field_size_limit(sys.maxsize)
        fields = sys.argv[4].split(",")
        expected = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
        raw = open(sys.argv[2], "rb").read()
        assert raw == b"" or raw.endswith(b"\n"), "the JSON Lines file ends with a newline"
        lines = raw.split(b"\n")[:-1]
        assert len(lines) == len(expected), ("jsonl lines", len(lines), len(expected))
        raw_csv = open(sys.argv[3], "rb").read()
        assert raw_csv.endswith(b"\r\n"), "CSV records end with CRLF"
        with open(sys.argv[3], newline="", encoding="utf-8") as f:
            records = list(csv.reader(f))
        assert records[0] == fields, ("header", records[0])
        records = records[1:]
        assert len(records) == len(expected), ("csv records", len(records), len(expected))
        for want, line, record in zip(expected, lines, records):
            body = base64.b64decode(want["body"])
            got = json.loads(line)
            assert list(got) == fields, list(got)
            row = dict(zip(fields, record))
            for key in fields:
                if key == "body":
                    assert got[key] == json.loads(body), ("body", want["position"])
                    if b"\n" not in body and b"\r" not in body:
                        assert b'"body":' + body in line, ("body bytes", want["position"])
                    assert row[key].encode("utf-8") == body, ("csv body bytes", want["position"])
                elif key == "metadata":
                    assert got[key] == json.loads(want[key]), ("metadata", want["position"])
                    assert row[key] == want[key], ("csv metadata", want["position"])
                else:
                    assert got[key] == want[key], (key, got[key], want[key])
                    text = "" if want[key] is None else str(want[key])
                    assert row[key] == text, ("csv " + key, row[key], text)
        print("ok", len(expected))
        """#

    /// Native events whose fields hold commas, quotes, CR and LF, and a pretty-printed CRLF body.
    func appendAwkwardEvents(_ environment: [String: String]) throws {
        let awkward: [(stream: String, type: String, data: String, metadata: String)] = [
            (
                "odd,\"stream\"\nid", "odd.type,\"quoted\"",
                "{\r\n  \"text\": \"a,b \\\"q\\\" \\n c\\r\",\r\n  \"emoji\": \"é😀\",\r\n  \"n\": [1, 2.5, null]\r\n}",
                "{\"note\": \"x,\\\"y\\\"\\n\"}"
            ),
            ("plain:1", "ledger.corrected", "{\"tab\":\"a\\tb\",\"comma\":\",,,\"}", "{}"),
            ("plain:1", "ledger.corrected", "{\n\"nested\": {\"deep\": [\"\\\"\", \",\"]}\n}\n", "{\n}"),
        ]
        for event in awkward {
            let appended = try runLedger(
                [
                    "append", "--stream", event.stream, "--type", event.type, "--data", event.data, "--metadata",
                    event.metadata,
                ],
                environment: environment)
            #expect(appended.status == 0, "\(appended.standardError)")
        }
    }

    /// The log as the test reads it through the library, one JSON object per event.
    func writeExpected(_ database: TestDatabase, to file: URL) throws -> [RecordedEvent] {
        let store = EventStore(connection: try database.connect())
        var events: [RecordedEvent] = []
        while true {
            let batch = try store.read(after: events.last?.position ?? 0)
            if batch.isEmpty { break }
            events += batch
        }
        var lines = Data()
        for event in events {
            let object: [String: Any] = [
                "position": event.position, "event_id": event.eventID.uuidString.lowercased(),
                "stream_id": event.streamID, "stream_version": event.streamVersion, "type": event.type,
                "source": event.source, "source_event_id": event.sourceEventID ?? NSNull(),
                "occurred_at": event.occurredAt.description, "recorded_at": event.recordedAt.description,
                "customer_id": event.customerID ?? NSNull(), "metadata": event.metadata,
                "body": Data(event.body).base64EncodedString(), "hash": HexEncoding.encode(event.hash),
            ]
            lines.append(try JSONSerialization.data(withJSONObject: object))
            lines.append(0x0A)
        }
        try lines.write(to: file)
        return events
    }

    @Test func everyEventExactlyOnceInOrderForAnyPageSizeAsPythonReadsIt() async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 12, months: 4)
            defer { loaded.remove() }
            let environment = loaded.environment
            try ingest(loaded.files[0], environment)
            try appendAwkwardEvents(environment)
            let expectedFile = loaded.directory.appendingPathComponent("expected.jsonl")
            let events = try writeExpected(database, to: expectedFile)
            #expect(events.count > 100)
            for (pageSize, readers) in [(1, 3), (7, 2), (1000, 1)] {
                let jsonl = loaded.directory.appendingPathComponent("events-\(pageSize).jsonl")
                let csv = loaded.directory.appendingPathComponent("events-\(pageSize).csv")
                for (format, file) in [("jsonl", jsonl), ("csv", csv)] {
                    let exported = try runLedger(
                        [
                            "export", "events", "--format", format, "--page-size", "\(pageSize)", "--readers",
                            "\(readers)", "--out", file.path,
                        ],
                        environment: environment)
                    #expect(exported.status == 0, "\(exported.standardError)")
                    #expect(exported.standardOutput.contains("exported \(events.count) events"))
                }
                let checked = try runPython(
                    Self.checkScript, [expectedFile.path, jsonl.path, csv.path, Self.fields.joined(separator: ",")])
                #expect(
                    checked.status == 0 && checked.standardOutput == "ok \(events.count)\n", "\(checked.standardError)")
            }
            // Standard output carries the same bytes as a file; no temporary file is left behind.
            let printed = try runLedger(["export", "events"], environment: environment)
            #expect(printed.status == 0 && printed.standardError.isEmpty)
            #expect(
                Data(printed.standardOutput.utf8)
                    == (try Data(contentsOf: loaded.directory.appendingPathComponent("events-7.jsonl"))))
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: loaded.directory.path)
            #expect(!leftovers.contains { $0.hasPrefix(".") }, "\(leftovers)")
        }
    }

    @Test func rangesFieldsAndTheirErrors() async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 6, months: 3)
            defer { loaded.remove() }
            let environment = loaded.environment
            try ingest(loaded.files[0], environment)
            let ingested = try positions(database).head
            try appendAwkwardEvents(environment)
            let head = try positions(database).head
            func csvPositions(_ arguments: [String]) throws -> (header: String, positions: [Int64]) {
                let output = try runLedger(
                    ["export", "events", "--format", "csv", "--fields", "position,type"] + arguments,
                    environment: environment)
                #expect(output.status == 0, "\(output.standardError)")
                let lines = output.standardOutput.components(separatedBy: "\r\n").dropLast()
                return (lines.first ?? "", lines.dropFirst().compactMap { Int64($0.split(separator: ",")[0]) })
            }
            #expect(try csvPositions([]).header == "position,type")
            #expect(try csvPositions([]).positions == Array(1...head))
            #expect(try csvPositions(["--after", "3", "--until", "9"]).positions == Array(4...9))
            #expect(try csvPositions(["--after", "10", "--limit", "5"]).positions == Array(11...15))
            #expect(try csvPositions(["--after", "\(head)"]).positions == [])
            #expect(try csvPositions(["--until", "\(head + 50)"]).positions == Array(1...head))
            // The native events were recorded after the whole ingest.
            let lastIngested = try EventStore(connection: try database.connect()).read(after: ingested - 1, limit: 1)[0]
            #expect(
                try csvPositions(["--until-time", lastIngested.recordedAt.description]).positions == Array(1...ingested)
            )
            #expect(try csvPositions(["--until-time", "2001-01-01"]).positions == [])

            let reordered = try runLedger(
                ["export", "events", "--fields", "hash, position", "--until", "1"], environment: environment)
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(reordered.standardOutput.utf8)) as? [String: Any])
            #expect(Set(object.keys) == ["hash", "position"])
            #expect(reordered.standardOutput.hasPrefix(#"{"hash":""#))

            for (arguments, complaint) in [
                (["--fields", "position,bogus"], "unknown field \"bogus\""),
                (["--fields", "type,type"], "named twice"),
                (["--until", "3", "--until-time", "2025-01-01"], "not both"),
                (["--after", "5", "--until", "2"], "--until must not be before --after"),
                (["--format", "xml"], "format"),
            ] {
                let refused = try runLedger(["export", "events"] + arguments, environment: environment)
                #expect(
                    refused.status == 2 && refused.standardError.contains(complaint),
                    "\(arguments): \(refused.standardError)")
            }
            let nowhere = try runLedger(
                ["export", "events", "--out", "/no/such/directory/events.jsonl"], environment: environment)
            #expect(nowhere.status == 1 && nowhere.standardError.contains("/no/such/directory"))
        }
    }

    /// `--out` naming a pipe (as `/dev/null` or `/dev/stdout` name devices) writes into it: a staged file renamed
    /// over it would replace the pipe with a file (as it once replaced this machine's /dev/null).
    @Test func anOutputThatIsAPipeIsWrittenInPlaceNotReplaced() async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 2, months: 2)
            defer { loaded.remove() }
            try ingest(loaded.files[0], loaded.environment)
            let pipe = loaded.directory.appendingPathComponent("events.pipe")
            #expect(mkfifo(pipe.path, 0o600) == 0)
            // The read end is open before the export starts (so its open for writing does not wait) and never
            // blocks: were the pipe replaced by a file, the export would write nothing here and the test fail,
            // not hang.
            let readEnd = open(pipe.path, O_RDONLY | O_NONBLOCK)
            #expect(readEnd >= 0)
            defer { close(readEnd) }
            let process = try LedgerProcess(["export", "events", "--out", pipe.path], environment: loaded.environment)
            var read: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let running = process.isRunning
                let count = Foundation.read(readEnd, &buffer, buffer.count)
                if count > 0 {
                    read += buffer[..<count]
                    continue
                }
                if !running { break }
                usleep(10_000)
            }
            let exported = process.wait()
            #expect(exported.status == 0, "\(exported.standardError)")
            let lines = String(decoding: read, as: UTF8.self).split(separator: "\n")
            let stored = try database.connect().query("SELECT count(*) FROM ledger.events")[0].decode(Int.self, at: 0)
            #expect(lines.count == stored && stored > 0, "\(lines.count) lines for \(stored) events")
            var status = stat()
            #expect(stat(pipe.path, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO, "the pipe is still a pipe")
            let names = try FileManager.default.contentsOfDirectory(atPath: loaded.directory.path)
            #expect(!names.contains { $0.hasPrefix(".") }, "no staged file left: \(names)")
        }
    }

    @Test func aGapInTheLogStopsTheExportAndLeavesNoFile() async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 4, months: 3)
            defer { loaded.remove() }
            try ingest(loaded.files[0], loaded.environment)
            try database.connect().execute(
                "SET session_replication_role = replica; DELETE FROM ledger.events WHERE position = 40; "
                    + "SET session_replication_role = origin")
            let file = loaded.directory.appendingPathComponent("gap.jsonl")
            let exported = try runLedger(
                ["export", "events", "--page-size", "3", "--readers", "3", "--out", file.path],
                environment: loaded.environment)
            #expect(exported.status == 1 && exported.standardError.contains("position 40 is missing"))
            let names = try FileManager.default.contentsOfDirectory(atPath: loaded.directory.path)
            #expect(!names.contains { $0.hasPrefix(".") || $0 == "gap.jsonl" }, "\(names)")
        }
    }
}
