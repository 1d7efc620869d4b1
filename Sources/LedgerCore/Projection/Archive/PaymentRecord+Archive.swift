/// The archive forms of a PaymentIntent's record, its refunds and disputes, the invoice facts and the payment
/// statuses they carry.
extension PaymentRecord: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) {
        writer.write(paymentIntent)
        writer.write(charge)
        writer.write(invoicePayment)
        writer.write(invoiceLink)
        writer.write(firstEventAt)
        writer.write(succeededAt)
        adjustments.write(to: &writer)
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        paymentIntent = try reader.read("payment.paymentIntent")
        charge = try reader.read("payment.charge")
        invoicePayment = try reader.read("payment.invoicePayment")
        invoiceLink = try reader.read("payment.invoiceLink")
        firstEventAt = try reader.read("payment.firstEventAt")
        succeededAt = try reader.read("payment.succeededAt")
        adjustments = try reader.read("payment.adjustments")
    }
}

extension Versioned: ArchiveCodable where Value: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) {
        value.write(to: &writer)
        writer.write(created)
        writer.write(reported)
        writer.write(rank)
        writer.write(position)
        writer.write(eventID)
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        value = try Value(from: &reader)
        created = try reader.read("versioned.created")
        reported = try reader.read("versioned.reported")
        rank = try reader.read("versioned.rank")
        position = try reader.read("versioned.position")
        eventID = try reader.read("versioned.eventID")
    }
}

extension PaymentIntentFact: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) {
        writer.write(amount)
        writer.write(currency)
        writer.write(status)
        writer.write(failureMessage)
        writer.write(invoiceID)
        writer.write(methodType)
        writer.write(metadata)
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        amount = try reader.read("paymentIntent.amount")
        currency = try reader.read("paymentIntent.currency")
        status = try reader.read("paymentIntent.status")
        failureMessage = try reader.read("paymentIntent.failureMessage")
        invoiceID = try reader.read("paymentIntent.invoiceID")
        methodType = try reader.read("paymentIntent.methodType")
        metadata = try reader.read("paymentIntent.metadata")
    }
}

extension ChargeFact: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) {
        writer.write(chargeID)
        writer.write(amount)
        writer.write(currency)
        writer.write(amountRefunded)
        writer.write(fullyRefunded)
        writer.write(status)
        writer.write(methodType)
        writer.write(failureMessage)
        writer.write(invoiceID)
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        chargeID = try reader.read("charge.chargeID")
        amount = try reader.read("charge.amount")
        currency = try reader.read("charge.currency")
        amountRefunded = try reader.read("charge.amountRefunded")
        fullyRefunded = try reader.read("charge.fullyRefunded")
        status = try reader.read("charge.status")
        methodType = try reader.read("charge.methodType")
        failureMessage = try reader.read("charge.failureMessage")
        invoiceID = try reader.read("charge.invoiceID")
    }
}

extension InvoicePaymentFact: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) {
        writer.write(invoiceID)
        writer.write(amount)
        writer.write(currency)
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        invoiceID = try reader.read("invoicePayment.invoiceID")
        amount = try reader.read("invoicePayment.amount")
        currency = try reader.read("invoicePayment.currency")
    }
}

extension InvoiceFact: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) {
        writer.write(subscriptionID)
        writer.write(paymentIntentID)
        writer.write(paymentListIntentIDs)
        writer.write(status)
        writer.write(amountDue)
        writer.write(currency)
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        subscriptionID = try reader.read("invoice.subscriptionID")
        paymentIntentID = try reader.read("invoice.paymentIntentID")
        paymentListIntentIDs = try reader.read("invoice.paymentListIntentIDs")
        status = try reader.read("invoice.status")
        amountDue = try reader.read("invoice.amountDue")
        currency = try reader.read("invoice.currency")
    }
}

extension PaymentAdjustments: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) {
        writer.write(refunds)
        writer.write(disputes)
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        self.init()
        refunds = try reader.read("adjustments.refunds")
        disputes = try reader.read("adjustments.disputes")
    }
}

extension RefundFact: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) {
        writer.write(paymentIntentID)
        writer.write(chargeID)
        writer.write(amount)
        writer.write(succeeded)
        writer.write(rank)
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        paymentIntentID = try reader.read("refund.paymentIntentID")
        chargeID = try reader.read("refund.chargeID")
        amount = try reader.read("refund.amount")
        succeeded = try reader.read("refund.succeeded")
        rank = try reader.read("refund.rank")
    }
}

extension DisputeFact: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) {
        writer.write(paymentIntentID)
        writer.write(chargeID)
        writer.write(amount)
        let outcome: UInt8 =
            switch self.outcome {
            case .open: 0
            case .won: 1
            case .lost: 2
            }
        writer.writeByte(outcome)
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        paymentIntentID = try reader.read("dispute.paymentIntentID")
        chargeID = try reader.read("dispute.chargeID")
        amount = try reader.read("dispute.amount")
        let tag: UInt8 = try reader.read("dispute.outcome")
        switch tag {
        case 0: outcome = .open
        case 1: outcome = .won
        case 2: outcome = .lost
        default: throw reader.invalid("dispute outcome tag \(tag) is unknown")
        }
    }
}

/// One byte per status; the numbers are stored and never reused.
extension PaymentStatus: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) {
        let tag: UInt8 =
            switch self {
            case .pending: 0
            case .succeeded: 1
            case .failed: 2
            case .refunded: 3
            case .canceled: 4
            }
        writer.writeByte(tag)
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        switch try reader.readByte() {
        case 0: self = .pending
        case 1: self = .succeeded
        case 2: self = .failed
        case 3: self = .refunded
        case 4: self = .canceled
        case let tag: throw reader.invalid("payment status tag \(tag) is unknown")
        }
    }
}
