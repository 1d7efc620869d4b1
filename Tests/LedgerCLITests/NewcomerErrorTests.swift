import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// The first mistakes a newcomer makes, each answered with what was wrong and what to do.
@Suite("errors a newcomer can act on")
struct NewcomerErrorTests {
    /// What no message may show: Foundation's error dumps, raw errno, ArgumentParser's internal types,
    /// PostgreSQL's missing-relation error from a command that ran on an unmigrated database.
    static let internals = ["NSCocoaErrorDomain", "errno", "CommandError(", "SQLSTATE 42P01", "Error Domain="]

    func expectPlain(_ output: ProcessOutput, _ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for shown in Self.internals {
            #expect(
                !output.standardError.contains(shown) && !output.standardOutput.contains(shown),
                "\(context) printed \(shown): \(output.standardError)", sourceLocation: sourceLocation)
        }
    }

    func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("newcomer-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func anUnmigratedDatabaseSaysToRunMigrateUp() async throws {
        try await TestDatabase.with { database in
            let environment = ["DATABASE_URL": database.url]
            for arguments in [["head"], ["status"], ["project"], ["history", "sub_1"], ["verify"]] {
                let output = try runLedger(arguments, environment: environment)
                #expect(output.status == 1, "\(arguments)")
                #expect(
                    output.standardError.contains("database has no ledger schema: run `ledger migrate up`"),
                    "\(arguments): \(output.standardError)")
                expectPlain(output, "\(arguments)")
            }
        }
    }

    @Test func aHalfMigratedDatabaseNamesWhereItIsAndWhereItShouldBe() async throws {
        try await TestDatabase.with { database in
            let environment = ["DATABASE_URL": database.url]
            #expect(try runLedger(["migrate", "up", "--to", "5"], environment: environment).status == 0)
            let newest = try #require(try Repository.migrations().migrations.last?.version)
            let output = try runLedger(["head"], environment: environment)
            #expect(output.status == 1)
            #expect(
                output.standardError.contains("database is at migration 5 of \(newest): run `ledger migrate up`"),
                "\(output.standardError)")
            expectPlain(output, "head on a half-migrated database")
            // `migrate` itself is how the schema changes: it is not held back by the check.
            #expect(try runLedger(["migrate", "status"], environment: environment).status == 0)
        }
    }

    @Test func aDatabaseAheadOfTheBinaryIsNamed() async throws {
        try await TestDatabase.withMigrated { database in
            try database.connect().query(
                "INSERT INTO public.schema_migrations (version, name, checksum, duration_ms) VALUES (999, 'future', '', 0)"
            )
            let output = try runLedger(["head"], environment: ["DATABASE_URL": database.url])
            #expect(output.status == 1)
            #expect(output.standardError.contains("database is at migration 999, newer than this ledger binary"))
        }
    }

    @Test func existingTablesMakeMigrateUpNameTheMigrationAndPointToBaseline() async throws {
        try await TestDatabase.with { database in
            // The application's own schema, applied by hand before the ledger was installed.
            let migrations = try Repository.migrations()
            let initial = try #require(migrations.migration(1))
            try database.connect().execute(initial.upSQL)
            let output = try runLedger(["migrate", "up"], environment: ["DATABASE_URL": database.url])
            #expect(output.status == 1)
            #expect(output.standardError.contains(initial.fileName), "\(output.standardError)")
            #expect(output.standardError.contains("ledger migrate baseline 1"), "\(output.standardError)")
            expectPlain(output, "migrate up over existing tables")
            // Following the advice works.
            #expect(
                try runLedger(["migrate", "baseline", "1"], environment: ["DATABASE_URL": database.url]).status == 0)
            let up = try runLedger(["migrate", "up"], environment: ["DATABASE_URL": database.url])
            #expect(up.status == 0, "\(up.standardError)")
        }
    }

    @Test func ingestOfADirectoryOrAMissingFileNamesThePath() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let given = try runLedger(["ingest", "stripe", directory.path])
        #expect(given.status == 2)
        #expect(given.standardError.contains("\(directory.path) is a directory"), "\(given.standardError)")
        expectPlain(given, "ingest of a directory")
        let missing = directory.appendingPathComponent("nowhere.jsonl").path
        let absent = try runLedger(["ingest", "stripe", missing])
        #expect(absent.status == 2)
        #expect(absent.standardError.contains("no such file: \(missing)"), "\(absent.standardError)")
        expectPlain(absent, "ingest of a missing file")
    }

    @Test func aFileGivenAsSnapshotDirectoryIsNamed() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: file)
        for arguments in [
            ["snapshot", "create", "--snapshot-dir", file.path], ["snapshot", "list", "--snapshot-dir", file.path],
            ["project", "--snapshot-dir", file.path],
        ] {
            let output = try runLedger(arguments)
            #expect(output.status == 2, "\(arguments)")
            #expect(
                output.standardError.contains("snapshot directory \(file.path)")
                    && output.standardError.contains("is a file, not a directory"),
                "\(arguments): \(output.standardError)")
            expectPlain(output, "\(arguments)")
        }
    }

    @Test func aMissingSnapshotDirectoryIsNamedNotSilentlyEmpty() async throws {
        try await TestDatabase.withMigrated { database in
            let environment = ["DATABASE_URL": database.url]
            let missing = FileManager.default.temporaryDirectory.appendingPathComponent("snapshtos-\(UUID())").path
            let listed = try runLedger(["snapshot", "list", "--snapshot-dir", missing], environment: environment)
            #expect(listed.status == 2)
            #expect(listed.standardError.contains("no snapshot directory at \(missing)"), "\(listed.standardError)")
            let projected = try runLedger(["project", "--snapshot-dir", missing], environment: environment)
            #expect(projected.status == 0, "\(projected.standardError)")
            #expect(
                projected.standardError.contains("no snapshot directory at \(missing) (--snapshot-dir): replaying"),
                "\(projected.standardError)")
            #expect(!FileManager.default.fileExists(atPath: missing))
            // Only a replay that would read snapshots says so: not --help, not a rebuild from event 1.
            for arguments in [["rebuild", "--help"], ["rebuild", "--from-scratch"]] {
                let quiet = try runLedger(arguments + ["--snapshot-dir", missing], environment: environment)
                #expect(quiet.status == 0, "\(arguments): \(quiet.standardError)")
                #expect(!quiet.standardError.contains("no snapshot directory"), "\(arguments): \(quiet.standardError)")
            }
        }
    }

    @Test func aBusyPortIsNamed() async throws {
        try await TestDatabase.withMigrated { database in
            let listener = try LoopbackListener()
            defer { listener.close() }
            let output = try runLedger(
                ["serve", "--port", "\(listener.port)", "--no-projector"], environment: ["DATABASE_URL": database.url])
            #expect(output.status == 1)
            #expect(
                output.standardError.contains("port \(listener.port) on 127.0.0.1 is already in use"),
                "\(output.standardError)")
            expectPlain(output, "serve on a busy port")
        }
    }

    @Test func aMisspelledCommandGetsASuggestion() throws {
        let output = try runLedger(["projet"])
        #expect(output.status == 2)
        #expect(output.standardError.contains("unknown command 'projet'. Did you mean 'project'?"))
        let nested = try runLedger(["migrate", "stauts"])
        #expect(nested.status == 2)
        #expect(nested.standardError.contains("unknown command 'migrate stauts'. Did you mean 'migrate status'?"))
        let unlike = try runLedger(["zzzzzz"])
        #expect(unlike.status == 2)
        #expect(unlike.standardError.contains("unknown command 'zzzzzz'"))
        #expect(unlike.standardError.contains("project"))
        for output in [output, nested, unlike] { expectPlain(output, "a misspelled command") }
    }

    @Test func anErrorThrownWhileParsingPrintsItsMessageNotItsType() throws {
        let output = try runLedger(["serve", "--migrations", "/nonexistent-migrations"])
        #expect(output.status != 0)
        #expect(output.standardError.contains("/nonexistent-migrations"), "\(output.standardError)")
        expectPlain(output, "serve with an unreadable --migrations")
    }
}

/// A TCP socket bound to a free loopback port and listening, so that nothing else can bind it.
struct LoopbackListener {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && listen(descriptor, 1) == 0
                    && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard descriptor >= 0, bound else { throw TestSupportError("cannot listen on a loopback port") }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(descriptor) }
}
