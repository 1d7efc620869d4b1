import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import Logging

/// `ledger-bench`: the measurements behind docs/benchmarks.md (run through tools/bench).
@main
struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger-bench",
        abstract: "Measure the ledger on this machine (use tools/bench, which builds in release mode).",
        subcommands: [
            AppendBenchmark.self, RowByRowBaseline.self, SnapshotBenchmark.self, AuditBenchmark.self,
            ReportBenchmark.self,
            ExportBenchmark.self,
            ReadRateBenchmark.self,
            ServeBenchmark.self,
            GrowthBenchmark.self,
            UIBenchmark.self,
        ])
}

/// The URL of the database `name` on the cluster `clusterURL` reaches.
func databaseURL(_ name: String, on clusterURL: String) throws -> String {
    guard var components = URLComponents(string: clusterURL) else { throw ValidationError("bad --cluster-url") }
    components.path = "/" + name
    return components.string ?? clusterURL
}

/// A new, empty database `name` on the cluster `clusterURL` reaches (dropped first if it exists); its URL.
func scratchDatabase(_ name: String, on clusterURL: String) throws -> String {
    try PostgresConnection(url: clusterURL).recreateDatabase(named: name)
    return try databaseURL(name, on: clusterURL)
}

/// Prints one figure in a fixed, greppable form.
func report(_ name: String, _ value: Double, _ unit: String, _ detail: String = "") {
    let figure = String(format: "%12.0f", value)
    print(
        name.padding(toLength: 44, withPad: " ", startingAt: 0) + figure + " " + unit
            + (detail.isEmpty ? "" : "  (\(detail))"))
}

/// Seconds taken by `body`.
func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let value = try body()
    return (value, (ContinuousClock.now - start) / .seconds(1))
}

/// The `fraction` quantile of sorted values (0 when there are none).
func quantile(_ sorted: [Double], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
}

/// The median of `values` (0 when there are none).
func median(_ values: [Double]) -> Double { quantile(values.sorted(), 0.5) }

/// Reads `file` line by line in 1 MiB chunks, calling `body` with each non-empty line.
func forEachLine(in file: String, _ body: (ArraySlice<UInt8>) throws -> Void) throws {
    guard let handle = FileHandle(forReadingAtPath: file) else { throw ValidationError("cannot read \(file)") }
    defer { try? handle.close() }
    var carry: [UInt8] = []
    while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
        carry.append(contentsOf: data)
        var start = carry.startIndex
        while let newline = carry[start...].firstIndex(of: 0x0A) {
            if newline > start { try body(carry[start..<newline]) }
            start = newline + 1
        }
        carry.removeSubrange(..<start)
    }
    if !carry.isEmpty { try body(carry[...]) }
}

/// Runs a program to completion; returns its standard output, exit status, and the
/// peak resident set size of the children so far (getrusage).
func runProgram(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws
    -> (output: String, status: Int32, peakChildRSSBytes: Int)
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
    return (String(decoding: data, as: UTF8.self), process.terminationStatus, usage.ru_maxrss * 1024)
}
