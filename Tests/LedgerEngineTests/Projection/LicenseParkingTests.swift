import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

@testable import LedgerEngine

@Suite("license parking")
struct LicenseParkingTests {
    static func row(_ stripeID: String, license: UUID) -> SubscriptionRow {
        SubscriptionRow(
            id: UUID(version5Name: stripeID), licenseID: license, stripeSubscriptionID: stripeID,
            stripeCustomerID: "cus_1", status: .active, planType: .pro, billingCycle: .monthly, amountCents: 1900,
            currency: "USD", currentPeriodStart: nil, currentPeriodEnd: nil, cancelAtPeriodEnd: false,
            canceledAt: nil, trialStart: nil, trialEnd: nil, createdAt: EventTime(secondsSinceEpoch: 1_700_000_000),
            updatedAt: EventTime(secondsSinceEpoch: 1_700_000_000), metadata: "{}")
    }

    @Test func aSubscriptionWithoutItsLicenseIsParkedAtItsNewestEventAndUnlinksItsPayments() {
        let present = UUID()
        let missing = UUID(uuidString: "6F1C2A9E-1B2C-4D3E-8F40-5A6B7C8D9E0F")!
        let rows = [Self.row("sub_b", license: missing), Self.row("sub_a", license: present)]
        let parking = LicenseParking(rows, existingLicenses: [present]) { $0 == "sub_b" ? 42 : 7 }
        #expect(parking.licensed.map(\.stripeSubscriptionID) == ["sub_a"])
        #expect(
            parking.parked == [
                "sub_b": ParkedRecord(
                    objectID: "sub_b", position: 42, eventType: "license",
                    reason: "license 6f1c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e0f does not exist in licenses")
            ])
        #expect(parking.parkedRowIDs == [UUID(version5Name: "sub_b")])
        let payment = PaymentTransactionRow(
            id: UUID(), subscriptionID: UUID(version5Name: "sub_b"), stripePaymentIntentID: "pi_1",
            stripeInvoiceID: nil, amountCents: 1900, currency: "USD", status: .succeeded, paymentMethod: nil,
            failureReason: nil, refundedAmountCents: 0, processedAt: nil,
            createdAt: EventTime(secondsSinceEpoch: 1_700_000_000),
            updatedAt: EventTime(secondsSinceEpoch: 1_700_000_000), metadata: "{}")
        #expect(LicenseParking.unlinked(payment, from: parking.parkedRowIDs).subscriptionID == nil)
        #expect(LicenseParking.unlinked(payment, from: []).subscriptionID == UUID(version5Name: "sub_b"))
    }

    /// Catch-up parks a batch's subscriptions with the rule a rebuild applies to the whole state: small
    /// batches and one rebuild leave the same parked set (positions and reasons) and the same rows.
    @Test func catchUpInSmallBatchesParksWhatARebuildParks() async throws {
        try await TestDatabase.withMigrated { database in
            try GeneratedLedger(customers: 12, months: 6, duplicates: 0.2, shuffle: 0.2)
                .load(database, withLicenses: false)
            _ = try project(database, batchSize: 7)
            let bookkeeping = ProjectionBookkeeping(connection: try database.connect())
            let caughtUp = try bookkeeping.parked(of: ProjectionRebuilder.projectionName)
            #expect(caughtUp.contains { $0.eventType == LicenseParking.eventType })
            let rows = try digests(database)
            #expect(try rebuild(database).drift.allSatisfy { $0.total == 0 })
            #expect(try bookkeeping.parked(of: ProjectionRebuilder.projectionName) == caughtUp)
            #expect(try digests(database) == rows)
        }
    }
}
