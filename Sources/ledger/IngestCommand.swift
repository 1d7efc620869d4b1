import ArgumentParser
import Foundation
import LedgerEngine
import LedgerPostgres

/// `ledger ingest`: loads events from files into the log.
struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Load events from files into the event log.",
        discussion: """
            Examples:
              ledger ingest stripe events.jsonl
              cat events.jsonl | ledger ingest stripe -
            """,
        subcommands: [Stripe.self])

    struct Stripe: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stripe",
            abstract: "Append Stripe webhook events from files (or - for standard input).",
            discussion: """
                Each input is one Stripe event JSON object, a JSON array of events, or JSONL \
                (one event per line), read as a stream in constant memory; a UTF-8 byte order \
                mark at the start is skipped. Every event is checked (valid JSON, id evt_…, \
                type, created, data.object an object) and stored verbatim in the stream of its \
                object (subscription:sub_…, payment:pi_…, invoice:in_…), or in its own stream \
                event:evt_… when its object has no id that can name a stream (balance.available, \
                invoice.upcoming). Events of every type are kept. An event already stored (same \
                evt_ id) is counted as a duplicate and not written again.

                Every document is stored or rejected on its own. Input that is not a valid \
                event is not appended: it goes to ledger.rejected_inputs with its raw bytes \
                (the first 1 MiB of a larger document, as its reason says), FILE:LINE and the \
                reason, and the rest of the input goes on. Exit status 1 if anything was \
                rejected.

                Examples:
                  ledger ingest stripe events.jsonl
                  ledger ingest stripe part1.jsonl part2.json --json
                  cat events.jsonl | ledger ingest stripe - --progress
                """)

        @OptionGroup var database: DatabaseOptions
        @Argument(help: ArgumentHelp("Files to read; - reads standard input.", valueName: "file"))
        var files: [String]
        @OptionGroup var logging: LoggingOptions
        @OptionGroup var progressOptions: ProgressOptions
        @Flag(help: "Print the counts as JSON.") var json = false

        func validate() throws {
            if files.isEmpty { throw ValidationError("give at least one file, or - for standard input") }
            for file in files where file != "-" {
                if let problem = inputFileProblem(file) { throw ValidationError(problem) }
            }
        }

        func run() throws {
            let ingestor = StripeIngestor(connection: try database.connect())
            let progress = progressOptions.makeLine("ingesting")
            // The total is known only when every input is a file (standard input has no size).
            let totalBytes = files.contains("-") ? nil : files.map(fileSize).reduce(0, +)
            let started = ContinuousClock.now
            for file in files {
                guard let handle = file == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: file) else {
                    throw ValidationError(inputFileProblem(file) ?? "cannot open \(file)")
                }
                defer { if file != "-" { try? handle.close() } }
                try ingestor.ingest(
                    origin: file,
                    readChunk: {
                        let data: Data
                        do {
                            data = try handle.read(upToCount: 1 << 20) ?? Data()
                        } catch {
                            throw InputReadFailed(file: file, reason: fileErrorText(error) ?? "\(error)")
                        }
                        return data.isEmpty ? nil : [UInt8](data)
                    },
                    progress: { report in
                        progress.update(
                            Int64(report.bytesRead >> 20), of: totalBytes.map { $0 >> 20 }, unit: "MiB",
                            detail: "; \(report.appended) appended, \(report.duplicates) duplicate, "
                                + "\(report.rejected) rejected")
                    })
            }
            let report = try ingestor.finish()
            progress.finish()
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            if json {
                try printJSON(report)
            } else {
                print(
                    "appended \(report.appended), duplicate \(report.duplicates), rejected \(report.rejected) "
                        + "(head at position \(report.headPosition), "
                        + String(
                            format: "%.1f s, %.0f events/s)", seconds,
                            Double(report.appended + report.duplicates) / max(seconds, 1e-9)))
                for rejection in report.rejections { print("rejected \(rejection.origin): \(rejection.reason)") }
                if report.rejected > report.rejections.count {
                    print("… and \(report.rejected - report.rejections.count) more in ledger.rejected_inputs")
                }
            }
            if report.rejected > 0 { throw ExitCode(ExitStatus.failure) }
        }
    }
}

/// An input file whose reading failed part way (a disk error): names the file and the reason.
struct InputReadFailed: Error, CustomStringConvertible {
    var file: String
    var reason: String
    var description: String { "reading \(file) failed: \(reason)" }
}

/// A file's size in bytes, 0 when it cannot be read (validation has already named such a file).
private func fileSize(_ path: String) -> Int64 {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
}
