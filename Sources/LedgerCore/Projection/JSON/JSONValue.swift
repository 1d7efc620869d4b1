/// One value of a ``JSONTape``: a position in the tape, decoded only when asked.
///
/// A missing key and a JSON `null` both read as nil through the typed accessors;
/// ``isNull`` and ``exists`` tell them apart where that matters (`previous_attributes`).
public struct JSONValue: Sendable {
    let tape: JSONTape
    /// Index of the node, or -1 for a value that is not there.
    let index: Int

    static func missing(_ tape: JSONTape) -> JSONValue { JSONValue(tape: tape, index: -1) }

    var node: JSONTape.Node? { index >= 0 ? tape.nodes[index] : nil }

    /// True when the value is present (possibly `null`).
    public var exists: Bool { index >= 0 }

    /// True for a present JSON `null`.
    public var isNull: Bool { node?.kind == .null }

    /// True for an object.
    public var isObject: Bool { node?.kind == .object }

    /// The member `key` of an object; a missing value when absent or not an object.
    public subscript(key: StaticString) -> JSONValue {
        guard let node, node.kind == .object else { return .missing(tape) }
        let wanted = UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        var child = index + 1
        let end = Int(node.end)
        while child < end {
            let keyNode = tape.nodes[child]
            if keyNode.kind == .string, Int(keyNode.end - keyNode.start) == wanted.count,
                tape.bytes.withUnsafeBufferPointer({ bytes in
                    memoryEqual(bytes, from: Int(keyNode.start), wanted)
                })
            {
                return JSONValue(tape: tape, index: child + 1)
            }
            if keyNode.kind == .escapedString, keyString(at: child) == String(decoding: wanted, as: UTF8.self) {
                return JSONValue(tape: tape, index: child + 1)
            }
            child = tape.nextSibling(of: child + 1)
        }
        return .missing(tape)
    }

    /// The elements of an array (empty when not an array).
    public var elements: [JSONValue] {
        guard let node, node.kind == .array else { return [] }
        var result: [JSONValue] = []
        var child = index + 1
        while child < Int(node.end) {
            result.append(JSONValue(tape: tape, index: child))
            child = tape.nextSibling(of: child)
        }
        return result
    }

    /// The key/value members of an object in document order (empty when not an object).
    public var members: [(key: String, value: JSONValue)] {
        guard let node, node.kind == .object else { return [] }
        var result: [(key: String, value: JSONValue)] = []
        var child = index + 1
        while child < Int(node.end) {
            result.append((keyString(at: child), JSONValue(tape: tape, index: child + 1)))
            child = tape.nextSibling(of: child + 1)
        }
        return result
    }

    /// The decoded string, or nil when the value is not a string.
    public var string: String? {
        guard let node else { return nil }
        switch node.kind {
        case .string:
            return tape.bytes.withUnsafeBufferPointer { bytes in
                String(decoding: UnsafeBufferPointer(rebasing: bytes[Int(node.start)..<Int(node.end)]), as: UTF8.self)
            }
        case .escapedString:
            return JSONStringUnescaper.decode(tape.bytes, Int(node.start)..<Int(node.end))
        case .object, .array, .number, .trueLiteral, .falseLiteral, .null:
            return nil
        }
    }

    /// An integer without fraction or exponent that fits in 64 bits, else nil.
    public var int64: Int64? {
        guard let node, node.kind == .number else { return nil }
        return tape.bytes.withUnsafeBufferPointer { bytes in
            var index = Int(node.start)
            let end = Int(node.end)
            let negative = bytes[index] == UInt8(ascii: "-")
            if negative { index += 1 }
            guard index < end else { return nil }
            var value: Int64 = 0
            while index < end {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (added, overflow2) = shifted.addingReportingOverflow(Int64(digit))
                guard !overflow1, !overflow2 else { return nil }
                value = added
                index += 1
            }
            return negative ? -value : value
        }
    }

    /// The boolean, or nil when the value is not `true`/`false`.
    public var bool: Bool? {
        switch node?.kind {
        case .trueLiteral: true
        case .falseLiteral: false
        default: nil
        }
    }

    func keyString(at keyIndex: Int) -> String {
        JSONValue(tape: tape, index: keyIndex).string ?? ""
    }
}

/// Compares `wanted` with the bytes at `start`; the caller checked the lengths match.
@inline(__always)
func memoryEqual(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, _ wanted: UnsafeBufferPointer<UInt8>) -> Bool {
    for offset in 0..<wanted.count where bytes[start + offset] != wanted[offset] { return false }
    return true
}

extension JSONTape {
    /// The index of the node after `index` and its subtree.
    @inline(__always)
    func nextSibling(of index: Int) -> Int {
        let node = nodes[index]
        switch node.kind {
        case .object, .array: return Int(node.end)
        case .string, .escapedString, .number, .trueLiteral, .falseLiteral, .null: return index + 1
        }
    }
}
