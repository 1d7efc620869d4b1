/// The archive form of a subscription record; the snapshots' `id` is the record key and is not stored.
extension SubscriptionRecord {
    /// How ``latestValid`` is stored: usually it is ``latest`` itself, kept once.
    private enum LatestValidTag: UInt8 {
        case absent = 0
        case sameAsLatest = 1
        case separate = 2
    }

    func write(to writer: inout ArchiveWriter) {
        latest.write(to: &writer)
        switch latestValid {
        case .none:
            writer.writeByte(LatestValidTag.absent.rawValue)
        case .some(let entry) where entry == latest:
            writer.writeByte(LatestValidTag.sameAsLatest.rawValue)
        case .some(let entry):
            writer.writeByte(LatestValidTag.separate.rawValue)
            entry.write(to: &writer)
        }
        writer.write(firstEventAt)
    }

    /// Reads a record of subscription `id`.
    init(from reader: inout ArchiveReader, id: String) throws(ReducerArchiveError) {
        latest = try SubscriptionEntry(from: &reader, id: id)
        let tag: UInt8 = try reader.read("record.latestValid")
        switch LatestValidTag(rawValue: tag) {
        case .absent?: latestValid = nil
        case .sameAsLatest?: latestValid = latest
        case .separate?: latestValid = try SubscriptionEntry(from: &reader, id: id)
        case nil: throw reader.invalid("latestValid tag \(tag) is not 0, 1 or 2")
        }
        firstEventAt = try reader.read("record.firstEventAt")
    }
}

extension SubscriptionEntry {
    func write(to writer: inout ArchiveWriter) {
        snapshot.write(to: &writer)
        writer.write(created)
        writer.write(position)
        writer.write(eventID)
        writer.write(eventType)
        writer.write(deleted)
    }

    init(from reader: inout ArchiveReader, id: String) throws(ReducerArchiveError) {
        snapshot = try SubscriptionSnapshot(from: &reader, id: id)
        created = try reader.read("entry.created")
        position = try reader.read("entry.position")
        eventID = try reader.read("entry.eventID")
        eventType = try reader.read("entry.eventType")
        deleted = try reader.read("entry.deleted")
    }
}

extension SubscriptionSnapshot {
    func write(to writer: inout ArchiveWriter) {
        writer.write(customerID)
        writer.write(status)
        writer.write(cancelAtPeriodEnd)
        writer.write(canceledAt)
        writer.write(trialStart)
        writer.write(trialEnd)
        writer.write(periodStart)
        writer.write(periodEnd)
        writer.write(currency)
        writer.write(items)
        writer.write(metadata)
        writer.write(metadataStrings)
        writer.write(discounts)
        writer.write(chainValues)
        writer.write(previousValues)
        writer.write(problem)
    }

    init(from reader: inout ArchiveReader, id: String) throws(ReducerArchiveError) {
        self.id = id
        customerID = try reader.read("snapshot.customerID")
        status = try reader.read("snapshot.status")
        cancelAtPeriodEnd = try reader.read("snapshot.cancelAtPeriodEnd")
        canceledAt = try reader.read("snapshot.canceledAt")
        trialStart = try reader.read("snapshot.trialStart")
        trialEnd = try reader.read("snapshot.trialEnd")
        periodStart = try reader.read("snapshot.periodStart")
        periodEnd = try reader.read("snapshot.periodEnd")
        currency = try reader.read("snapshot.currency")
        items = try reader.read("snapshot.items")
        metadata = try reader.read("snapshot.metadata")
        metadataStrings = try reader.read("snapshot.metadataStrings")
        discounts = try reader.read("snapshot.discounts")
        chainValues = try reader.read("snapshot.chainValues")
        previousValues = try reader.read("snapshot.previousValues")
        problem = try reader.read("snapshot.problem")
    }
}

extension SubscriptionSnapshot.Item: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) {
        writer.write(priceID)
        writer.write(lookupKey)
        writer.write(productID)
        writer.write(unitAmount)
        writer.write(quantity)
        writer.write(interval)
        writer.write(intervalCount)
        writer.write(currency)
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        priceID = try reader.read("item.priceID")
        lookupKey = try reader.read("item.lookupKey")
        productID = try reader.read("item.productID")
        unitAmount = try reader.read("item.unitAmount")
        quantity = try reader.read("item.quantity")
        interval = try reader.read("item.interval")
        intervalCount = try reader.read("item.intervalCount")
        currency = try reader.read("item.currency")
    }
}

extension SubscriptionDiscount: ArchiveCodable {
    /// How ``value`` is stored: a tag, then its fields.
    private enum ValueTag: UInt8 {
        case absent = 0
        case percentOff = 1
        case amountOff = 2
    }

    func write(to writer: inout ArchiveWriter) {
        writer.write(id)
        switch value {
        case nil:
            writer.writeByte(ValueTag.absent.rawValue)
        case .percentOff(let partsPerMillion)?:
            writer.writeByte(ValueTag.percentOff.rawValue)
            writer.write(partsPerMillion)
        case .amountOff(let cents, let currency)?:
            writer.writeByte(ValueTag.amountOff.rawValue)
            writer.write(cents)
            writer.write(currency)
        }
        writer.write(duration?.rawValue)
        writer.write(start)
        writer.write(end)
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        id = try reader.read("discount.id")
        let tag: UInt8 = try reader.read("discount.value")
        switch ValueTag(rawValue: tag) {
        case .absent?: value = nil
        case .percentOff?: value = .percentOff(partsPerMillion: try reader.read("discount.percentOff"))
        case .amountOff?:
            value = .amountOff(
                cents: try reader.read("discount.amountOff"), currency: try reader.read("discount.currency"))
        case nil: throw reader.invalid("discount value tag \(tag) is not 0, 1 or 2")
        }
        let durationText: String? = try reader.read("discount.duration")
        if let durationText {
            guard let known = Duration(rawValue: durationText) else {
                throw reader.invalid("discount duration '\(durationText)' is not once, repeating or forever")
            }
            duration = known
        } else {
            duration = nil
        }
        start = try reader.read("discount.start")
        end = try reader.read("discount.end")
    }
}
