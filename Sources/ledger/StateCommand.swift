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
            REF is sub_…, a subscription UUID, cus_… or pi_… (as for `ledger history`). The
            rows are the ones the projection computes from the events up to the cut:
            --at-position N takes the events at positions ≤ N; --as-of T the events recorded
            (stored in the ledger) at or before T, an ISO 8601 time such as
            2025-03-01T12:00:00Z or a date (midnight UTC). Both may be given.

            They are computed by replaying the customer's own events from the log, whatever
            the size of the log, with the live projection's rule for licenses: a subscription
            whose license does not exist in licenses (as it is now) is shown as parked.
            A subscription's payment_transactions rows are shown with it.
            """)

    @OptionGroup var database: DatabaseOptions
    @Argument(help: ArgumentHelp("sub_…, a subscription UUID, cus_… or pi_….", valueName: "ref"))
    var reference: String
    @Option(help: ArgumentHelp("Events recorded at or before this time (ISO 8601, or YYYY-MM-DD).", valueName: "time"))
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
    }

    static func printRows(_ table: String, _ rows: [AuditRow]) {
        print("\n\(table) (\(rows.count) \(rows.count == 1 ? "row" : "rows"))")
        for (index, row) in rows.enumerated() {
            if index > 0 { print("  --") }
            for column in row.columns { print("  " + column.column.padded(26) + (column.value ?? "null")) }
        }
    }
}

/// A point in time from the command line: ISO 8601 with a zone (fractional seconds allowed) or a date.
struct Timestamp: ExpressibleByArgument, Sendable {
    var time: EventTime

    init?(argument: String) {
        // ISO8601DateFormatter reads a fraction to the millisecond at best: the fraction is taken off
        // here and added back to the microsecond, the precision of recorded_at.
        var text = argument
        var microseconds: Int64 = 0
        if let dot = text.firstIndex(of: "."), text[..<dot].contains("T") {
            let digits = text[text.index(after: dot)...].prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let value = Int64(String((digits + "00000").prefix(6))) else { return nil }
            microseconds = value
            text.removeSubrange(dot..<digits.endIndex)
        }
        let plain = ISO8601DateFormatter()
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        guard let date = plain.date(from: text) ?? day.date(from: text) else { return nil }
        time = EventTime(microsecondsSinceEpoch: Int64(date.timeIntervalSince1970) * 1_000_000 + microseconds)
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
