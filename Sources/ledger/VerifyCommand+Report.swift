import Foundation
import LedgerEngine
import LedgerPostgres

/// Prints an ``AuditReport`` for people: a line per section, then the details under it.
struct AuditReportPrinter {
    /// Each section's name in a column this wide; details are indented to the same column.
    static let labelWidth = 11
    let indent = String(repeating: " ", count: labelWidth)

    func print(_ report: AuditReport) {
        printChain(report.chain)
        if let digest = report.digest { line("digest", "\(abbreviated(digest.digest))  \(digest.message)") }
        printSnapshots(report.snapshots)
        printDrift(report.drift)
        line("projection", (report.projection.ok ? "ok: " : "FAILED: ") + report.projection.message)
        line("parked", "\(counted(report.parked.count, "event")) (known, not a failure: \(report.parked.seeAlso))")
        line(
            "rejected", "\(counted(report.rejected.count, "input")) (known, not a failure: \(report.rejected.seeAlso))")
        line("result", report.ok ? "ok" : "FAILED: \(report.failedSections.joined(separator: ", "))")
    }

    func printChain(_ chain: ChainSection) {
        guard let failure = chain.failure else {
            return line(
                "chain",
                "ok: \(chain.eventsChecked) events verified after position \(chain.trustedFrom) "
                    + "through \(chain.verifiedThrough)")
        }
        line("chain", "FAILED at position \(failure.position): \(failure.reason)")
        detail("verified \(chain.eventsChecked) events through position \(chain.verifiedThrough) before it")
    }

    func printSnapshots(_ snapshots: SnapshotSection) {
        guard !snapshots.files.isEmpty else { return line("snapshots", "no snapshots in \(snapshots.directory)") }
        let summary = snapshots.ok ? "all valid" : "\(snapshots.invalid) INVALID"
        line("snapshots", "\(counted(snapshots.files.count, "file")) in \(snapshots.directory), \(summary)")
        for file in snapshots.files {
            let name = URL(fileURLWithPath: file.path).lastPathComponent
            let position = file.position.map { "position \($0)" } ?? "position ?"
            detail(
                file.valid ? "valid    \(position)  \(name)" : "INVALID  \(position)  \(name)  \(file.problem ?? "")")
        }
    }

    func printDrift(_ drift: DriftReport) {
        switch drift.status {
        case .skipped: return line("drift", "skipped (--no-drift)")
        case .notProjected: return line("drift", (drift.ok ? "" : "FAILED: ") + (drift.message ?? ""))
        case .projectorVersionMismatch: return line("drift", "FAILED: \(drift.message ?? "")")
        case .checked: break
        }
        let checkpoint = drift.checkpoint.map(String.init) ?? "?"
        let origin = drift.snapshotPosition.map { "after the snapshot at \($0)" } ?? "from event 1"
        let replayed = "replayed \(counted(Int(drift.eventsReplayed), "event")) \(origin)"
        guard !drift.ok else {
            return line("drift", "none: the live tables equal the log at checkpoint \(checkpoint) (\(replayed))")
        }
        line(
            "drift",
            "FAILED: \(counted(drift.differingRows, "differing row")) at checkpoint \(checkpoint) (\(replayed))")
        for table in drift.tables { printTable(table) }
    }

    func printTable(_ table: TableDifferences) {
        guard table.rows > 0 else { return detail("\(table.table): no drift") }
        detail(
            "\(table.table): \(counted(table.rows, "differing row")) (\(table.missing) missing from live, "
                + "\(table.extra) extra in live, \(table.changed) changed)")
        for row in table.listed {
            let name = "\(row.id)  \(row.stripeID ?? "-")"
            switch row.kind {
            case .missing: detail("  missing  \(name)  the log implies this row; the live table lacks it")
            case .extra: detail("  extra    \(name)  the live table has it; the log implies no such row")
            case .changed: detail("  changed  \(name)  " + changedColumns(row))
            }
        }
        if table.unlisted > 0 { detail("  … and \(table.unlisted) more not listed (counted above)") }
    }

    /// `column: live X, expected Y` for each differing column.
    func changedColumns(_ row: RowDifference) -> String {
        let live = row.live?.members ?? [:]
        let expected = row.expected?.members ?? [:]
        return row.columns.map { column in
            "\(column): live \((live[column] ?? .null).compactText), expected \((expected[column] ?? .null).compactText)"
        }.joined(separator: "; ")
    }

    func line(_ label: String, _ text: String) {
        Swift.print(label.padding(toLength: Self.labelWidth, withPad: " ", startingAt: 0) + text)
    }

    func detail(_ text: String) { Swift.print(indent + text) }

    func counted(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }

    /// `POS:first 16 hex digits…`: enough to recognise a digest on one line.
    func abbreviated(_ digest: String) -> String {
        digest.count > 40 ? "\(digest.prefix(digest.count - 48))…" : digest
    }
}
