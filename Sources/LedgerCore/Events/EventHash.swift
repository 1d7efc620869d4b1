import Crypto
import Foundation

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
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: tag)
        func integer(_ value: Int64) {
            withUnsafeBytes(of: value.bigEndian) { hasher.update(bufferPointer: $0) }
        }
        func field(_ text: String?) {
            guard var text else {
                withUnsafeBytes(of: UInt32.max.bigEndian) { hasher.update(bufferPointer: $0) }
                return
            }
            text.withUTF8 { utf8 in
                withUnsafeBytes(of: UInt32(utf8.count).bigEndian) { hasher.update(bufferPointer: $0) }
                hasher.update(bufferPointer: UnsafeRawBufferPointer(utf8))
            }
        }
        integer(event.position)
        withUnsafeBytes(of: event.eventID.uuid) { hasher.update(bufferPointer: $0) }
        field(event.streamID)
        integer(event.streamVersion)
        field(event.type)
        field(event.source)
        field(event.sourceEventID)
        integer(event.occurredAt.microsecondsSinceEpoch)
        integer(event.recordedAt.microsecondsSinceEpoch)
        field(event.customerID)
        withUnsafeBytes(of: UInt32(event.body.count).bigEndian) { hasher.update(bufferPointer: $0) }
        event.body.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        field(event.metadata)
        return Array(hasher.finalize())
    }
}
