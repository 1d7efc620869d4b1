import ArgumentParser
import Foundation
import LedgerCore
import LedgerPostgres

/// `ledger rejected`: the inputs that were not valid events, with their reason and when they came.
struct RejectedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rejected",
        abstract: "List rejected inputs (deliveries that were not valid events) with their reason and time.",
        discussion: """
            Rejected inputs are kept in ledger.rejected_inputs with their raw bytes: lines of \
            an ingested file or webhook bodies that were not valid events, and conflicting \
            duplicates (an event id the log already holds, delivered with a different body; \
            conflicts_with_position names the stored event). They are never appended.

            Listed oldest first, at most \(Limits.rejectedInputsListedMax) at a time; the total \
            is exact. To see the next ones, run again with --since set to the last time \
            shown. The same JSON is served at GET /v1/rejected. The bodies stay in the table \
            (body_bytes gives their size).

            Examples:
              ledger rejected
              ledger rejected --since 2025-03-01
              ledger rejected --since 2025-03-01T12:00:00Z --json
            """)

    @OptionGroup var database: ReadDatabaseOptions
    @OptionGroup var logging: LoggingOptions
    @Option(
        help: ArgumentHelp(
            "Only inputs received at or after this time (ISO 8601 with a zone, or YYYY-MM-DD for midnight UTC).",
            valueName: "time"))
    var since: Timestamp?
    @Flag(help: "Print JSON: {since, total, inputs: [{id, received_at, source, origin, reason, …}]}.") var json = false

    func run() throws {
        let list = try RejectedInputList.read(try database.connect(), since: since?.time)
        logging.makeLogger(label: "ledger.rejected").info(
            "read the rejected inputs", metadata: ["total": "\(list.total)"])
        if json { return try printJSON(list) }
        guard list.total > 0 else {
            print(list.since.map { "no input was rejected since \($0)" } ?? "no input was rejected")
            return
        }
        for input in list.inputs {
            let conflict = input.conflictsWithPosition.map { " (conflicts with the event at position \($0))" } ?? ""
            print(
                "\(input.receivedAt)  \(input.source)  \(DisplayText.escaped(input.origin))  "
                    + "\(DisplayText.escaped(input.reason))\(conflict)")
        }
        if list.inputs.count < list.total {
            print(
                "… \(list.total - list.inputs.count) more: run again with --since \(list.inputs.last?.receivedAt ?? "")"
            )
        }
        print("total: \(list.total) rejected")
    }
}
