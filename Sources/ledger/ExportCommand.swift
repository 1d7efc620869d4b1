import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// `ledger export events|state`: the ledger's feed for analytics jobs.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export the event log for analytics jobs.",
        discussion: """
            `export events` streams a range of the log as JSON Lines or CSV.
            """,
        subcommands: [Events.self])
}

extension ExportFormat: ExpressibleByArgument {}

extension ExportCommand {
    struct Events: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stream events in position order as JSON Lines or CSV.",
            discussion: """
                Exports the events after --after (default 0: from the first) through the first
                of --until, the newest position recorded at or before --until-time, and the
                head when the export starts; at most --limit events. Memory stays constant
                however many events there are: the log is streamed a page at a time.

                jsonl: one object per event with position, event_id, stream_id, stream_version,
                type, source, source_event_id, occurred_at, recorded_at (ISO 8601 UTC, µs),
                customer_id, metadata and body (the stored JSON, embedded as it is) and hash
                (the chain hash, hex). csv: a header line, then one record per event (RFC 4180:
                CRLF line ends, fields with a comma, quote, CR or LF quoted, quotes doubled;
                NULL is an empty field), metadata and body as their JSON text, byte for byte.

                --fields picks and orders the columns, e.g. --fields position,type,body.
                With --out the file is written under a temporary name and renamed into place
                when complete (progress on standard error); without it, to standard output.
                """)

        @OptionGroup var database: DatabaseOptions
        @Option(help: ArgumentHelp("Export the events after this position.", valueName: "pos")) var after: Int64 = 0
        @Option(help: ArgumentHelp("The last position to export.", valueName: "pos")) var until: Int64?
        @Option(
            help: ArgumentHelp(
                "Export through the newest position recorded at or before this time (ISO 8601, or YYYY-MM-DD).",
                valueName: "time"))
        var untilTime: Timestamp?
        @Option(help: ArgumentHelp("Export at most this many events.", valueName: "n")) var limit: Int64?
        @Option(help: "Output format: jsonl or csv.") var format: ExportFormat = .jsonl
        @Option(help: ArgumentHelp("Comma-separated columns, in order (default: all).", valueName: "names"))
        var fields: String?
        @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var out:
            String?
        @Option(help: .hidden) var pageSize: Int64 = Limits.exportPageEventsMax

        func validate() throws {
            guard after >= 0 else { throw ValidationError("--after must be 0 or more") }
            if let until, until < after { throw ValidationError("--until must not be before --after") }
            if until != nil && untilTime != nil { throw ValidationError("give --until or --until-time, not both") }
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
            guard pageSize >= 1 else { throw ValidationError("--page-size must be at least 1") }
            _ = try parsedFields()
        }

        func parsedFields() throws -> [EventExportField] {
            guard let fields else { return EventExportField.allCases }
            do {
                return try EventExportField.parseList(fields)
            } catch {
                throw ValidationError(error.description)
            }
        }

        func run() throws {
            let started = ContinuousClock.now
            let export = EventExport(connection: try database.connect())
            let range = try export.range(after: after, until: until, untilTime: untilTime?.time, limit: limit)
            let output = try out.map { try ExportOutput.file(URL(fileURLWithPath: $0)) } ?? .standardOutput()
            let progress = ProgressLine()
            let written: Int64
            do {
                written = try export.write(
                    range, encoder: EventRecordEncoder(format: format, fields: try parsedFields()), to: output,
                    pageEvents: pageSize
                ) { position in
                    if out != nil { progress.update("exporting… position \(position) of \(range.through)") }
                }
                try output.finish()
            } catch {
                output.discard()
                throw error
            }
            progress.finish()
            guard let path = output.path else { return }
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            print(
                "exported \(written) events (positions \(range.after + 1)–\(range.through)) to \(path.path) "
                    + String(
                        format: "in %.1f s (%.0f events/s, %.1f MB)", seconds, Double(written) / max(seconds, 1e-9),
                        Double(output.bytesWritten) / 1_000_000))
        }
    }
}
