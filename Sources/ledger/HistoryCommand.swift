import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine

/// `ledger history REF`: every event of a subscription, customer or payment, with what the projection did.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show every event of a subscription, customer or payment, and the row columns each changed.",
        discussion: """
            REF is a Stripe subscription id (sub_…), a subscription UUID (subscriptions.id), \
            a customer id (cus_…, all of its subscriptions and payments) or a PaymentIntent \
            id (pi_…). Events are listed in log order with their occurred (Stripe's created) \
            and recorded (stored) times, type and source, what the projection did with them \
            — applied, ignored (stale, duplicate, …) or parked, and why — and each column of \
            a projected row they changed (status: trialing → active).

            The history replays the customer's own events from the log (two index lookups, \
            whatever the size of the log); it never reads the live tables, except to turn a \
            subscription UUID into its sub_… id. Notes at the end name objects left parked \
            and subscriptions whose license does not exist.

            --json prints one JSON object per event (JSON Lines); notes go to standard error.

            Examples:
              ledger history sub_1MowQVLkdIwHu7ixeRlqHVzs
              ledger history cus_NffrFeUfNV2Hib --json
              ledger history sub_1MowQVLkdIwHu7ixeRlqHVzs --include-payments
            """)

    @OptionGroup var database: ReadDatabaseOptions
    @OptionGroup var logging: LoggingOptions
    @Argument(help: ArgumentHelp("sub_…, a subscription UUID, cus_… or pi_….", valueName: "ref"))
    var reference: String
    @Flag(help: "For a subscription, also show the events of its invoices, payments and charges.")
    var includePayments = false
    @Flag(help: "Print one JSON object per event (JSON Lines).") var json = false

    func validate() throws {
        do {
            _ = try AuditReference(parsing: reference)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        let history = try AuditHistory.build(
            try AuditReference(parsing: reference), includePayments: includePayments,
            connection: try database.connect())
        logging.makeLogger(label: "ledger.history").info(
            "replayed a history", metadata: ["reference": "\(reference)", "events": "\(history.entries.count)"])
        if json {
            for entry in history.entries { try printJSONLine(entry) }
            for note in history.notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
            return
        }
        printTable(history)
    }

    func printTable(_ history: AuditHistory) {
        let customer = history.customerID.map { " (customer \($0))" } ?? ""
        print("history of \(history.reference)\(customer): \(history.entries.count) events")
        print(
            "position".leftPadded(9) + "  " + "occurred (UTC)".padded(20) + "  " + "recorded (UTC)".padded(20) + "  "
                + "type".padded(40) + "  " + "source".padded(6) + "  outcome")
        for entry in history.entries {
            let outcome = entry.reason.map { "\(entry.outcome.rawValue) (\($0))" } ?? entry.outcome.rawValue
            print(
                String(entry.position).leftPadded(9) + "  " + Self.seconds(entry.occurredAt).padded(20) + "  "
                    + Self.seconds(entry.recordedAt).padded(20) + "  " + entry.type.padded(40) + "  "
                    + entry.source.padded(6) + "  " + outcome)
            if let correction = entry.correction {
                print(String(repeating: " ", count: 11) + "correction: " + correction.text)
            }
            for change in entry.changes {
                let created = change.columns.contains { $0.column == "id" && $0.from == nil }
                let removed = change.columns.contains { $0.column == "id" && $0.to == nil }
                let what = created ? "new row" : removed ? "row removed" : "changed"
                print(String(repeating: " ", count: 11) + "\(change.table) \(change.object): \(what)")
                for column in change.columns where !(created && column.to == nil) {
                    let value = created ? column.to ?? "null" : "\(column.from ?? "null") → \(column.to ?? "null")"
                    print(String(repeating: " ", count: 13) + "\(column.column): \(value)")
                }
            }
        }
        for note in history.notes { print("note: \(note)") }
    }

    /// `2025-03-01T12:00:00.000000Z` → `2025-03-01 12:00:00`.
    static func seconds(_ time: String) -> String {
        String(time.prefix(19)).replacingOccurrences(of: "T", with: " ")
    }
}
