import Crypto
import Foundation

/// The stored fields of one event as raw bytes, borrowed for one hash computation.
///
/// Lets the verifier hash straight from database buffers without building a
/// ``RecordedEvent``; the pointers are valid only while the caller's buffers are.
public struct EventFieldBytes {
    public var position: Int64
    /// The 16 bytes of the event id.
    public var eventID: UnsafeRawBufferPointer
    public var streamID: UnsafeRawBufferPointer
    public var streamVersion: Int64
    public var type: UnsafeRawBufferPointer
    public var source: UnsafeRawBufferPointer
    public var sourceEventID: UnsafeRawBufferPointer?
    public var occurredAt: EventTime
    public var recordedAt: EventTime
    public var customerID: UnsafeRawBufferPointer?
    public var body: UnsafeRawBufferPointer
    public var metadata: UnsafeRawBufferPointer

    public init(
        position: Int64, eventID: UnsafeRawBufferPointer, streamID: UnsafeRawBufferPointer, streamVersion: Int64,
        type: UnsafeRawBufferPointer, source: UnsafeRawBufferPointer, sourceEventID: UnsafeRawBufferPointer?,
        occurredAt: EventTime, recordedAt: EventTime, customerID: UnsafeRawBufferPointer?,
        body: UnsafeRawBufferPointer, metadata: UnsafeRawBufferPointer
    ) {
        self.position = position
        self.eventID = eventID
        self.streamID = streamID
        self.streamVersion = streamVersion
        self.type = type
        self.source = source
        self.sourceEventID = sourceEventID
        self.occurredAt = occurredAt
        self.recordedAt = recordedAt
        self.customerID = customerID
        self.body = body
        self.metadata = metadata
    }
}

/// The hash chain: `hash = SHA-256(previous hash ‖ encoding of the event)`.
///
/// The encoding covers every stored field in a fixed order, each as a 4-byte
/// big-endian length followed by its bytes (length 0xFFFFFFFF for NULL);
/// integers and times are 8-byte big-endian, the event id its 16 bytes. A
/// change to any stored byte of any event therefore changes its hash and every
/// hash after it. The layout is versioned by the leading tag; never change it
/// in place (docs/0002-event-log.md).
public enum EventHash {
    static let tag = Array("ledger.event.v1".utf8)

    /// The hash of `event` chained to `previous`; `event.hash` is ignored.
    public static func compute(previous: [UInt8], event: RecordedEvent) -> [UInt8] {
        // Lay the text fields out in one buffer so they can be borrowed together.
        var texts: [UInt8] = []
        var ranges: [Range<Int>?] = []
        for text in [event.streamID, event.type, event.source, event.sourceEventID, event.customerID, event.metadata] {
            guard let text else {
                ranges.append(nil)
                continue
            }
            let start = texts.count
            texts.append(contentsOf: text.utf8)
            ranges.append(start..<texts.count)
        }
        return texts.withUnsafeBytes { texts in
            func slice(_ index: Int) -> UnsafeRawBufferPointer? {
                ranges[index].map { UnsafeRawBufferPointer(rebasing: texts[$0]) }
            }
            let empty = UnsafeRawBufferPointer(start: nil, count: 0)
            return withUnsafeBytes(of: event.eventID.uuid) { eventID in
                event.body.withUnsafeBytes { body in
                    previous.withUnsafeBytes { previous in
                        compute(
                            previous: previous,
                            fields: EventFieldBytes(
                                position: event.position, eventID: eventID, streamID: slice(0) ?? empty,
                                streamVersion: event.streamVersion, type: slice(1) ?? empty, source: slice(2) ?? empty,
                                sourceEventID: slice(3), occurredAt: event.occurredAt, recordedAt: event.recordedAt,
                                customerID: slice(4), body: body, metadata: slice(5) ?? empty))
                    }
                }
            }
        }
    }

    /// The hash of the event whose stored fields are `fields`, chained to `previous`.
    public static func compute(previous: UnsafeRawBufferPointer, fields: EventFieldBytes) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bufferPointer: previous)
        hasher.update(data: tag)
        func integer(_ value: Int64) {
            withUnsafeBytes(of: value.bigEndian) { hasher.update(bufferPointer: $0) }
        }
        func field(_ bytes: UnsafeRawBufferPointer?) {
            guard let bytes else {
                withUnsafeBytes(of: UInt32.max.bigEndian) { hasher.update(bufferPointer: $0) }
                return
            }
            withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { hasher.update(bufferPointer: $0) }
            if bytes.count > 0 { hasher.update(bufferPointer: bytes) }
        }
        integer(fields.position)
        hasher.update(bufferPointer: fields.eventID)
        field(fields.streamID)
        integer(fields.streamVersion)
        field(fields.type)
        field(fields.source)
        field(fields.sourceEventID)
        integer(fields.occurredAt.microsecondsSinceEpoch)
        integer(fields.recordedAt.microsecondsSinceEpoch)
        field(fields.customerID)
        field(fields.body)
        field(fields.metadata)
        return Array(hasher.finalize())
    }
}
