import Foundation
import LedgerCore
import Testing

@Suite("state export tables")
struct StateExportTableTests {
    @Test func stateTablesNameTheColumnsOfTheProjectedRowsInOrder() {
        let subscription = SubscriptionRow.exportSample
        #expect(StateExportTable.subscriptions.columns.map(\.name) == subscription.columnValues.map(\.column))
        let payment = PaymentTransactionRow.exportSample
        #expect(StateExportTable.paymentTransactions.columns.map(\.name) == payment.columnValues.map(\.column))
        let meta = StateExportMeta(
            databaseID: "d", position: 1, chainHash: "h", asOf: nil, subscriptionRows: 1, paymentRows: 2,
            createdAt: EventTime(secondsSinceEpoch: 0))
        #expect(StateExportTable.meta.columns.map(\.name) == meta.columnValues.map(\.column))
        var line: [UInt8] = []
        StateExportTable.subscriptions.appendJSONLine(subscription.columnValues, to: &line)
        let text = String(decoding: line, as: UTF8.self)
        #expect(text.hasPrefix(#"{"table":"subscriptions","id":""#))
        #expect(text.contains(#""amount_cents":1900,"#) && text.contains(#""cancel_at_period_end":false,"#))
        #expect(text.contains(#""canceled_at":null,"#) && text.hasSuffix(#""metadata":{"plan":"pro"}}"# + "\n"))
    }
}

extension SubscriptionRow {
    static let exportSample = SubscriptionRow(
        id: UUID(), licenseID: UUID(), stripeSubscriptionID: "sub_1", stripeCustomerID: "cus_1", status: .active,
        planType: .pro, billingCycle: .monthly, amountCents: 1900, currency: "USD",
        currentPeriodStart: EventTime(secondsSinceEpoch: 1_700_000_000), currentPeriodEnd: nil,
        cancelAtPeriodEnd: false, canceledAt: nil, trialStart: nil, trialEnd: nil,
        createdAt: EventTime(secondsSinceEpoch: 1_700_000_000), updatedAt: EventTime(secondsSinceEpoch: 1_700_000_001),
        metadata: #"{"plan":"pro"}"#)
}

extension PaymentTransactionRow {
    static let exportSample = PaymentTransactionRow(
        id: UUID(), subscriptionID: nil, stripePaymentIntentID: "pi_1", stripeInvoiceID: nil, amountCents: 1900,
        currency: "USD", status: .succeeded, paymentMethod: "card", failureReason: nil, refundedAmountCents: 0,
        processedAt: nil, createdAt: EventTime(secondsSinceEpoch: 1_700_000_000),
        updatedAt: EventTime(secondsSinceEpoch: 1_700_000_000), metadata: "{}")
}
