import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// `ledger state REF --as-of T | --at-position N`: the projected rows as they were at that point.
struct StateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Show a subscription's, customer's or payment's projected rows as of a time or log position.",
        discussion: """
            REF is sub_…, a subscription UUID, cus_… or pi_… (as for `ledger history`). The \
            rows are the ones the projection computes from the events up to the cut: \
            --at-position N takes the events at positions ≤ N; --as-of T the events recorded \
            (stored in the ledger) at or before T, an ISO 8601 time such as \
            2025-03-01T12:00:00Z or a date (midnight UTC). Both may be given.

            They are computed by replaying the customer's own events from the log, whatever \
            the size of the log, with the live projection's rule for licenses: a subscription \
            whose license does not exist in licenses (as it is now) is shown as parked. \
            A subscription's payment_transactions rows are shown with it.

            Examples:
              ledger state sub_1MowQVLkdIwHu7ixeRlqHVzs --as-of 2025-03-01T12:00:00Z
              ledger state cus_NffrFeUfNV2Hib --at-position 40000 --json
            """)

    @OptionGroup var database: ReadDatabaseOptions
    @OptionGroup var logging: LoggingOptions
    @Argument(help: ArgumentHelp("sub_…, a subscription UUID, cus_… or pi_….", valueName: "ref"))
    var reference: String
    @Option(
        help: ArgumentHelp(
            "Events recorded at or before this time (ISO 8601 with a zone, e.g. 2025-03-01T12:00:00Z, or YYYY-MM-DD for midnight UTC).",
            valueName: "time"))
    var asOf: Timestamp?
    @Option(help: ArgumentHelp("Events at positions up to this one.", valueName: "n"))
    var atPosition: Int64?
    @Flag(help: "Print the state as JSON.") var json = false

    func validate() throws {
        do {
            _ = try AuditReference(parsing: reference)
        } catch {
            throw ValidationError(error.description)
        }
        guard asOf != nil || atPosition != nil else { throw ValidationError("give --as-of TIME or --at-position N") }
        if let atPosition, atPosition < 0 { throw ValidationError("--at-position must be 0 or more") }
    }

    func run() throws {
        let cut = AuditCut(position: atPosition ?? .max, recordedAt: asOf?.time)
        let state = try AuditState.build(
            try AuditReference(parsing: reference), cut: cut, connection: try database.connect())
        logging.makeLogger(label: "ledger.state").info(
            "replayed a state", metadata: ["reference": "\(reference)", "events": "\(state.eventsReplayed)"])
        if json { return try printJSON(state) }
        var heading = "state of \(state.reference)"
        if let atPosition = state.atPosition { heading += " at position \(atPosition)" }
        if let asOf = state.asOf { heading += " as of \(asOf)" }
        print(heading)
        print(
            "customer \(state.customerID ?? "unknown"); \(state.eventsReplayed) events replayed"
                + (state.lastPosition.map { ", the newest at position \($0)" } ?? ""))
        Self.printRows("subscriptions", state.subscriptions)
        Self.printRows("payment_transactions", state.paymentTransactions)
        if !state.parked.isEmpty { print("\nparked (\(state.parked.count))") }
        for parked in state.parked {
            print("  \(parked.objectID) at position \(parked.position) (\(parked.eventType)): \(parked.reason)")
        }
        if !state.corrections.isEmpty { print("\ncorrections in effect (\(state.corrections.count))") }
        for correction in state.corrections { print("  \(correction.object): \(correction.text)") }
    }

    static func printRows(_ table: String, _ rows: [AuditRow]) {
        print("\n\(table) (\(rows.count) \(rows.count == 1 ? "row" : "rows"))")
        for (index, row) in rows.enumerated() {
            if index > 0 { print("  --") }
            for column in row.columns { print("  " + column.column.padded(26) + (column.value ?? "null")) }
        }
    }
}

/// A point in time from the command line, read by the ledger's one time parser (``EventTime/init(iso8601:)``):
/// ISO 8601 with a zone (fraction kept to the microsecond) or a date (midnight UTC).
struct Timestamp: ExpressibleByArgument, Sendable {
    var time: EventTime

    init?(argument: String) {
        guard let time = EventTime(iso8601: argument) else { return nil }
        self.time = time
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
