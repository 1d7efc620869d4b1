import Foundation

extension ProjectionState {
    /// One source's say on a payment's status, with the event time that ranks it.
    private struct StatusClaim {
        var status: PaymentStatus
        var created: Int64
        /// When the fact happened (an observation's may be earlier than its `created`).
        var reported: Int64
        var rank: Int
    }

    /// The row for a PaymentIntent id, or nil until an event reports on the payment (links and refunds alone do not)
    /// and while a correction excludes it.
    public func paymentRow(paymentIntentID id: String) -> PaymentTransactionRow? {
        guard !isExcluded(.payment(id)), let record = payments[id], record.firstEventAt != PaymentRecord.untimed
        else { return nil }
        let intent = record.paymentIntent?.value
        let charge = record.charge?.value
        let invoiceID = record.invoiceID
        let invoice = invoiceID.flatMap { invoices[$0] }
        // The invoice's own status speaks for this payment only when it names this intent (pre-2025 shape).
        let invoiceClaim = invoice.flatMap { $0.value.paymentIntentID == id ? $0 : nil }
        var claims: [StatusClaim] = []
        if let v = record.paymentIntent {
            claims.append(StatusClaim(status: v.value.status, created: v.created, reported: v.reported, rank: v.rank))
        }
        if let v = record.charge {
            claims.append(StatusClaim(status: v.value.status, created: v.created, reported: v.reported, rank: v.rank))
        }
        if let v = record.invoicePayment {
            claims.append(StatusClaim(status: .succeeded, created: v.created, reported: v.reported, rank: v.rank))
        }
        if let v = invoiceClaim {
            claims.append(StatusClaim(status: v.value.status, created: v.created, reported: v.reported, rank: v.rank))
        }
        // Invariant: the newest claim wins, a same-second tie goes to the later stage of a payment.
        let winner = claims.max { ($0.created, $0.rank) < ($1.created, $1.rank) }
        var status = winner?.status ?? .pending
        let amount =
            intent?.amount ?? charge?.amount ?? record.invoicePayment?.value.amount ?? invoiceClaim?.value.amountDue
            ?? 0
        // Out-of-band refunds (`ledger correct refund`) add to Stripe's, up to the amount (docs/0015-corrections.md).
        let refunded = Self.returnedAmount(
            stripe: record.adjustments.returnedAmount(chargeRefunded: charge?.amountRefunded ?? 0),
            outOfBand: paymentCorrections[id]?.refundedCents ?? 0, amount: amount)
        // Invariant: money returned (refunds, lost disputes) makes a settled payment `refunded` only once all of
        // it came back; an open or won dispute returns nothing and leaves the row as it is.
        if refunded > 0, status == .succeeded || status == .refunded {
            let full = charge?.fullyRefunded == true || (amount > 0 && refunded >= amount)
            status = full ? .refunded : .succeeded
        }
        let processedAt: Int64? =
            switch status {
            case .pending: nil
            case .succeeded, .refunded: record.succeededAt ?? winner?.reported
            case .failed, .canceled: winner?.reported
            }
        let failureReason: String? =
            switch status {
            case .failed: intent?.failureMessage ?? charge?.failureMessage
            // A cancellation (`void_invoice`, `abandoned`, …) is not a failure: nothing failed.
            case .pending, .succeeded, .refunded, .canceled: nil
            }
        let currency =
            intent?.currency ?? charge?.currency ?? record.invoicePayment?.value.currency ?? invoice?.value.currency
            ?? "usd"
        let billed = invoice?.value.subscriptionID ?? invoiceID.flatMap { subscriptionByInvoice[$0] }
        let subscription = billed.flatMap { hasSubscriptionRow($0) ? $0 : nil }
        let updated =
            [
                record.paymentIntent?.created, record.charge?.created, record.invoicePayment?.created, invoice?.created,
                record.adjustments.newestCreated,
            ].compactMap { $0 }.max() ?? record.firstEventAt
        return PaymentTransactionRow(
            id: UUID(version5Name: id), subscriptionID: subscription.map { UUID(version5Name: $0) },
            stripePaymentIntentID: id, stripeInvoiceID: invoiceID, amountCents: Int32(clamping: amount),
            currency: currency.uppercased(), status: status,
            paymentMethod: charge?.methodType ?? intent?.methodType, failureReason: failureReason,
            refundedAmountCents: Int32(clamping: max(0, refunded)),
            processedAt: processedAt.map(EventTime.init(secondsSinceEpoch:)),
            createdAt: EventTime(secondsSinceEpoch: record.firstEventAt),
            updatedAt: EventTime(secondsSinceEpoch: updated), metadata: intent?.metadata ?? "{}")
    }

    /// Every payment row, ordered by PaymentIntent id.
    public func paymentRows() -> [PaymentTransactionRow] {
        payments.keys.sorted().compactMap { paymentRow(paymentIntentID: $0) }
    }
}
