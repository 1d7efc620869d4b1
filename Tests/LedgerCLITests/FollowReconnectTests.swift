import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// `ledger project --follow` and `ledger serve`'s live projector across a real PostgreSQL restart.
///
/// The shared test cluster must keep serving the suites that run in parallel, so this test starts a
/// private cluster of its own with `tools/pg` (fresh folder, free port), restarts that, and destroys it.
@Suite("following the log across a PostgreSQL restart")
struct FollowReconnectTests {
    @Test func followAndServeReconnectAfterARestartAndProjectWhatCameAfter() async throws {
        let cluster = try PrivateCluster.start()
        defer { cluster.destroy() }
        let followed = try cluster.createDatabase("followed")
        let served = try cluster.createDatabase("served")
        let history = try GeneratedHistory(customers: 20, months: 6)
        defer { history.remove() }
        for url in [followed, served] { try history.load(into: url) }

        let follower = try LedgerProcess(
            ["project", "--follow", "--json", "--log-level", "info"], environment: ["DATABASE_URL": followed])
        defer { if follower.isRunning { follower.send(SIGKILL) } }
        let server = try await ServedLedger.start(databaseURL: served)
        // The database restarts under the checks: a failed check is "not yet".
        try await Poll.until("both projectors caught up", timeout: .seconds(120), every: .milliseconds(100)) {
            (try? caughtUp(followed) && caughtUp(served)) ?? false
        }

        try cluster.restart()
        for url in [followed, served] { try history.ingestRest(into: url) }
        try await Poll.until(
            "both projectors applied what was appended after the restart", timeout: .seconds(120),
            every: .milliseconds(100)
        ) {
            (try? caughtUp(followed) && caughtUp(served)) ?? false
        }
        #expect(follower.isRunning, "project --follow exited across the restart")
        let status = try await server.get("/v1/status").json?["projector"] as? [String: Any]
        #expect(status?["state"] as? String == "following", "\(status ?? [:])")
        #expect(((status?["restarts"] as? NSNumber)?.intValue ?? 0) >= 1, "\(status ?? [:])")

        follower.send(SIGTERM)
        let output = follower.wait()
        #expect(output.status == 0, "\(output.standardError)")
        let warnings = output.standardError.components(separatedBy: "retrying until the database is back").count - 1
        #expect(warnings == 1, "one warning per outage, not per attempt:\n\(output.standardError)")
        #expect(output.standardError.contains("database is back"), "\(output.standardError)")
        let serverOutput = await server.stop()
        #expect(serverOutput.status == 0, "\(serverOutput.standardError)")
        #expect(serverOutput.standardError.components(separatedBy: "projector lost the database").count - 1 <= 1)
    }

    /// True when the projection's checkpoint is at the log's head (false while the database is away).
    private func caughtUp(_ url: String) throws -> Bool {
        guard let connection = try? PostgresConnection(url: url) else { return false }
        let row = try connection.query(
            """
            SELECT (SELECT position FROM ledger.head),
                   (SELECT position FROM ledger.checkpoints WHERE projection = 'billing')
            """)[0]
        let head: Int64 = try row.decode(at: 0)
        let checkpoint: Int64? = try row.decode(at: 1)
        return head > 0 && checkpoint == head
    }
}

/// A PostgreSQL cluster of this test's own, run by `tools/pg` in a fresh folder on a free port.
private struct PrivateCluster {
    let directory: URL
    let url: String

    static func start() throws -> PrivateCluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-pg-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let started: String
        do {
            started = try tool(["start"], directory: directory)
        } catch {
            PrivateCluster(directory: directory, url: "").destroy()
            throw error
        }
        let url = started.split(separator: "\n").last.map(String.init) ?? ""
        return PrivateCluster(directory: directory, url: url.trimmingCharacters(in: .whitespaces))
    }

    /// Creates database `name` and returns its URL.
    func createDatabase(_ name: String) throws -> String {
        try PostgresConnection(url: url).execute("CREATE DATABASE \(name)")
        guard var components = URLComponents(string: url) else { throw TestSupportError("bad URL \(url)") }
        components.path = "/" + name
        return try #require(components.string)
    }

    /// Stops the server (fast: sessions are terminated) and starts it again on the same port.
    func restart() throws {
        _ = try Self.tool(["stop"], directory: directory)
        _ = try Self.tool(["start"], directory: directory)
    }

    func destroy() {
        _ = try? Self.tool(["destroy"], directory: directory)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `tools/pg` with its output to a file and every other descriptor closed first: the server it
    /// starts inherits what it was given, and Foundation learns that a child exited when the socket it
    /// hands the child reaches end-of-file — never, while a server holding it runs.
    private static func tool(_ arguments: [String], directory: URL) throws -> String {
        let output = directory.appendingPathComponent("tool-\(UUID()).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        let closeAndRun =
            #"for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done; exec "$0" "$@""#
        process.arguments = ["-c", closeAndRun, Repository.root.appendingPathComponent("tools/pg").path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LEDGER_PG_DIR"] = directory.appendingPathComponent("pg").path
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let printed = try String(contentsOf: output, encoding: .utf8)
        guard process.terminationStatus == 0 else {
            throw TestSupportError("tools/pg \(arguments.joined(separator: " ")) failed: \(printed)")
        }
        return printed
    }
}

/// A generated history split in two: the first part is ingested at load, the rest after the restart.
private struct GeneratedHistory {
    let directory: URL

    init(customers: Int, months: Int) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("follow-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let generated = try runLedger([
            "generate", "--customers", "\(customers)", "--months", "\(months)", "--seed", "11",
            "--out", file("events.jsonl").path, "--fixtures-sql", file("fixtures.sql").path,
        ])
        #expect(generated.status == 0, "\(generated.standardError)")
        let lines = try String(contentsOf: file("events.jsonl"), encoding: .utf8).split(separator: "\n")
        let cut = lines.count / 2
        try Data((lines[..<cut].joined(separator: "\n") + "\n").utf8).write(to: file("first.jsonl"))
        try Data((lines[cut...].joined(separator: "\n") + "\n").utf8).write(to: file("rest.jsonl"))
    }

    func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// Migrates the database at `url`, creates the licenses and ingests the first part.
    func load(into url: String) throws {
        let environment = ["DATABASE_URL": url]
        let migrated = try runLedger(["migrate", "up"], environment: environment)
        #expect(migrated.status == 0, "\(migrated.standardError)")
        try PostgresConnection(url: url).execute(try String(contentsOf: file("fixtures.sql"), encoding: .utf8))
        try ingest(file("first.jsonl"), environment)
    }

    func ingestRest(into url: String) throws {
        try ingest(file("rest.jsonl"), ["DATABASE_URL": url])
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}
