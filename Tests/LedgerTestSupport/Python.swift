import Foundation

/// Runs a Python 3 script (`python3 -c SCRIPT ARGUMENTS…`), for tests that read exported files with
/// Python's own `json`, `csv` and `sqlite3` modules, as an analytics job would.
public func runPython(_ script: String, _ arguments: [String] = []) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Standard error is read on another thread so neither pipe can fill and block the child.
    let errorsRead = DispatchGroup()
    nonisolated(unsafe) var errorText = Data()
    errorsRead.enter()
    DispatchQueue.global().async {
        errorText = errors.fileHandleForReading.readDataToEndOfFile()
        errorsRead.leave()
    }
    let printed = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    errorsRead.wait()
    return ProcessOutput(
        status: process.terminationStatus, standardOutput: String(decoding: printed, as: UTF8.self),
        standardError: String(decoding: errorText, as: UTF8.self))
}
