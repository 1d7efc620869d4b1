import Foundation

/// The archive form of an applied correction: its position, type, stream and body, read back through
/// ``Correction/read(type:streamID:body:)`` so a restored correction passes the same check as a logged one.
extension AppliedCorrection: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) {
        writer.write(position)
        writer.write(correction.fact.kind.rawValue)
        writer.write(correction.streamID)
        // Encoding strings, a UUID and an integer cannot fail.
        writer.write((try? correction.body()).map { String(decoding: $0, as: UTF8.self) } ?? "{}")
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        let position: Int64 = try reader.read("correction.position")
        let type: String = try reader.read("correction.type")
        let stream: String = try reader.read("correction.stream")
        let body: String = try reader.read("correction.body")
        switch Correction.read(type: type, streamID: stream, body: Array(body.utf8)) {
        case .success(let correction): self.init(correction, position: position)
        case .failure(let error): throw reader.invalid("correction at position \(position): \(error)")
        }
    }
}

/// One object's corrections in the archive (kind ``ReducerRecord/Kind/correction``, keyed like a parked object).
enum ArchivedCorrections {
    case subscription(SubscriptionCorrection)
    case payment(PaymentCorrection)

    func write(to writer: inout ArchiveWriter) {
        switch self {
        case .subscription(let corrections):
            writer.write(corrections.licenseCorrection)
            writer.write(corrections.planTypeCorrection)
            writer.write(corrections.exclusion)
        case .payment(let corrections):
            writer.write(corrections.exclusion)
            writer.write(corrections.refunds.keys.sorted().compactMap { corrections.refunds[$0] })
        }
    }
}

extension ProjectionState {
    /// Every object's corrections, by ``ProjectionObjectKey``'s archive key.
    var archivedCorrections: [String: ArchivedCorrections] {
        var byKey: [String: ArchivedCorrections] = [:]
        for (id, corrections) in subscriptionCorrections {
            byKey[ProjectionObjectKey.subscription(id).archiveKey] = .subscription(corrections)
        }
        for (id, corrections) in paymentCorrections {
            byKey[ProjectionObjectKey.payment(id).archiveKey] = .payment(corrections)
        }
        return byKey
    }

    /// Restores the corrections archived under `key`; says whether the object already had some.
    mutating func restoreCorrections(key: String, from reader: inout ArchiveReader) throws(ReducerArchiveError)
        -> Bool
    {
        switch ProjectionObjectKey(archiveKey: key) {
        case .subscription(let id):
            var corrections = SubscriptionCorrection()
            corrections.licenseCorrection = try Self.slot(&reader, "correction.license", id: key, [.license])
            corrections.planTypeCorrection = try Self.slot(&reader, "correction.plan", id: key, [.planType])
            corrections.exclusion = try Self.slot(&reader, "correction.exclusion", id: key, [.exclusion])
            return subscriptionCorrections.updateValue(corrections, forKey: id) != nil
        case .payment(let id):
            var corrections = PaymentCorrection()
            corrections.exclusion = try Self.slot(&reader, "correction.exclusion", id: key, [.exclusion])
            let refunds: [AppliedCorrection] = try reader.read("correction.refunds")
            for refund in refunds {
                guard refund.correction.object == .payment(id), refund.correction.fact.field == nil,
                    corrections.refunds.updateValue(refund, forKey: refund.position) == nil
                else { throw reader.invalid("refund at position \(refund.position) does not belong to \(key)") }
            }
            return paymentCorrections.updateValue(corrections, forKey: id) != nil
        case .event, nil:
            throw ReducerArchiveError(.invalidKey, kind: .correction, key: key)
        }
    }

    /// A slot's correction, checked to be of its object and its field.
    private static func slot(
        _ reader: inout ArchiveReader, _ field: StaticString, id key: String, _ fields: Set<Correction.Field>
    ) throws(ReducerArchiveError) -> AppliedCorrection? {
        let applied: AppliedCorrection? = try reader.read(field)
        guard let applied else { return nil }
        guard applied.correction.object.archiveKey == key, let kept = applied.correction.fact.field,
            fields.contains(kept)
        else { throw reader.invalid("correction at position \(applied.position) does not belong to \(key)") }
        return applied
    }
}
