import Foundation
import LedgerCore
import LedgerTestSupport

/// Fixtures and helpers shared by the ingest tests.
enum IngestFixtures {
    /// The recorded 2020-08-27 webhook events.
    static let eventsDirectory = Repository.stripeFixtures.appendingPathComponent("webhook-events-2020-08-27")

    static func eventNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: eventsDirectory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
    }

    static func event(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: eventsDirectory.appendingPathComponent(name)))
    }

    /// Every fixture event, trailing whitespace removed (two files end with a newline).
    static func allEvents() throws -> [[UInt8]] {
        try eventNames().map { name in
            var bytes = try event(name)
            while let last = bytes.last, [0x20, 0x0A, 0x0D, 0x09].contains(last) { bytes.removeLast() }
            return bytes
        }
    }

    /// The document with whitespace outside strings removed (assumes valid JSON).
    static func minified(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                output.append(byte)
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
                output.append(byte)
            } else if ![0x20, 0x0A, 0x0D, 0x09].contains(byte) {
                output.append(byte)
            }
        }
        return output
    }
}

/// A framed item with plain arrays, for comparing results across chunkings.
struct FramedResult: Equatable, CustomStringConvertible {
    let isDocument: Bool
    let bytes: [UInt8]
    let line: Int
    let reason: String?

    init(_ item: FramedItem) {
        switch item {
        case .document(let bytes, let line):
            self.isDocument = true
            self.bytes = Array(bytes)
            self.line = line
            self.reason = nil
        case .malformed(let bytes, let line, let reason):
            self.isDocument = false
            self.bytes = Array(bytes)
            self.line = line
            self.reason = reason
        }
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    var description: String {
        "\(isDocument ? "document" : "malformed") line \(line) \(reason ?? "") \(text.prefix(80))"
    }
}

/// Frames `input` fed in chunks of `chunkSize` bytes (the whole input when nil).
func frame(_ input: [UInt8], chunkSize: Int? = nil) -> [FramedResult] {
    var framer = JSONDocumentFramer()
    var results: [FramedResult] = []
    let size = max(1, chunkSize ?? input.count)
    var start = 0
    while start < input.count {
        let end = min(start + size, input.count)
        framer.feed(input[start..<end])
        while let item = framer.next() { results.append(FramedResult(item)) }
        start = end
    }
    framer.finish()
    while let item = framer.next() { results.append(FramedResult(item)) }
    return results
}

/// Frames `input` whole, then 1, 7 and 64 bytes at a time; the results must agree, and the whole-input one is returned.
func frameEveryWay(_ input: [UInt8]) -> (whole: [FramedResult], allAgree: Bool) {
    let whole = frame(input)
    let agree = [1, 7, 64].allSatisfy { frame(input, chunkSize: $0) == whole }
    return (whole, agree)
}

/// The UTF-8 bytes of `text`.
func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }
