import ArgumentParser
import Foundation
import LedgerPostgres

/// `ledger status`: the log's head, each projection's checkpoint and lag, parked and rejected counts.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the log's head, each projection's checkpoint and lag, and parked and rejected counts.",
        discussion: """
            Parked events are events a projection could not turn into a valid row (for \
            example a subscription whose license does not exist yet); they are retried on \
            every run. Rejected inputs are deliveries that were not valid events at all; \
            they are kept with their raw bytes in ledger.rejected_inputs. Conflicting \
            duplicates, counted among them, are deliveries of an event id the log already \
            holds with a different body: not appended, kept with the stored event's position \
            (conflicts_with_position). `ledger parked` lists the parked objects by reason \
            with what fixes each; `ledger rejected` lists the rejected inputs.

            Examples:
              ledger status
              ledger status --json
            """)

    @OptionGroup var database: ReadDatabaseOptions
    @OptionGroup var logging: LoggingOptions
    @Flag(help: "Print the status as JSON.") var json = false

    func run() throws {
        let status = try LedgerStatus.read(try database.connect())
        logging.makeLogger(label: "ledger.status").info(
            "read the status", metadata: ["head_position": "\(status.headPosition)"])
        if json { return try printJSON(status) }
        print("log head         position \(status.headPosition)  \(status.headHash)")
        print("mode             \(ModeCommand.state(status.mode))")
        if status.projections.isEmpty { print("projections      none has run yet") }
        for projection in status.projections {
            print(
                "projection       \(projection.name) v\(projection.projectorVersion) at \(projection.position), "
                    + "lag \(projection.lag), parked \(projection.parked)")
        }
        print("parked events    \(status.parkedEvents)")
        print("rejected inputs  \(status.rejectedInputs)")
        print("  conflicting duplicates \(status.conflictingDuplicates)")
    }
}
