import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// A migrated database holding a generated history's licenses and events, split into two files.
struct Loaded {
    var environment: [String: String]
    var files: [URL]
    var directory: URL

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

func loadGenerated(_ database: TestDatabase, customers: Int, months: Int, firstPart: Double = 1) throws -> Loaded {
    let environment = ["DATABASE_URL": database.url]
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("project-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let events = directory.appendingPathComponent("events.jsonl")
    let fixtures = directory.appendingPathComponent("fixtures.sql")
    #expect(try runLedger(["migrate", "up"], environment: environment).status == 0)
    let generated = try runLedger(
        [
            "generate", "--customers", "\(customers)", "--months", "\(months)", "--seed", "5", "--duplicates",
            "0.1", "--shuffle", "0.1", "--out", events.path, "--fixtures-sql", fixtures.path,
        ], environment: environment)
    #expect(generated.status == 0, "\(generated.standardError)")
    try database.connect().execute(try String(contentsOf: fixtures, encoding: .utf8))
    let lines = try String(contentsOf: events, encoding: .utf8).split(separator: "\n")
    let cut = Int(Double(lines.count) * firstPart)
    var files: [URL] = []
    for (index, part) in [lines[..<cut], lines[cut...]].enumerated() where !part.isEmpty {
        let file = directory.appendingPathComponent("part\(index).jsonl")
        try Data((part.joined(separator: "\n") + "\n").utf8).write(to: file)
        files.append(file)
    }
    return Loaded(environment: environment, files: files, directory: directory)
}

/// Runs `ledger` with `arguments`, expecting exit 0 and one JSON object on standard output.
func ledgerJSON(_ arguments: [String], _ environment: [String: String]) throws -> [String: Any] {
    let output = try runLedger(arguments, environment: environment)
    #expect(output.status == 0, "\(arguments): \(output.standardError)")
    return try #require(try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any])
}

func ingest(_ file: URL, _ environment: [String: String]) throws {
    let output = try runLedger(["ingest", "stripe", file.path], environment: environment)
    #expect(output.status == 0, "\(output.standardError)")
}

func positions(_ database: TestDatabase) throws -> (head: Int64, checkpoint: Int64?) {
    let row = try database.connect().query(
        """
        SELECT (SELECT position FROM ledger.head),
               (SELECT position FROM ledger.checkpoints WHERE projection = 'billing')
        """)[0]
    return (try row.decode(at: 0), try row.decode(Int64?.self, at: 1))
}
