/// The archive form of a parked event; its object key is the record key, as text.
extension ParkedEvent: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) {
        writer.write(position)
        writer.write(eventType)
        writer.write(reason)
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        position = try reader.read("parked.position")
        eventType = try reader.read("parked.eventType")
        reason = try reader.read("parked.reason")
    }
}

/// A tag byte per case, then the case's value; the numbers are stored and never reused.
extension ParkReason: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) {
        switch self {
        case .malformedBody(let message): writer.write(tag: 1, message)
        case .missingField(let path): writer.write(tag: 2, path)
        case .missingLicenseID(let keys): writer.write(tag: 3, keys)
        case .invalidLicenseID(let key, let value):
            writer.write(tag: 4, key)
            writer.write(value)
        case .missingPlanType(let rules): writer.write(tag: 5, rules)
        case .invalidPlanType(let rule, let value):
            writer.write(tag: 6, rule)
            writer.write(value)
        case .unsupportedInterval(let value): writer.write(tag: 7, value)
        case .mixedIntervals: writer.writeByte(8)
        case .mixedCurrencies: writer.writeByte(9)
        case .missingUnitAmount: writer.writeByte(10)
        case .negativeAmount(let value): writer.write(tag: 11, value)
        case .amountOutOfRange(let value): writer.write(tag: 12, value)
        case .invalidCurrency(let value): writer.write(tag: 13, value)
        case .invalidStatus(let value): writer.write(tag: 14, value)
        case .valueDoesNotFit(let column, let problem):
            writer.write(tag: 15, column)
            writer.write(problem)
        case .timeOutOfRange(let field, let seconds):
            writer.write(tag: 16, field)
            writer.write(seconds)
        case .notAnInteger(let field, let found):
            writer.write(tag: 17, field)
            writer.write(found)
        case .createdInTheFuture(let created, let recordedAt):
            writer.write(tag: 18, created)
            writer.write(recordedAt.microsecondsSinceEpoch)
        case .unknownLicenseKey(let key, let value):
            writer.write(tag: 19, key)
            writer.write(value)
        case .licensesUnavailable: writer.writeByte(20)
        }
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        switch try reader.readByte() {
        case 1: self = .malformedBody(try reader.read("parked.reason.message"))
        case 2: self = .missingField(try reader.read("parked.reason.path"))
        case 3: self = .missingLicenseID(keys: try reader.read("parked.reason.keys"))
        case 4:
            self = .invalidLicenseID(key: try reader.read("parked.reason.key"), try reader.read("parked.reason.value"))
        case 5: self = .missingPlanType(rules: try reader.read("parked.reason.rules"))
        case 6:
            self = .invalidPlanType(rule: try reader.read("parked.reason.rule"), try reader.read("parked.reason.value"))
        case 7: self = .unsupportedInterval(try reader.read("parked.reason.value"))
        case 8: self = .mixedIntervals
        case 9: self = .mixedCurrencies
        case 10: self = .missingUnitAmount
        case 11: self = .negativeAmount(try reader.read("parked.reason.amount"))
        case 12: self = .amountOutOfRange(try reader.read("parked.reason.amount"))
        case 13: self = .invalidCurrency(try reader.read("parked.reason.value"))
        case 14: self = .invalidStatus(try reader.read("parked.reason.value"))
        case 15:
            self = .valueDoesNotFit(
                column: try reader.read("parked.reason.column"), try reader.read("parked.reason.problem"))
        case 16:
            self = .timeOutOfRange(
                field: try reader.read("parked.reason.field"), try reader.read("parked.reason.seconds"))
        case 17:
            self = .notAnInteger(field: try reader.read("parked.reason.field"), try reader.read("parked.reason.found"))
        case 18:
            self = .createdInTheFuture(
                created: try reader.read("parked.reason.created"),
                recordedAt: EventTime(microsecondsSinceEpoch: try reader.read("parked.reason.recordedAt")))
        case 19:
            self = .unknownLicenseKey(key: try reader.read("parked.reason.key"), try reader.read("parked.reason.value"))
        case 20: self = .licensesUnavailable
        case let tag: throw reader.invalid("park reason tag \(tag) is unknown")
        }
    }
}

extension ArchiveWriter {
    /// A case tag followed by the case's value.
    fileprivate mutating func write(tag: UInt8, _ value: some ArchiveCodable) {
        writeByte(tag)
        write(value)
    }
}

/// The text form of a parked object's key: `subscription:<id>`, `payment:<id>` (as their streams are named,
/// ``StreamID``) or `event:<position>`.
extension ProjectionObjectKey {
    var archiveKey: String {
        switch self {
        case .subscription(let id): StreamID.subscription(id).description
        case .payment(let id): StreamID.payment(id).description
        case .event(let position): StreamID(.event, String(position)).description
        }
    }

    /// Parses ``archiveKey``; nil for any other text, including a non-canonical position such as `event:+7`.
    init?(archiveKey text: String) {
        guard let key = StreamID(parsing: text) else { return nil }
        switch key.category {
        case .subscription: self = .subscription(key.key)
        case .payment: self = .payment(key.key)
        case .event:
            guard let position = Int64(key.key), String(position) == key.key else { return nil }
            self = .event(position)
        default: return nil
        }
    }
}
