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

    /// `../shared/fixtures/stripe`, beside the checkout (as laid out for sessions and CI).
    public static var stripeFixtures: URL {
        root.deletingLastPathComponent().appendingPathComponent("shared/fixtures/stripe")
    }

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
}

/// Runs the built `ledger` binary with `arguments` and optional standard input.
public func runLedger(
    _ arguments: [String], environment: [String: String] = [:], input: Data? = nil,
    workingDirectory: URL? = nil
) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = try Repository.ledgerBinary()
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
    // Drain both pipes concurrently so a chatty child never blocks on a full pipe.
    let collected = DataCollector()
    let group = DispatchGroup()
    for (pipe, isOutput) in [(output, true), (errors, false)] {
        group.enter()
        DispatchQueue.global().async {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            collected.store(data, isOutput: isOutput)
            group.leave()
        }
    }
    if let input { inputPipe.fileHandleForWriting.write(input) }
    try inputPipe.fileHandleForWriting.close()
    process.waitUntilExit()
    group.wait()
    return ProcessOutput(
        status: process.terminationStatus,
        standardOutput: String(decoding: collected.output, as: UTF8.self),
        standardError: String(decoding: collected.errors, as: UTF8.self))
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
