/// Writes events, as the log stores them, in an export format with a chosen list of fields.
///
/// JSON Lines: one object per event, keys in field order; `metadata` and `body` are embedded as the
/// stored JSON bytes (line breaks, which valid JSON has only between tokens, become spaces), never
/// parsed and re-encoded; `hash` is hex; a NULL field is `null`. CSV: a header of field names, then
/// each event with `metadata` and `body` as their JSON text, byte for byte.
public struct EventRecordEncoder: Sendable {
    public let format: ExportFormat
    public let fields: [EventExportField]

    public init(format: ExportFormat, fields: [EventExportField] = EventExportField.allCases) {
        precondition(!fields.isEmpty, "an export writes at least one field")
        self.format = format
        self.fields = fields
    }

    /// Appends what comes before the first record: the header line for CSV, nothing for JSON Lines.
    public func appendHeader(to output: inout [UInt8]) {
        guard format == .csv else { return }
        for (index, field) in fields.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            ExportBytes.appendCSVField(field.rawValue, to: &output)
        }
        ExportBytes.appendCSVRecordEnd(to: &output)
    }

    /// Appends one event; throws ``UnexportableEvent`` when JSON Lines is asked for and the stored
    /// body or metadata is not a JSON object or array.
    public func append(_ event: EventFieldBytes, hash: UnsafeRawBufferPointer, to output: inout [UInt8]) throws {
        switch format {
        case .jsonl: try appendJSONLine(event, hash: hash, to: &output)
        case .csv: appendCSVRecord(event, hash: hash, to: &output)
        }
    }

    private func appendJSONLine(_ event: EventFieldBytes, hash: UnsafeRawBufferPointer, to output: inout [UInt8])
        throws
    {
        output.append(UInt8(ascii: "{"))
        for (index, field) in fields.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            output.append(UInt8(ascii: "\""))
            output.append(contentsOf: field.rawValue.utf8)
            output.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
            switch field {
            case .position: ExportBytes.appendInteger(event.position, to: &output)
            case .eventID: quoted(&output) { ExportBytes.appendUUID(event.eventID, to: &$0) }
            case .streamID: ExportBytes.appendJSONString(event.streamID, to: &output)
            case .streamVersion: ExportBytes.appendInteger(event.streamVersion, to: &output)
            case .type: ExportBytes.appendJSONString(event.type, to: &output)
            case .source: ExportBytes.appendJSONString(event.source, to: &output)
            case .sourceEventID: appendJSONStringOrNull(event.sourceEventID, to: &output)
            case .occurredAt: ExportBytes.appendJSONString(event.occurredAt.description, to: &output)
            case .recordedAt: ExportBytes.appendJSONString(event.recordedAt.description, to: &output)
            case .customerID: appendJSONStringOrNull(event.customerID, to: &output)
            case .metadata:
                guard ExportBytes.appendRawJSON(event.metadata, to: &output) else {
                    throw UnexportableEvent(position: event.position, reason: "its metadata is not a JSON object")
                }
            case .body:
                guard ExportBytes.appendRawJSON(event.body, to: &output) else {
                    throw UnexportableEvent(
                        position: event.position,
                        reason: "its body is not a JSON object or array (export it with --format csv)")
                }
            case .hash: quoted(&output) { ExportBytes.appendHex(hash, to: &$0) }
            }
        }
        output.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
    }

    private func appendCSVRecord(_ event: EventFieldBytes, hash: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            switch field {
            case .position: ExportBytes.appendInteger(event.position, to: &output)
            case .eventID: ExportBytes.appendUUID(event.eventID, to: &output)
            case .streamID: ExportBytes.appendCSVField(event.streamID, to: &output)
            case .streamVersion: ExportBytes.appendInteger(event.streamVersion, to: &output)
            case .type: ExportBytes.appendCSVField(event.type, to: &output)
            case .source: ExportBytes.appendCSVField(event.source, to: &output)
            case .sourceEventID: event.sourceEventID.map { ExportBytes.appendCSVField($0, to: &output) }
            case .occurredAt: output.append(contentsOf: event.occurredAt.description.utf8)
            case .recordedAt: output.append(contentsOf: event.recordedAt.description.utf8)
            case .customerID: event.customerID.map { ExportBytes.appendCSVField($0, to: &output) }
            case .metadata: ExportBytes.appendCSVField(event.metadata, to: &output)
            case .body: ExportBytes.appendCSVField(event.body, to: &output)
            case .hash: ExportBytes.appendHex(hash, to: &output)
            }
        }
        ExportBytes.appendCSVRecordEnd(to: &output)
    }

    private func quoted(_ output: inout [UInt8], _ body: (inout [UInt8]) -> Void) {
        output.append(UInt8(ascii: "\""))
        body(&output)
        output.append(UInt8(ascii: "\""))
    }

    private func appendJSONStringOrNull(_ text: UnsafeRawBufferPointer?, to output: inout [UInt8]) {
        guard let text else { return output.append(contentsOf: "null".utf8) }
        ExportBytes.appendJSONString(text, to: &output)
    }
}
