extension HistoryGenerator {
    /// A seeded xoshiro256** generator: the only source of randomness, so the output depends on the seed alone.
    ///
    /// The standard library's `random(in:using:)` algorithms are not
    /// guaranteed stable across Swift releases, so every draw is computed here.
    struct Random {
        private var state0: UInt64
        private var state1: UInt64
        private var state2: UInt64
        private var state3: UInt64

        /// Seeds the four state words from SplitMix64, as the xoshiro authors recommend.
        init(seed: UInt64) {
            var mixer = seed
            state0 = Random.splitMix(&mixer)
            state1 = Random.splitMix(&mixer)
            state2 = Random.splitMix(&mixer)
            state3 = Random.splitMix(&mixer)
        }

        /// Derives an independent stream for one purpose (a customer, the delivery order) from the run seed.
        init(seed: UInt64, stream: UInt64, index: UInt64) {
            var mixer = seed ^ (stream &* 0x9E37_79B9_7F4A_7C15)
            let base = Random.splitMix(&mixer)
            var indexMixer = base ^ (index &* 0xD1B5_4A32_D192_ED03)
            self.init(seed: Random.splitMix(&indexMixer))
        }

        static func splitMix(_ state: inout UInt64) -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var value = state
            value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
            value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
            return value ^ (value >> 31)
        }

        mutating func next() -> UInt64 {
            let scaled = state1 &* 5
            let result = ((scaled << 7) | (scaled >> 57)) &* 9
            let shifted = state1 << 17
            state2 ^= state0
            state3 ^= state1
            state1 ^= state2
            state0 ^= state3
            state2 ^= shifted
            state3 = (state3 << 45) | (state3 >> 19)
            return result
        }

        /// A uniform value in `0 ..< 1` with 53 bits of precision.
        mutating func unit() -> Double {
            Double(next() >> 11) * 0x1.0p-53
        }

        /// True with probability `probability`; never true for 0, always for 1.
        mutating func chance(_ probability: Double) -> Bool {
            unit() < probability
        }

        /// A uniform integer in `range` (Lemire's multiply-high; the bias is below 2^-40 for our spans).
        mutating func int(in range: ClosedRange<Int>) -> Int {
            let span = UInt64(range.upperBound - range.lowerBound) &+ 1
            if span == 0 { return range.lowerBound &+ Int(truncatingIfNeeded: next()) }
            let product = next().multipliedFullWidth(by: span)
            return range.lowerBound + Int(product.high)
        }

        /// A uniform 64-bit integer in `range`.
        mutating func int64(in range: ClosedRange<Int64>) -> Int64 {
            let span = UInt64(range.upperBound - range.lowerBound) &+ 1
            let product = next().multipliedFullWidth(by: span)
            return range.lowerBound + Int64(product.high)
        }

        /// Picks an index by relative weights.
        mutating func weighted(_ weights: [Double]) -> Int {
            let total = weights.reduce(0, +)
            var target = unit() * total
            for (index, weight) in weights.enumerated() {
                if target < weight { return index }
                target -= weight
            }
            return weights.count - 1
        }

        private static let base62: [UInt8] = Array(
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

        /// A Stripe-style identifier: `prefix` followed by `count` base62 characters.
        mutating func identifier(_ prefix: String, count: Int) -> String {
            var bytes = Array(prefix.utf8)
            bytes.reserveCapacity(bytes.count + count)
            for _ in 0..<count {
                bytes.append(Random.base62[Int(next() % 62)])
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

        /// A lower-case RFC 4122 version-4 UUID string drawn from this stream.
        mutating func uuid() -> String {
            var high = next()
            var low = next()
            high = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
            low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
            var bytes: [UInt8] = []
            bytes.reserveCapacity(36)
            for (position, word) in [(0, high), (64, low)] {
                for nibble in 0..<16 {
                    let index = position + nibble * 4
                    if index == 32 || index == 48 || index == 64 || index == 80 {
                        bytes.append(UInt8(ascii: "-"))
                    }
                    bytes.append(Random.hexDigits[Int((word >> UInt64(60 - nibble * 4)) & 0xF)])
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        /// Lower-case hexadecimal characters, e.g. for card fingerprints and receipt tokens.
        mutating func hex(count: Int) -> String {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(count)
            for _ in 0..<count {
                bytes.append(Random.hexDigits[Int(next() & 0xF)])
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
