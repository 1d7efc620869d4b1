extension ProjectionState {
    /// The complete reducer state as records, sorted by kind then key, so one state always gives the same bytes.
    ///
    /// Holds everything the reducer keeps except ``configuration`` and the objects changed since the last
    /// ``takeChangedObjects()``. Kinds come in ``ReducerRecord/Kind`` raw-value order, keys in UTF-8 byte order.
    public func reducerRecords() -> [ReducerRecord] {
        var records: [ReducerRecord] = []
        records.reserveCapacity(
            adjustmentsByCharge.count + invoices.count + invoiceLinkEvents.count + invoicesBySubscription.count
                + parked.count + payments.count
                + paymentByCharge.count + paymentsByInvoice.count + subscriptions.count + subscriptionByInvoice.count)
        forEachReducerRecord { records.append($0) }
        return records
    }

    /// Calls `body` with each record of ``reducerRecords()``, in the same order, encoding one at a time: a
    /// snapshot writer inserts each while the next is encoded instead of waiting for all of them.
    public func forEachReducerRecord(_ body: (ReducerRecord) throws -> Void) rethrows {
        var writer = ArchiveWriter(capacity: 4096)
        // All cases in declaration order, which is raw-value order; a new kind fails to compile until written here.
        for kind in ReducerRecord.Kind.allCases {
            switch kind {
            case .chargeAdjustments:
                try Self.append(adjustmentsByCharge, as: kind, to: body, writer: &writer) { $1.write(to: &$0) }
            case .correction:
                try Self.append(archivedCorrections, as: kind, to: body, writer: &writer) { $1.write(to: &$0) }
            case .invoice:
                try Self.append(invoices, as: kind, to: body, writer: &writer) { $1.write(to: &$0) }
            case .invoiceLink:
                try Self.append(invoiceLinkEvents, as: kind, to: body, writer: &writer) { $1.write(to: &$0) }
            case .invoicesBySubscription:
                try Self.append(invoicesBySubscription, as: kind, to: body, writer: &writer) { $1.write(to: &$0) }
            case .ledger:
                // Keys in byte order: `mapping` before `mode`.
                if let position = mappingPosition {
                    let archived = ArchivedMapping(mapping: mapping, position: position)
                    try body(
                        ReducerRecord(
                            kind: kind, key: ArchivedMapping.recordKey, state: writer.encode { archived.write(to: &$0) }
                        ))
                }
                if let mode {
                    try body(
                        ReducerRecord(
                            kind: kind, key: FixedMode.recordKey, state: writer.encode { mode.write(to: &$0) }))
                }
            case .parked:
                let byText = Dictionary(uniqueKeysWithValues: parked.map { ($0.key.archiveKey, $0.value) })
                try Self.append(byText, as: kind, to: body, writer: &writer) { $1.write(to: &$0) }
            case .payment:
                try Self.append(payments, as: kind, to: body, writer: &writer) { $1.write(to: &$0) }
            case .paymentByCharge:
                try Self.append(paymentByCharge, as: kind, to: body, writer: &writer) { $1.write(to: &$0) }
            case .paymentsByInvoice:
                try Self.append(paymentsByInvoice, as: kind, to: body, writer: &writer) { $1.write(to: &$0) }
            case .subscription:
                try Self.append(subscriptions, as: kind, to: body, writer: &writer) { $1.write(to: &$0) }
            case .subscriptionByInvoice:
                try Self.append(subscriptionByInvoice, as: kind, to: body, writer: &writer) { $1.write(to: &$0) }
            }
        }
    }

    /// Emits one record per entry of `values`, in ascending key order.
    private static func append<Value>(
        _ values: [String: Value], as kind: ReducerRecord.Kind, to body: (ReducerRecord) throws -> Void,
        writer: inout ArchiveWriter, write: (inout ArchiveWriter, Value) -> Void
    ) rethrows {
        for index in ArchiveKeyOrder.sortedIndices(values) {
            let (key, value) = values[index]
            try body(ReducerRecord(kind: kind, key: key, state: writer.encode { write(&$0, value) }))
        }
    }

    /// Restores a state from ``reducerRecords()``, so applying the events after it continues the replay exactly.
    ///
    /// Pass the configuration the archived state was built with. Records may come in any order; the restored
    /// state has no changed objects. Throws on the first record this build would not have written: another
    /// format version, truncated or invalid bytes, an unreadable parked key, or a kind and key seen twice.
    public init(
        configuration: ProjectionConfiguration, reducerRecords records: some Sequence<ReducerRecord>
    ) throws(ReducerArchiveError) {
        self.init(configuration: configuration)
        // From contiguous storage (an array), count the kinds first so each dictionary is allocated once, not regrown.
        if let counts = records.withContiguousStorageIfAvailable(Self.countsByKind) { reserveCapacity(counts) }
        for record in records {
            var reader = try ArchiveReader(record)
            let key = record.key
            let replaced: Bool
            switch record.kind {
            case .chargeAdjustments:
                replaced = adjustmentsByCharge.updateValue(try reader.read("adjustments"), forKey: key) != nil
            case .correction:
                replaced = try restoreCorrections(key: key, from: &reader)
            case .invoice:
                replaced = invoices.updateValue(try reader.read("invoice"), forKey: key) != nil
            case .invoiceLink:
                replaced = invoiceLinkEvents.updateValue(try reader.read("invoiceLink"), forKey: key) != nil
            case .invoicesBySubscription:
                replaced = invoicesBySubscription.updateValue(try reader.read("invoices"), forKey: key) != nil
            case .ledger where key == FixedMode.recordKey:
                replaced = mode != nil
                let fixed: FixedMode = try reader.read("mode")
                mode = fixed
            case .ledger where key == ArchivedMapping.recordKey:
                replaced = mappingPosition != nil
                let archived: ArchivedMapping = try reader.read("mapping")
                mapping = archived.mapping
                mappingPosition = archived.position
            case .ledger:
                throw ReducerArchiveError(.invalidKey, kind: record.kind, key: key)
            case .parked:
                guard let objectKey = ProjectionObjectKey(archiveKey: key) else {
                    throw ReducerArchiveError(.invalidKey, kind: record.kind, key: key)
                }
                replaced = parked.updateValue(try reader.read("parked"), forKey: objectKey) != nil
            case .payment:
                replaced = payments.updateValue(try reader.read("payment"), forKey: key) != nil
            case .paymentByCharge:
                replaced = paymentByCharge.updateValue(try reader.read("paymentIntent"), forKey: key) != nil
            case .paymentsByInvoice:
                replaced = paymentsByInvoice.updateValue(try reader.read("payments"), forKey: key) != nil
            case .subscription:
                let subscription = try SubscriptionRecord(from: &reader, id: key)
                replaced = subscriptions.updateValue(subscription, forKey: key) != nil
            case .subscriptionByInvoice:
                replaced = subscriptionByInvoice.updateValue(try reader.read("subscription"), forKey: key) != nil
            }
            try reader.finish()
            guard !replaced else { throw ReducerArchiveError(.duplicateRecord, kind: record.kind, key: key) }
        }
    }

    private static func countsByKind(_ records: UnsafeBufferPointer<ReducerRecord>) -> [ReducerRecord.Kind: Int] {
        var counts: [ReducerRecord.Kind: Int] = [:]
        for index in records.indices { counts[records[index].kind, default: 0] += 1 }
        return counts
    }

    private mutating func reserveCapacity(_ counts: [ReducerRecord.Kind: Int]) {
        for (kind, count) in counts {
            switch kind {
            case .chargeAdjustments: adjustmentsByCharge.reserveCapacity(count)
            case .correction: break
            case .invoice: invoices.reserveCapacity(count)
            case .invoiceLink: invoiceLinkEvents.reserveCapacity(count)
            case .invoicesBySubscription: invoicesBySubscription.reserveCapacity(count)
            case .ledger: break
            case .parked: parked.reserveCapacity(count)
            case .payment: payments.reserveCapacity(count)
            case .paymentByCharge: paymentByCharge.reserveCapacity(count)
            case .paymentsByInvoice: paymentsByInvoice.reserveCapacity(count)
            case .subscription: subscriptions.reserveCapacity(count)
            case .subscriptionByInvoice: subscriptionByInvoice.reserveCapacity(count)
            }
        }
    }
}
