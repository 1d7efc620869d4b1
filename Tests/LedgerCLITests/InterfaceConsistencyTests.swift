import Foundation
import LedgerTestSupport
import Testing

/// One interface: the docs name only flags the binary has, every JSON key is snake_case, and a projected row has
/// the same JSON whether it is read live or replayed.
@Suite("interface consistency")
struct InterfaceConsistencyTests {
    // MARK: - Docs against --help

    @Test func theREADMECommandTableNamesOnlyFlagsTheCommandsHave() throws {
        let help = HelpIndex()
        let readme = try readRepositoryFile("README.md")
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| `ledger ") }
        #expect(rows.count >= 20, "the README's command table was not found")
        var problems: [String] = []
        for row in rows {
            let cells = row.split(separator: "|", omittingEmptySubsequences: true)
            guard let first = cells.first else { continue }
            let commands = try help.commands(in: String(first).replacingOccurrences(of: "`", with: ""))
            #expect(!commands.isEmpty, "no command in \(first)")
            // Flags in a backticked `ledger …` span belong to that command; every other flag to the row's.
            let (own, other) = DocumentedFlags.split(row.replacingOccurrences(of: "\\|", with: "¦"))
            for command in commands {
                problems += try help.missing(DocumentedFlags.flags(in: own), in: command, origin: "README row \(first)")
            }
            problems += try other.flatMap { try help.check(span: $0, origin: "README") }
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test(arguments: ["README.md", "docs/snapshots.md", "docs/operations.md"])
    func commandsInTheDocsUseOnlyFlagsTheyHave(file: String) throws {
        let help = HelpIndex()
        let text = try readRepositoryFile(file)
        let spans = DocumentedFlags.codeSpans(in: text)
        let problems = try spans.flatMap { try help.check(span: $0, origin: file) }
        #expect(spans.contains { $0.contains("ledger ") }, "no `ledger …` in \(file)")
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func everyHelpHasAnExampleAndWrapsItsParagraphs() throws {
        let help = HelpIndex()
        var problems: [String] = []
        for command in try help.allCommands() {
            let text = try help.text(command)
            if !text.contains("Examples:\n  ledger ") && !text.contains("Examples:\n  STRIPE") {
                problems.append("ledger \(command.joined(separator: " ")) --help has no Examples: block")
            }
            // A paragraph line ArgumentParser had to break leaves a short line inside a sentence: none may end
            // in the middle of one (lower-case word next) unless it is the last line of its paragraph.
            let discussion = text.components(separatedBy: "USAGE:")[0].split(
                separator: "\n", omittingEmptySubsequences: false)
            for (line, next) in zip(discussion, discussion.dropFirst())
            where !line.isEmpty && !line.hasPrefix(" ") && !next.isEmpty && !next.hasPrefix(" ") && line.count < 50
                && next.first?.isLowercase == true && !line.hasSuffix(":")
            {
                problems.append("ledger \(command.joined(separator: " ")) --help: ragged line '\(line)'")
            }
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    // MARK: - JSON keys

    @Test func everyJSONOutputHasSnakeCaseKeys() async throws {
        try await TestDatabase.withMigrated { database in
            let loaded = try SmallLedger(database)
            defer { loaded.remove() }
            var problems: [String] = []
            for arguments in loaded.jsonCommands() {
                let output = try runLedger(arguments, environment: loaded.environment)
                #expect(output.status == 0, "ledger \(arguments.joined(separator: " ")): \(output.standardError)")
                let documents =
                    arguments.contains("history")
                    ? output.standardOutput.split(separator: "\n").map(String.init) : [output.standardOutput]
                for document in documents {
                    guard let value = try? JSONSerialization.jsonObject(with: Data(document.utf8)) else {
                        problems.append(
                            "ledger \(arguments.joined(separator: " ")) printed no JSON: \(document.prefix(300))")
                        continue
                    }
                    problems += JSONKeys.nonSnakeCase(
                        in: value, at: "ledger " + arguments.prefix(3).joined(separator: " "))
                }
            }
            #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        }
    }

    @Test func theReadAPIHasSnakeCaseKeysAndOneTypePerField() async throws {
        try await TestDatabase.withMigrated { database in
            let loaded = try SmallLedger(database)
            defer { loaded.remove() }
            let server = try await ServedLedger.start(databaseURL: database.url, arguments: ["--no-projector"])
            var problems: [String] = []
            let subscription = loaded.subscription
            for path in [
                "/v1/status", "/v1/events?limit=20", "/v1/subscriptions/\(subscription)",
                "/v1/subscriptions/\(subscription)/history?include_payments=true",
                "/v1/subscriptions/\(subscription)?at_position=\(loaded.head)", "/v1/parked", "/v1/rejected",
            ] {
                let response = try await server.get(path)
                #expect(response.status == 200, "\(path): \(response.text)")
                let value = try JSONSerialization.jsonObject(with: Data(response.text.utf8))
                problems += JSONKeys.nonSnakeCase(in: value, at: path)
            }
            let live = try #require(
                try await server.get("/v1/subscriptions/\(subscription)").json?["subscription"] as? NSDictionary)
            let replayed = try #require(
                (try await server.get("/v1/subscriptions/\(subscription)?at_position=\(loaded.head)").json?[
                    "subscriptions"]
                    as? [NSDictionary])?.first)
            #expect(live["amount_cents"] is NSNumber && live["metadata"] is NSDictionary, "\(live)")
            #expect(live == replayed, "the live row and the row replayed to the head differ:\n\(live)\n\(replayed)")
            let events = try #require(try await server.get("/v1/events?limit=1").json?["events"] as? [[String: Any]])
            #expect(events.first?["metadata"] is NSDictionary, "an event's metadata is an object, as in exports")
            await server.stop()
            #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        }
    }

    @Test func logFormatJSONWritesOneObjectPerLine() async throws {
        try await TestDatabase.withMigrated { database in
            let output = try runLedger(
                ["head", "--log-level", "info", "--log-format", "json"], environment: ["DATABASE_URL": database.url])
            #expect(output.status == 0, "\(output.standardError)")
            let lines = output.standardError.split(separator: "\n")
            #expect(!lines.isEmpty)
            for line in lines {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                #expect(Set(object.keys) == ["timestamp", "level", "label", "message", "metadata"], "\(line)")
                #expect(object["level"] as? String == "info" && object["label"] as? String == "ledger.head")
            }
        }
    }
}

/// A migrated database with a small generated history ingested, projected and snapshotted.
struct SmallLedger {
    var environment: [String: String]
    var directory: URL
    var subscription: String
    var head: Int64

    init(_ database: TestDatabase) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("interface-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        environment = [
            "DATABASE_URL": database.url, "LEDGER_SNAPSHOT_DIR": directory.appendingPathComponent("snapshots").path,
        ]
        let events = directory.appendingPathComponent("events.jsonl")
        let fixtures = directory.appendingPathComponent("fixtures.sql")
        let generated = try runLedger(
            [
                "generate", "--customers", "6", "--months", "3", "--seed", "11", "--out", events.path,
                "--fixtures-sql", fixtures.path,
            ], environment: environment)
        #expect(generated.status == 0, "\(generated.standardError)")
        let connection = try database.connect()
        try connection.execute(try String(contentsOf: fixtures, encoding: .utf8))
        for arguments in [["ingest", "stripe", events.path], ["project"]] {
            let output = try runLedger(arguments, environment: environment)
            #expect(output.status == 0, "\(arguments): \(output.standardError)")
        }
        subscription = try connection.query(
            "SELECT stripe_subscription_id FROM subscriptions ORDER BY stripe_subscription_id LIMIT 1")[0].decode(at: 0)
        head = try connection.query("SELECT position FROM ledger.head")[0].decode(at: 0)
        connection.close()
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// Every command that reports, with `--json`, in an order where each finds what it needs.
    func jsonCommands() -> [[String]] {
        let out = directory.appendingPathComponent("out")
        return [
            ["migrate", "status", "--json"], ["migrate", "up", "--json"], ["migrate", "down", "--dry-run", "--json"],
            [
                "append", "--stream", "import:interface", "--type", "import.checked", "--data", #"{"rowCount":1}"#,
                "--json",
            ],
            ["head", "--json"], ["status", "--json"], ["digest", "--json"], ["project", "--json"],
            ["rebuild", "--json"], ["snapshot", "create", "--json"], ["snapshot", "list", "--json"],
            ["snapshot", "verify", "--json"], ["snapshot", "prune", "--keep", "1", "--json"], ["verify", "--json"],
            ["history", subscription, "--include-payments", "--json"],
            ["state", subscription, "--at-position", "\(head)", "--json"],
            ["report", "mrr", "--from", "2025-01", "--to", "2025-03", "--format", "json"],
            ["export", "events", "--out", out.path + ".jsonl", "--json"],
            [
                "export", "state", "--at-position", "\(head)", "--format", "jsonl", "--out", out.path + "-state.jsonl",
                "--json",
            ],
            ["consume", "--group", "interface", "--reset-to", "3", "--json"], ["consumers", "--json"],
            ["parked", "--json"], ["rejected", "--json"],
        ]
    }
}

/// JSON keys that are not snake_case (`head_position`, `sha256`), with where they are.
enum JSONKeys {
    static func nonSnakeCase(in value: Any, at path: String) -> [String] {
        switch value {
        case let object as [String: Any]:
            return object.flatMap { key, member in
                // `metadata` holds the user's own keys (Stripe metadata, --metadata JSON), never renamed.
                (isSnakeCase(key) ? [] : ["\(path).\(key)"])
                    + (key == "metadata" ? [] : nonSnakeCase(in: member, at: "\(path).\(key)"))
            }
        case let array as [Any]: return array.flatMap { nonSnakeCase(in: $0, at: path + "[]") }
        default: return []
        }
    }

    static func isSnakeCase(_ key: String) -> Bool {
        key.range(of: #"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"#, options: .regularExpression) != nil
    }
}

/// Flags and `ledger …` command lines in Markdown.
enum DocumentedFlags {
    /// `--flag` names in `text`.
    static func flags(in text: String) -> [String] {
        matches(#"(?<![\w-])--[a-z][a-z0-9-]*"#, in: text)
    }

    /// The row's text outside `ledger …` code spans, and those spans.
    static func split(_ text: String) -> (own: String, other: [String]) {
        var own = ""
        var other: [String] = []
        for (index, part) in text.components(separatedBy: "`").enumerated() {
            if index % 2 == 1, part.hasPrefix("ledger ") { other.append(part) } else { own += part + " " }
        }
        return (own, other)
    }

    /// Inline code spans and the lines of fenced code blocks.
    static func codeSpans(in text: String) -> [String] {
        var spans: [String] = []
        for (index, block) in text.components(separatedBy: "```").enumerated() {
            if index % 2 == 1 {
                spans += block.split(separator: "\n").map(String.init)
            } else {
                spans += block.components(separatedBy: "`").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            }
        }
        return spans.filter { $0.range(of: #"(^|[\s/])ledger [a-z]"#, options: .regularExpression) != nil }
    }

    static func matches(_ pattern: String, in text: String) -> [String] {
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return [] }
        let range = NSRange(text.startIndex..., in: text)
        return expression.matches(in: text, range: range).compactMap {
            Range($0.range, in: text).map { String(text[$0]) }
        }
    }
}

/// `ledger … --help` of every command, read once each.
final class HelpIndex {
    private var cache: [[String]: String] = [:]

    func text(_ command: [String]) throws -> String {
        if let text = cache[command] { return text }
        let output = try runLedger(command + ["--help"])
        guard output.status == 0 else { throw TestSupportError("ledger \(command) --help: \(output.standardError)") }
        cache[command] = output.standardOutput
        return output.standardOutput
    }

    /// The subcommand names a help text lists.
    func subcommands(of command: [String]) throws -> [String] {
        let text = try text(command)
        guard let section = text.components(separatedBy: "SUBCOMMANDS:").dropFirst().first else { return [] }
        // A subcommand's line is indented two spaces; its wrapped abstract goes on lines indented further.
        let lines = section.split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
        return lines.prefix { !$0.isEmpty }.compactMap { line in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let first = line.split(separator: " ").first else {
                return nil
            }
            return String(first)
        }
    }

    func allCommands() throws -> [[String]] {
        var result: [[String]] = [[]]
        var index = 0
        while index < result.count {
            let command = result[index]
            result += try subcommands(of: command).filter { $0 != "help" }.map { command + [$0] }
            index += 1
        }
        return result
    }

    /// The command paths the first `ledger a b|c …` in a text names (alternatives split at `|` or `¦`).
    func commands(in text: String) throws -> [[String]] {
        var rest = text[...]
        while let start = rest.range(of: #"(^|[\s/])ledger "#, options: .regularExpression) {
            let found = try commands(after: rest[start.upperBound...])
            if !found.isEmpty { return found }
            rest = rest[start.upperBound...]
        }
        return []
    }

    private func commands(after text: Substring) throws -> [[String]] {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        var paths: [[String]] = [[]]
        for word in words.prefix(2) {
            let alternatives = word.split(whereSeparator: { $0 == "|" || $0 == "¦" || $0 == "\\" }).map(String.init)
            let known = try subcommands(of: paths[0])
            guard !alternatives.isEmpty, alternatives.allSatisfy(known.contains) else { break }
            paths = paths.flatMap { path in alternatives.map { path + [$0] } }
        }
        return paths == [[]] ? [] : paths
    }

    /// Flags of `flags` that `ledger COMMAND --help` does not list.
    func missing(_ flags: [String], in command: [String], origin: String) throws -> [String] {
        let known = Set(DocumentedFlags.flags(in: try text(command)))
        return flags.filter { !known.contains($0) }.map {
            "\(origin): ledger \(command.joined(separator: " ")) has no \($0)"
        }
    }

    /// Checks a code span that runs `ledger …` (a span that only mentions the word is skipped): its flags against
    /// its command's help.
    func check(span: String, origin: String) throws -> [String] {
        let commands = try commands(in: span)
        guard !commands.isEmpty else { return [] }
        return try commands.flatMap {
            try missing(DocumentedFlags.flags(in: span), in: $0, origin: "\(origin) `\(span)`")
        }
    }
}

/// A file of the checkout, as text.
func readRepositoryFile(_ path: String) throws -> String {
    try String(contentsOf: Repository.root.appendingPathComponent(path), encoding: .utf8)
}
