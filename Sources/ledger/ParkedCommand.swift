import ArgumentParser
import Foundation
import LedgerCore
import LedgerPostgres

/// `ledger parked`: what the projection parked, grouped by the kind of reason, with the objects and the fix.
struct ParkedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parked",
        abstract: "List parked objects grouped by reason, with what fixes each reason.",
        discussion: """
            A parked object is one a projection could not turn into a valid row: a \
            subscription whose license does not exist in licenses, metadata without a valid \
            license_id or plan_type, prices that cannot be billed as one amount, or an event \
            whose values do not fit. Parked objects never stop the projection and are retried: \
            a later valid event for the object clears the park, and a subscription waiting for \
            its license becomes a row once the license exists (ledger project rechecks on every \
            run, ledger serve when licenses changes).

            Groups are listed largest first, each with its kind (missing_license, \
            missing_plan_type, …), the number of objects, the fix, and the objects in log \
            order (at most \(Limits.parkedObjectsListedMax) per group; the count is exact). The \
            same JSON is served at GET /v1/parked.

            Kinds: \(ParkedReasonKind.allCases.map(\.rawValue).joined(separator: ", ")).

            Examples:
              ledger parked
              ledger parked --reason missing_license
              ledger parked --reason 'plan_type' --json
            """)

    @OptionGroup var database: ReadDatabaseOptions
    @OptionGroup var logging: LoggingOptions
    @Option(
        help: ArgumentHelp(
            "Only objects whose kind of reason is TEXT (missing_license, …) or whose reason contains TEXT (any case).",
            valueName: "text"))
    var reason: String?
    @Flag(help: "Print JSON: {total, groups: [{kind, count, fix, objects}]}.") var json = false

    func run() throws {
        let report = try ParkedReport.read(try database.connect(), reason: reason)
        logging.makeLogger(label: "ledger.parked").info(
            "read the parked objects", metadata: ["total": "\(report.total)"])
        if json { return try printJSON(report) }
        guard report.total > 0 else {
            print(reason.map { "nothing parked matches '\(DisplayText.escaped($0))'" } ?? "nothing is parked")
            return
        }
        for group in report.groups {
            print("\(group.kind.rawValue): \(group.count) parked")
            for (index, step) in group.fix.enumerated() { print(index == 0 ? "  fix: \(step)" : "       \(step)") }
            for object in group.objects {
                print(
                    "  \(DisplayText.escaped(object.objectID).padded(30)) position \(String(object.position).padded(10)) "
                        + object.reason)
            }
            if group.objects.count < group.count {
                print("  … \(group.count - group.objects.count) more (the first \(group.objects.count) are listed)")
            }
        }
        print("total: \(report.total) parked in \(report.groups.count) kind(s) of reason")
    }
}
