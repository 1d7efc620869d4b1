import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// `ledger ingest` and `ledger append` keep a known id delivered with other bytes; `ledger status` counts it.
@Suite("ledger: conflicting duplicates")
struct ConflictingDuplicateCommandTests {
    @Test func ingestAndAppendKeepThemAndStatusCountsThemInTextAndJSON() async throws {
        try await TestDatabase.withMigrated { database in
            let environment = ["DATABASE_URL": database.url]
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conflicts-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            func event(_ amount: Int) -> String {
                #"{"id":"evt_conflict_cli","object":"event","type":"charge.succeeded","created":1700000000,"data":{"object":{"id":"ch_1","object":"charge","amount":\#(amount)}}}"#
            }
            for (name, amount) in [("first", 100), ("again", 100), ("changed", 250)] {
                let file = directory.appendingPathComponent("\(name).jsonl")
                try Data((event(amount) + "\n").utf8).write(to: file)
                let ingested = try runLedger(["ingest", "stripe", file.path], environment: environment)
                #expect(ingested.status == 0, "\(ingested.standardError)")
            }
            let id = UUID().uuidString.lowercased()
            let note = ["append", "--stream", "note:cli", "--type", "note.recorded", "--event-id", id, "--data"]
            #expect(try runLedger(note + [#"{"n":1}"#], environment: environment).status == 0)
            let same = try runLedger(note + [#"{"n":1}"#], environment: environment)
            #expect(same.status == 0 && same.standardOutput.contains("duplicate"), "\(same)")
            let other = try runLedger(note + [#"{"n":2}"#, "--json"], environment: environment)
            #expect(other.status == 1, "\(other)")
            #expect(other.standardOutput.contains("conflicting_duplicate"), "\(other.standardOutput)")
            #expect(
                other.standardError.contains("already stored at position 2 with other data"), "\(other.standardError)")

            let text = try runLedger(["status"], environment: environment)
            #expect(text.standardOutput.contains("conflicting duplicates 2"), "\(text.standardOutput)")
            let json = try runLedger(["status", "--json"], environment: environment)
            let status = try #require(
                try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
            #expect(
                (status["conflicting_duplicates"] ?? status["conflictingDuplicates"]) as? Int == 2, "\(status)")
            let origins = try database.connect().query(
                "SELECT origin FROM ledger.rejected_inputs WHERE conflicts_with_position IS NOT NULL ORDER BY id"
            ).map { try $0.decode(String.self, at: 0) }
            #expect(origins == ["\(directory.appendingPathComponent("changed.jsonl").path):1", "ledger append"])
        }
    }
}
