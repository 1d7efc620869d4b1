import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// The baseline of the projectors issue: the log projected the way a webhook handler writes
/// in place, one upsert statement per event, through the same reducer (so the rows are equal).
///
/// Empties the projected tables first; run `ledger rebuild` afterwards to restore them (and to
/// check the baseline wrote the same rows: it must report no drift).
struct RowByRowBaseline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "row-by-row",
        abstract: "Project the whole log with one upsert statement per event (the baseline), and time it.")

    @Option(help: "Database holding the log (its projected tables are emptied).") var databaseURL: String
    @Option(help: "Events per transaction; statements are still one per event.") var commitEvery = 1000

    func run() throws {
        let connection = try PostgresConnection(url: databaseURL)
        try connection.execute("DELETE FROM public.payment_transactions; DELETE FROM public.subscriptions")
        let upsertSubscription = try connection.prepare(Self.upsert(.subscriptions))
        let upsertPayment = try connection.prepare(Self.upsert(.paymentTransactions))
        let store = EventStore(connection: try PostgresConnection(url: databaseURL))
        var state = ProjectionState()
        var events = 0
        var statements = 0
        let (_, seconds) = try timed {
            var position: Int64 = 0
            while true {
                let batch = try store.read(after: position, limit: commitEvery)
                guard let last = batch.last else { break }
                try connection.transaction {
                    for event in batch {
                        _ = state.apply(event)
                        // The event's own object (and what its link touched), written at once.
                        for key in state.takeChangedObjects().sorted(by: { $0.rank < $1.rank }) {
                            switch key {
                            case .subscription(let id):
                                guard let row = state.subscriptionRow(stripeID: id) else { continue }
                                try upsertSubscription.run(Self.parameters(row))
                            case .payment(let id):
                                guard let row = state.paymentRow(paymentIntentID: id) else { continue }
                                try upsertPayment.run(Self.parameters(row))
                            case .event: continue
                            }
                            statements += 1
                        }
                    }
                }
                events += batch.count
                position = last.position
            }
        }
        report(
            "row-by-row upserts (baseline)", Double(events) / seconds, "events/s",
            "\(events) events, \(statements) statements, commit every \(commitEvery), \(String(format: "%.1f", seconds)) s"
        )
    }

    /// The statement being measured, so it stays here rather than in LedgerPostgres: an upsert of one
    /// `table` row, `$1`… its columns in ``ProjectedTable`` order (the path the ledger does not take).
    static func upsert(_ projected: ProjectedTable) -> String {
        let columns = projected.columns.map(\.name)
        let placeholders = (1...columns.count).map { "$\($0)" }.joined(separator: ", ")
        let table = projected.rawValue
        let assignments = columns.dropFirst().map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
        return """
            INSERT INTO public.\(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders))
            ON CONFLICT (id) DO UPDATE SET \(assignments)
            """
    }

    static func parameters(_ row: SubscriptionRow) -> [any PostgresEncodable] {
        [
            row.id, row.licenseID, row.stripeSubscriptionID, row.stripeCustomerID, row.status.rawValue,
            row.planType.rawValue, row.billingCycle.rawValue, Int(row.amountCents), row.currency,
            row.currentPeriodStart?.description, row.currentPeriodEnd?.description, row.cancelAtPeriodEnd,
            row.canceledAt?.description, row.trialStart?.description, row.trialEnd?.description,
            row.createdAt.description, row.updatedAt.description, row.metadata,
        ]
    }

    static func parameters(_ row: PaymentTransactionRow) -> [any PostgresEncodable] {
        [
            row.id, row.subscriptionID, row.stripePaymentIntentID, row.stripeInvoiceID, Int(row.amountCents),
            row.currency, row.status.rawValue, row.paymentMethod, row.failureReason, Int(row.refundedAmountCents),
            row.processedAt?.description, row.createdAt.description, row.updatedAt.description, row.metadata,
        ]
    }
}

extension ProjectionObjectKey {
    /// Subscriptions before payments (a payment's foreign key needs its subscription's row).
    fileprivate var rank: Int {
        switch self {
        case .subscription: 0
        case .payment: 1
        case .event: 2
        }
    }
}
