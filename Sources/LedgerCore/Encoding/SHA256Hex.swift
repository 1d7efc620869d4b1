import Crypto
import Foundation

extension HexEncoding {
    /// Lower-case hex SHA-256 of `bytes`: the form checksums and chain hashes are shown in.
    public static func sha256<Bytes: DataProtocol>(_ bytes: Bytes) -> String {
        encode(SHA256.hash(data: bytes))
    }
}
