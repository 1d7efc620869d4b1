import Foundation
import LedgerTestRandom
import Testing

@testable import LedgerCore

/// The framer, the envelope scanner and the tape share ``JSONLexer``; these properties hold them to
/// the same answers on hostile input (escapes, surrogates, NUL, invalid UTF-8, truncation).
///
/// Seeded (`LEDGER_TEST_SEED` replays the seed a failure prints).
@Suite struct JSONLexerAgreementTests {
    static let seed = TestSeed.value(default: 19)

    @Test func plainStringEndStopsAtTheFirstByteEachScannerActsOn() {
        var generator = SeededGenerator(seed: Self.seed)
        let palette: [UInt8] = [0x22, 0x5C, 0x0A, 0x00, 0x1F, 0x20, 0x41, 0x7F, 0x80, 0xC3, 0xFF]
        let reference: [(JSONLexer.StringStops, (UInt8) -> Bool)] = [
            (.none, { $0 == 0x22 || $0 == 0x5C }),
            (.newline, { $0 == 0x22 || $0 == 0x5C || $0 == 0x0A }),
            (.controlOrNonASCII, { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 || $0 >= 0x80 }),
        ]
        for round in 0..<2_000 {
            // Mostly plain bytes, so the word-at-a-time path runs, with a stop now and then.
            let bytes = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                Int.random(in: 0..<6, using: &generator) == 0
                    ? palette.randomElement(using: &generator) ?? 0x41
                    : UInt8.random(in: 0x23...0x5B, using: &generator)
            }
            let start = Int.random(in: 0...bytes.count, using: &generator)
            for (stops, isStop) in reference {
                let expected = bytes[start...].firstIndex(where: isStop) ?? bytes.count
                let found = bytes.withUnsafeBytes {
                    JSONLexer.plainStringEnd($0, from: start, end: bytes.count, stops: stops)
                }
                #expect(found == expected, "seed \(Self.seed) round \(round) \(stops): \(bytes) from \(start)")
            }
        }
    }

    @Test func framerEnvelopeScannerAndTapeAgreeOnHostileDocuments() {
        var generator = SeededGenerator(seed: Self.seed)
        for round in 0..<1_500 {
            var document = HostileDocument.make(using: &generator)
            HostileDocument.mutate(&document, using: &generator)
            let problem = Self.disagreement(document, chunkAt: Int.random(in: 1...64, using: &generator))
            #expect(
                problem == nil,
                "seed \(Self.seed) round \(round): \(problem ?? "") in \(String(decoding: document, as: UTF8.self))")
        }
    }

    /// What the three scanners disagree on for `bytes`, or nil.
    static func disagreement(_ bytes: [UInt8], chunkAt chunkSize: Int) -> String? {
        let scan = StripeEventEnvelope.scan(bytes)
        let tape = try? JSONTape(parsing: bytes)
        let isJSON: Bool
        switch scan {
        case .success: isJSON = true
        case .failure(let rejection):
            if case .invalidJSON = rejection.kind { isJSON = false } else { isJSON = true }
        }
        guard isJSON else { return nil }
        guard let tape else { return "the envelope scanner accepted the JSON, the tape refused it" }
        let start = bytes.firstIndex { !JSONLexer.isWhitespace($0) } ?? bytes.count
        let end = (bytes.lastIndex { !JSONLexer.isWhitespace($0) } ?? -1) + 1
        let trimmed = start < end ? bytes[start..<end] : []
        let framed = frame(bytes, chunkSize: chunkSize)
        if trimmed.first == UInt8(ascii: "{"), framed != [.document(bytes: trimmed, line: framed.first?.line ?? 0)] {
            return "the framer cut the valid document differently: \(framed)"
        }
        if case .success(let envelope) = scan {
            let root = tape.root
            guard root["id"].string == envelope.id, root["type"].string == envelope.type,
                envelope.objectID == nil || root["data"]["object"]["id"].string == envelope.objectID
            else { return "the tape read other strings than the envelope scanner" }
        }
        return nil
    }

    static func frame(_ bytes: [UInt8], chunkSize: Int) -> [FramedItem] {
        var framer = JSONDocumentFramer()
        var items: [FramedItem] = []
        var offset = 0
        while offset < bytes.count {
            framer.feed(bytes[offset..<min(offset + chunkSize, bytes.count)])
            offset += chunkSize
            while let item = framer.next() { items.append(item) }
        }
        framer.finish()
        while let item = framer.next() { items.append(item) }
        return items
    }
}

/// Stripe-shaped documents whose strings are made of the fragments scanners get wrong.
enum HostileDocument {
    /// String content as it appears between the quotes: valid JSON first, then the invalid.
    static let fragments: [[UInt8]] =
        [
            "plain", "sub_1", "\\\"", "\\\\", "\\\\\\\"", "\\/", "\\n\\t", "\\u0000", "\\u001f", "\\u00e9",
            "\\ud83d\\ude00", "é", "😀", "\u{2028}", "        ", "{[,:]}", "evt_",
            "\\uD800", "\\udc00x", "\\u12", "\\x",
        ].map { Array($0.utf8) } + [[0x00], [0x0A], [0x1F], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xFF], [0xE2, 0x82]]
    static let validFragments = 17

    static func string(using generator: inout SeededGenerator) -> [UInt8] {
        var content: [UInt8] = []
        for _ in 0..<Int.random(in: 0...5, using: &generator) {
            // Mostly valid fragments, so many documents pass the envelope scanner.
            let pool = Int.random(in: 0..<4, using: &generator) == 0 ? fragments[...] : fragments[..<validFragments]
            content += pool.randomElement(using: &generator) ?? []
        }
        return [UInt8(ascii: "\"")] + content + [UInt8(ascii: "\"")]
    }

    /// An event whose strings are hostile; bytes throughout, so invalid UTF-8 stays invalid.
    static func make(using generator: inout SeededGenerator) -> [UInt8] {
        let gap = Bool.random(using: &generator) ? "\n  " : ""
        // The literal pieces between the generated strings, in order.
        let pieces = [
            "{\(gap)\"id\": \"evt_", ", \"type\": ", ", \"created\": 1700000000,\(gap)\"data\": {\"object\": {\"id\": ",
            ", ", ": [", ", -1.5e3, true, null]}},\(gap)", ": ", "\(gap.isEmpty ? "" : "\n")}",
        ]
        var document: [UInt8] = []
        for (index, piece) in pieces.enumerated() {
            document += Array(piece.utf8)
            guard index < pieces.count - 1 else { break }
            // The id's opening quote is in its piece, after `evt_`.
            document += index == 0 ? string(using: &generator).dropFirst() : string(using: &generator)[...]
        }
        return document
    }

    /// Truncates, inserts or overwrites a byte now and then: the scanners must still agree.
    static func mutate(_ document: inout [UInt8], using generator: inout SeededGenerator) {
        let hostile: [UInt8] = [0x22, 0x5C, 0x00, 0x0A, 0x7B, 0x7D, 0x5D, 0x2C, 0x80, 0xFF, 0x20]
        guard !document.isEmpty else { return }
        let index = Int.random(in: 0..<document.count, using: &generator)
        switch Int.random(in: 0..<8, using: &generator) {
        case 0: document.removeSubrange(index...)
        case 1: document.insert(hostile.randomElement(using: &generator) ?? 0, at: index)
        case 2: document[index] = hostile.randomElement(using: &generator) ?? 0
        default: break
        }
    }
}
