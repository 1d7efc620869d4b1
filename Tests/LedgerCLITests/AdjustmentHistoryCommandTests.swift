import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// `ledger history pi_…` shows a payment's refund and lost dispute, in the table and in `--json`.
@Suite("ledger history: refunds and disputes")
struct AdjustmentHistoryCommandTests {
    typealias A = AdjustmentLifecycle

    @Test(arguments: A.Shape.allCases)
    func historyPrintsTheRefundAndTheLostDisputeInTheTableAndInJSON(_ shape: A.Shape) async throws {
        try await TestDatabase.withMigrated { database in
            let environment = ["DATABASE_URL": database.url]
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("adjustments-\(UUID()).jsonl")
            defer { try? FileManager.default.removeItem(at: file) }
            try Data(try A(shape).jsonLines()).write(to: file)
            try insertLicense(A.license, into: try database.connect())
            try ingest(file, environment)

            let table = try runLedger(["history", A.paymentIntent], environment: environment)
            #expect(table.status == 0, "\(table.standardError)")
            let lines = table.standardOutput.split(separator: "\n").map(String.init)
            let refund = try #require(lines.firstIndex { $0.contains("refund.created") }, "\(table.standardOutput)")
            let lost = try #require(
                lines.firstIndex { $0.contains("charge.dispute.closed") }, "\(table.standardOutput)")
            #expect(refund < lost)
            #expect(lines[refund + 1].contains("payment_transactions \(A.paymentIntent): changed"))
            #expect(lines[(refund + 1)...].contains { $0.hasSuffix("refunded_amount_cents: 0 → \(A.refunded)") })
            #expect(lines[lost...].contains { $0.hasSuffix("refunded_amount_cents: \(A.refunded) → \(A.amount)") })
            #expect(lines[lost...].contains { $0.hasSuffix("status: succeeded → refunded") })
            #expect(!table.standardOutput.contains(A.otherRefund) && !table.standardOutput.contains(A.otherCharge))

            let json = try runLedger(["history", A.paymentIntent, "--json"], environment: environment)
            #expect(json.status == 0, "\(json.standardError)")
            let entries = try json.standardOutput.split(separator: "\n").map { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            }
            #expect(entries.count == lines.filter { $0.contains(" stripe ") }.count)
            let types = entries.compactMap { $0["type"] as? String }
            #expect(types.suffix(3) == ["refund.created", "charge.dispute.created", "charge.dispute.closed"])
            let closed = try #require(entries.last?["changes"] as? [[String: Any]])
            let columns = try #require(closed.first?["columns"] as? [[String: Any]])
            let status = try #require(columns.first { $0["column"] as? String == "status" })
            #expect(status["from"] as? String == "succeeded" && status["to"] as? String == "refunded")
        }
    }
}
