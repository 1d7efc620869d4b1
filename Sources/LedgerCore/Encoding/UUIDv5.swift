import Crypto
import Foundation

extension UUID {
    /// The ledger's fixed namespace for name-based ids (never change it: ids derive from it).
    public static let ledgerNamespace = UUID(
        uuid: (
            0x6B, 0x1F, 0x3A, 0x52, 0x8C, 0x4D, 0x4E, 0x0A, 0x9F, 0x21, 0x5D, 0x7E, 0x13, 0xC8, 0x44, 0x90
        ))

    /// A name-based UUID (RFC 9562 version 5, SHA-1): the same name always gives the same id.
    public init(version5Name name: String, namespace: UUID = .ledgerNamespace) {
        var hasher = Insecure.SHA1()
        withUnsafeBytes(of: namespace.uuid) { hasher.update(bufferPointer: $0) }
        hasher.update(data: Array(name.utf8))
        var bytes = Array(hasher.finalize().prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        self.init(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }
}
