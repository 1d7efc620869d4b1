import LedgerCore
import Testing

@Suite("hex and SHA-256")
struct HexEncodingTests {
    @Test func encodeAndDecodeRoundTrip() {
        let bytes: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xAB, 0xFF]
        #expect(HexEncoding.encode(bytes) == "00017f80abff")
        #expect(HexEncoding.decode("00017f80abff") == bytes)
        #expect(HexEncoding.decode("00017F80ABFF") == bytes)
        #expect(HexEncoding.decode("abc") == nil)
        #expect(HexEncoding.decode("zz") == nil)
    }

    @Test func sha256MatchesTheKnownVector() {
        #expect(
            HexEncoding.sha256(Array("abc".utf8))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
