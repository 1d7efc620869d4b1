import Foundation
import LedgerPostgres

/// Paths of the checkout the tests were built from.
public enum Repository {
    /// The checkout's root folder (it holds Package.swift).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `db/migrations` of the checkout.
    public static var migrationsDirectory: URL { root.appendingPathComponent("db/migrations") }

    /// The migrations of the checkout.
    public static func migrations() throws -> MigrationSource {
        try MigrationSource(directory: migrationsDirectory)
    }

    /// The Stripe payloads checked in under `Tests/Fixtures/stripe` (a copy of the shared fixtures).
    public static var stripeFixtures: URL { root.appendingPathComponent("Tests/Fixtures/stripe") }

    /// The `ledger` binary built with the tests: `LEDGER_BIN`, else beside the test bundle.
    public static func ledgerBinary() throws -> URL {
        if let configured = ProcessInfo.processInfo.environment["LEDGER_BIN"], !configured.isEmpty {
            return URL(fileURLWithPath: configured)
        }
        var folder = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("ledger")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue
            {
                return candidate
            }
            folder = folder.deletingLastPathComponent()
        }
        throw TestSupportError("ledger binary not found beside the tests; run `swift build` first or set LEDGER_BIN")
    }
}

/// What a finished `ledger` process printed and how it exited.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String

    public init(status: Int32, standardOutput: String, standardError: String) {
        self.status = status
        self.standardOutput = standardOutput
        self.standardError = standardError
    }
}

/// Runs the built `ledger` binary (or a copy of it, `executable`) with `arguments` and optional
/// standard input, and waits for it.
public func runLedger(
    _ arguments: [String], environment: [String: String] = [:], input: Data? = nil,
    workingDirectory: URL? = nil, executable: URL? = nil
) throws -> ProcessOutput {
    let process = try LedgerProcess(
        arguments, environment: environment, input: input, workingDirectory: workingDirectory,
        executable: executable)
    return process.wait()
}

/// A running `ledger` process whose output is collected, for tests that signal or kill it.
public final class LedgerProcess: @unchecked Sendable {
    private let process = Process()
    private let collected = DataCollector()
    private let drained = DispatchGroup()

    /// Starts the built binary, or `executable`; `DATABASE_URL` of the test runner's environment is
    /// not inherited.
    public init(
        _ arguments: [String], environment: [String: String] = [:], input: Data? = nil,
        workingDirectory: URL? = nil, executable: URL? = nil
    ) throws {
        process.executableURL = try executable ?? Repository.ledgerBinary()
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        merged.removeValue(forKey: "DATABASE_URL")
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        let output = Pipe()
        let errors = Pipe()
        let inputPipe = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = inputPipe
        try process.run()
        // Drain both pipes concurrently so a chatty child never blocks on a full pipe. On threads of
        // their own: on Linux, Dispatch's global queue is also Swift concurrency's pool (as wide as the
        // machine has cores), so reads that block for a long-running child there would starve every test.
        for (pipe, isOutput) in [(output, true), (errors, false)] {
            drained.enter()
            Thread.detachNewThread { [collected, drained] in
                collected.store(pipe.fileHandleForReading.readDataToEndOfFile(), isOutput: isOutput)
                drained.leave()
            }
        }
        if let input { inputPipe.fileHandleForWriting.write(input) }
        try inputPipe.fileHandleForWriting.close()
    }

    /// The child's process id.
    public var processIdentifier: Int32 { process.processIdentifier }

    /// True while the child has not exited.
    public var isRunning: Bool { process.isRunning }

    /// Sends `signal` (SIGTERM, SIGINT, SIGKILL, …) to the child.
    public func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the child to exit and returns what it printed.
    public func wait() -> ProcessOutput {
        process.waitUntilExit()
        drained.wait()
        return ProcessOutput(
            status: process.terminationStatus,
            standardOutput: String(decoding: collected.output, as: UTF8.self),
            standardError: String(decoding: collected.errors, as: UTF8.self))
    }
}

private final class DataCollector: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var output = Data()
    private(set) var errors = Data()

    func store(_ data: Data, isOutput: Bool) {
        lock.lock()
        defer { lock.unlock() }
        if isOutput { output = data } else { errors = data }
    }
}

/// Runs SQL in the `sqlite3` shell on `file`, the SQL on standard input as a person would paste it
/// (an argument starting with "--" would read as an option).
public func runSQLite(_ file: String, _ sql: String, readOnly: Bool = false) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sqlite3"] + (readOnly ? ["-readonly"] : []) + [file]
    let output = Pipe()
    let errors = Pipe()
    let input = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = input
    try process.run()
    input.fileHandleForWriting.write(Data((sql + ";\n").utf8))
    try input.fileHandleForWriting.close()
    let printed = output.fileHandleForReading.readDataToEndOfFile()
    let complaints = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessOutput(
        status: process.terminationStatus, standardOutput: String(decoding: printed, as: UTF8.self),
        standardError: String(decoding: complaints, as: UTF8.self))
}
