import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// `ledger export events|state`: the ledger's feed for analytics jobs.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export the event log, or the projected state at a point of it, for analytics jobs.",
        discussion: """
            `export events` streams a range of the log as JSON Lines or CSV; `export \
            state` writes every subscription and payment as the projection had them at a \
            position (SQLite, CSV or JSON Lines). For an incremental feed with a durable \
            cursor, see `ledger consume`. docs/0005-analytics-feed.md describes the \
            formats.

            Examples:
              ledger export events --out events.jsonl
              ledger export state --at-position 40000 --out state.sqlite
            """,
        subcommands: [Events.self, State.self])
}

extension ExportFormat: ExpressibleByArgument {}
extension StateExportFormat: ExpressibleByArgument {}

extension ExportCommand {
    struct Events: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stream events in position order as JSON Lines or CSV.",
            discussion: """
                Exports the events after --after (default 0: from the first) through the \
                first of --until, the newest position recorded at or before --until-time, \
                and the head when the export starts; at most --limit events. Memory stays \
                constant however many events there are: the log is streamed a page at a \
                time.

                jsonl: one object per event with position, event_id, stream_id, \
                stream_version, type, source, source_event_id, occurred_at, recorded_at (ISO \
                8601 UTC, µs), customer_id, metadata and body (the stored JSON, embedded as \
                it is) and hash (the chain hash, hex). csv: a header line, then one record \
                per event (RFC 4180: CRLF line ends, fields with a comma, quote, CR or LF \
                quoted, quotes doubled; NULL is an empty field), metadata and body as their \
                JSON text, byte for byte.

                --fields picks and orders the columns, e.g. --fields position,type,body. \
                With --out the file is written under a temporary name and renamed into place \
                when complete (progress on standard error); without it, to standard output.

                Examples:
                  ledger export events --after 40000 --limit 1000
                  ledger export events --format csv --fields position,type,body --out events.csv
                  ledger export events --until-time 2025-03-01T00:00:00Z --out march.jsonl --json
                """)

        @OptionGroup var database: ReadDatabaseOptions
        @Option(help: ArgumentHelp("Export the events after this position.", valueName: "pos")) var after: Int64 = 0
        @Option(help: ArgumentHelp("The last position to export.", valueName: "pos")) var until: Int64?
        @Option(
            help: ArgumentHelp(
                "Export through the newest position recorded at or before this time (ISO 8601 with a zone, e.g. 2025-03-01T12:00:00Z, or YYYY-MM-DD for midnight UTC).",
                valueName: "time"))
        var untilTime: Timestamp?
        @Option(help: ArgumentHelp("Export at most this many events.", valueName: "n")) var limit: Int64?
        @Option(help: "Output format: jsonl or csv.") var format: ExportFormat = .jsonl
        @Option(help: ArgumentHelp("Comma-separated columns, in order (default: all).", valueName: "names"))
        var fields: String?
        @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var out:
            String?
        @OptionGroup var logging: LoggingOptions
        @OptionGroup var progressOptions: ProgressOptions
        @Flag(help: "Print what was written as JSON (with --out; without it the events themselves are the output).")
        var json = false
        @Option(help: .hidden) var pageSize: Int64 = Limits.exportPageEventsMax
        /// Connections reading pages at once (PostgreSQL's share of the work is the larger one).
        @Option(help: .hidden) var readers = 2

        func validate() throws {
            guard after >= 0 else { throw ValidationError("--after must be 0 or more") }
            if let until, until < after { throw ValidationError("--until must not be before --after") }
            if until != nil && untilTime != nil { throw ValidationError("give --until or --until-time, not both") }
            if json && out == nil {
                throw ValidationError(
                    "--json prints what was written to --out FILE; without --out the events are the output")
            }
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
            guard pageSize >= 1 else { throw ValidationError("--page-size must be at least 1") }
            guard (1...Limits.exportReadersMax).contains(readers) else {
                throw ValidationError("--readers must be 1…\(Limits.exportReadersMax)")
            }
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
            let progress = progressOptions.makeLine("exporting")
            let pages = (range.count + pageSize - 1) / pageSize
            do {
                let connections = try (0..<max(1, min(Int64(readers), pages))).map { _ in try database.connect() }
                try EventExport.write(
                    range, encoder: EventRecordEncoder(format: format, fields: try parsedFields()), to: output,
                    readers: connections, pageEvents: pageSize
                ) { position in
                    if out != nil { progress.update(position - range.after, of: range.count) }
                }
                try output.finish()
            } catch {
                output.discard()
                throw error
            }
            let written = range.count
            progress.finish()
            guard let path = output.path else { return }
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            if json {
                return try printJSON(
                    Summary(
                        path: path.path, format: format.rawValue, events: written, after: range.after,
                        through: range.through, bytes: output.bytesWritten, seconds: seconds))
            }
            print(
                "exported \(written) events (positions \(range.after + 1)–\(range.through)) to \(path.path) "
                    + String(
                        format: "in %.1f s (%.0f events/s, %.1f MB)", seconds, Double(written) / max(seconds, 1e-9),
                        Double(output.bytesWritten) / 1_000_000))
        }
    }

    /// What `export events --out FILE --json` wrote.
    struct Summary: Encodable {
        var path: String
        var format: String
        var events: Int64
        var after: Int64
        var through: Int64
        var bytes: Int64
        var seconds: Double
    }

    struct State: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the whole projected state at a log position to SQLite, CSV or JSON Lines.",
            discussion: """
                The state is every subscriptions and payment_transactions row as the \
                projection computes them from the events through the position: --at-position \
                N, or --as-of T (the newest position recorded at or before T). It is \
                replayed from the newest valid snapshot at or before the position plus the \
                events after it (see `ledger snapshot`), and subscriptions whose license \
                does not exist in licenses (as it is now) are left out, as the live \
                projection leaves them out.

                sqlite: one file with tables subscriptions, payment_transactions (the \
                snapshot layout: UUIDs as text, ISO 8601 UTC times, booleans 0/1, metadata \
                JSON text) and export_meta (position, chain hash at it, row counts, \
                created_at). Any SQLite reader opens it: the sqlite3 shell, Python's \
                sqlite3, pandas, DuckDB. csv: a new directory OUT with subscriptions.csv, \
                payment_transactions.csv and export_meta.csv (header, RFC 4180). jsonl: one \
                file, the export_meta object first, then one object per row with a "table" \
                field.

                Written under a temporary name and renamed into place when complete; a file \
                is replaced, a directory must not exist yet.

                Examples:
                  ledger export state --at-position 40000 --out state.sqlite
                  ledger export state --as-of 2025-03-01 --format csv --out state-march --json
                """)

        @OptionGroup var database: ReadDatabaseOptions
        @OptionGroup var logging: LoggingOptions
        @OptionGroup var snapshots: SnapshotDirectoryOption
        @Option(help: ArgumentHelp("The state after the events through this position.", valueName: "n"))
        var atPosition: Int64?
        @Option(
            help: ArgumentHelp(
                "The state at the newest position recorded at or before this time (ISO 8601 with a zone, e.g. 2025-03-01T12:00:00Z, or YYYY-MM-DD for midnight UTC).",
                valueName: "time"))
        var asOf: Timestamp?
        @Option(help: "Output format: sqlite, csv or jsonl.") var format: StateExportFormat = .sqlite
        @Option(help: ArgumentHelp("The file (sqlite, jsonl) or new directory (csv) to write.", valueName: "path"))
        var out: String
        @Flag(help: "Replay from event 1, ignoring snapshots.") var fromScratch = false
        @OptionGroup var progressOptions: ProgressOptions
        @Flag(help: "Print what was written as JSON.") var json = false

        func validate() throws {
            guard (atPosition == nil) != (asOf == nil) else {
                throw ValidationError("give exactly one of --at-position N and --as-of TIME")
            }
            if let atPosition, atPosition < 0 { throw ValidationError("--at-position must be 0 or more") }
        }

        func run() throws {
            let point: StatePoint
            if let atPosition {
                point = .position(atPosition)
            } else if let asOf {
                point = .asOf(asOf.time)
            } else {
                throw ValidationError("give exactly one of --at-position N and --as-of TIME")
            }
            let progress = progressOptions.makeLine("replaying")
            let report = try StateExport(
                connect: database.connect,
                snapshots: SnapshotPolicy(directory: snapshots.directory, replayFromSnapshots: !fromScratch),
                logger: logging.makeLogger(label: "ledger.export")
            ).write(at: point, format: format, to: URL(fileURLWithPath: out)) { step in
                switch step {
                case .replaying(let position, let through):
                    progress.update(position, of: through)
                case .writing: progress.update("writing rows…")
                }
            }
            progress.finish()
            if json { return try printJSON(report) }
            let meta = report.meta
            print("wrote \(report.path) (\(report.format.rawValue))")
            print(
                "state at position \(meta.position)" + (meta.asOf.map { " (as of \($0))" } ?? "")
                    + ", chain hash \(meta.chainHash)")
            print(
                "\(meta.subscriptionRows) subscriptions, \(meta.paymentRows) payments, \(report.parked) parked; "
                    + "replayed \(report.eventsReplayed) events"
                    + (report.snapshotPosition.map { " after the snapshot at \($0)" } ?? " from event 1"))
        }
    }
}
