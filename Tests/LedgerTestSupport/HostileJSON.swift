/// A JSON document held byte for byte, for the hostile-input suites: numbers keep their literal text
/// (`1E400`, `-0`, `9223372036854775808` survive), strings keep the bytes between their quotes (escapes,
/// lone surrogates and invalid UTF-8 survive), objects keep their key order and duplicate keys.
///
/// Foundation's `JSONSerialization` can neither hold nor write most of the inputs the suites need,
/// which is why this small tree exists; it is test code, never a parser of the ledger's own.
public indirect enum HostileJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's literal text, exactly as it is written.
    case number(String)
    /// The bytes between the quotes, escapes kept as written.
    case string([UInt8])
    case array([HostileJSON])
    case object([HostileMember])

    /// A string value from Swift text, escaped as JSON requires.
    public static func text(_ value: String) -> HostileJSON { .string(escaped(value)) }

    /// The bytes between the quotes for `value`: `"`, `\` and control characters escaped.
    public static func escaped(_ value: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += Array(#"\""#.utf8)
            case UInt8(ascii: "\\"): bytes += Array(#"\\"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes += Array(#"\u00"#.utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: bytes.append(byte)
            }
        }
        return bytes
    }

    /// The value of a plain string (no escapes), e.g. an id; nil for anything else.
    public var plainString: String? {
        guard case .string(let bytes) = self, !bytes.contains(UInt8(ascii: "\\")) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The member `key` of an object (its first occurrence).
    public subscript(key: String) -> HostileJSON? {
        guard case .object(let members) = self else { return nil }
        let name = Self.escaped(key)
        return members.first { $0.key == name }?.value
    }

    /// Sets (or appends) the member `key` of an object; does nothing to other values.
    public mutating func set(_ key: String, _ value: HostileJSON) {
        guard case .object(var members) = self else { return }
        let name = Self.escaped(key)
        if let index = members.firstIndex(where: { $0.key == name }) {
            members[index].value = value
        } else {
            members.append(HostileMember(key: name, value: value))
        }
        self = .object(members)
    }

    /// The compact serialisation (no whitespace, so one document is one line).
    public var bytes: [UInt8] {
        var output: [UInt8] = []
        write(to: &output)
        return output
    }

    func write(to output: inout [UInt8]) {
        switch self {
        case .null: output += Array("null".utf8)
        case .bool(let value): output += Array((value ? "true" : "false").utf8)
        case .number(let literal): output += Array(literal.utf8)
        case .string(let content): output += [UInt8(ascii: "\"")] + content + [UInt8(ascii: "\"")]
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                output += [UInt8(ascii: "\"")] + member.key + [UInt8(ascii: "\""), UInt8(ascii: ":")]
                member.value.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Parses one JSON document (the fixtures: well-formed UTF-8 JSON).
    public init(parsing bytes: [UInt8]) throws {
        var parser = HostileJSONParser(bytes: bytes)
        self = try parser.document()
    }
}

/// One member of an object: the key's bytes between its quotes, and the value.
public struct HostileMember: Sendable, Equatable {
    public var key: [UInt8]
    public var value: HostileJSON

    public init(key: [UInt8], value: HostileJSON) {
        self.key = key
        self.value = value
    }

    /// The key as text (keys of the fixtures are plain).
    public var name: String { String(decoding: key, as: UTF8.self) }
}

/// One step from a value to a child: an object's member by index (duplicates stay distinct) or an element.
public enum HostilePathStep: Sendable, Hashable {
    case member(Int)
    case element(Int)
}

extension HostileJSON {
    /// Positions deeper than this are not listed: a mutation already nested thousands deep is not aimed into
    /// again, which keeps listing linear in the document's size instead of quadratic in its depth.
    public static let positionDepthMax = 32

    /// Every position in the document except the root (down to ``positionDepthMax``), with a dotted name.
    public func positions() -> [(path: [HostilePathStep], name: String)] {
        var found: [(path: [HostilePathStep], name: String)] = []
        collect(prefix: [], name: "", into: &found)
        return found
    }

    private func collect(
        prefix: [HostilePathStep], name: String, into found: inout [(path: [HostilePathStep], name: String)]
    ) {
        guard prefix.count < Self.positionDepthMax else { return }
        switch self {
        case .object(let members):
            for (index, member) in members.enumerated() {
                let path = prefix + [.member(index)]
                let childName = name.isEmpty ? member.name : name + "." + member.name
                found.append((path, childName))
                member.value.collect(prefix: path, name: childName, into: &found)
            }
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                let path = prefix + [.element(index)]
                let childName = name + "[\(index)]"
                found.append((path, childName))
                element.collect(prefix: path, name: childName, into: &found)
            }
        case .null, .bool, .number, .string: break
        }
    }

    /// The value at `path`, or nil when the path leads nowhere.
    public func value(at path: ArraySlice<HostilePathStep>) -> HostileJSON? {
        guard let step = path.first else { return self }
        switch (self, step) {
        case (.object(let members), .member(let index)) where members.indices.contains(index):
            return members[index].value.value(at: path.dropFirst())
        case (.array(let elements), .element(let index)) where elements.indices.contains(index):
            return elements[index].value(at: path.dropFirst())
        default: return nil
        }
    }

    /// Replaces the value at `path` through `change`; `change` returning nil removes a member or element.
    public mutating func modify(at path: ArraySlice<HostilePathStep>, _ change: (HostileJSON) -> HostileJSON?) {
        guard let step = path.first else { return }
        switch (self, step) {
        case (.object(var members), .member(let index)) where members.indices.contains(index):
            if path.count == 1 {
                if let new = change(members[index].value) {
                    members[index].value = new
                } else {
                    members.remove(at: index)
                }
            } else {
                members[index].value.modify(at: path.dropFirst(), change)
            }
            self = .object(members)
        case (.array(var elements), .element(let index)) where elements.indices.contains(index):
            if path.count == 1 {
                if let new = change(elements[index]) { elements[index] = new } else { elements.remove(at: index) }
            } else {
                elements[index].modify(at: path.dropFirst(), change)
            }
            self = .array(elements)
        default: return
        }
    }

    /// Applies `change` to the object that holds the member at `path` (the path's last step is that member).
    public mutating func modifyParent(of path: [HostilePathStep], _ change: (inout [HostileMember], Int) -> Void) {
        guard case .member(let index)? = path.last else { return }
        let parent = path.dropLast()
        func apply(_ value: HostileJSON) -> HostileJSON {
            guard case .object(var members) = value, members.indices.contains(index) else { return value }
            change(&members, index)
            return .object(members)
        }
        if parent.isEmpty { self = apply(self) } else { modify(at: parent[...]) { apply($0) } }
    }
}

/// A recursive-descent parser for well-formed fixture JSON.
struct HostileJSONParser {
    let bytes: [UInt8]
    var offset = 0

    struct Failure: Error, CustomStringConvertible {
        var offset: Int
        var description: String { "fixture JSON is malformed at byte \(offset)" }
    }

    init(bytes: [UInt8]) {
        // A UTF-8 byte order mark is not JSON.
        self.bytes = Array(bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...])
    }

    mutating func document() throws -> HostileJSON {
        let value = try parseValue()
        skipSpace()
        guard offset == bytes.count else { throw Failure(offset: offset) }
        return value
    }

    mutating func skipSpace() {
        while offset < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[offset]) { offset += 1 }
    }

    mutating func expect(_ literal: String) throws {
        let expected = Array(literal.utf8)
        guard bytes[offset...].starts(with: expected) else { throw Failure(offset: offset) }
        offset += expected.count
    }

    mutating func parseValue() throws -> HostileJSON {
        skipSpace()
        guard offset < bytes.count else { throw Failure(offset: offset) }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        default:
            let start = offset
            while offset < bytes.count, Array("+-0123456789.eE".utf8).contains(bytes[offset]) { offset += 1 }
            guard offset > start else { throw Failure(offset: offset) }
            return .number(String(decoding: bytes[start..<offset], as: UTF8.self))
        }
    }

    mutating func parseString() throws -> [UInt8] {
        offset += 1
        let start = offset
        while offset < bytes.count, bytes[offset] != UInt8(ascii: "\"") {
            offset += bytes[offset] == UInt8(ascii: "\\") ? 2 : 1
        }
        guard offset < bytes.count else { throw Failure(offset: offset) }
        defer { offset += 1 }
        return Array(bytes[start..<offset])
    }

    mutating func parseArray() throws -> HostileJSON {
        offset += 1
        var elements: [HostileJSON] = []
        skipSpace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") {
            offset += 1
            return .array([])
        }
        while true {
            elements.append(try parseValue())
            skipSpace()
            guard offset < bytes.count else { throw Failure(offset: offset) }
            if bytes[offset] == UInt8(ascii: "]") {
                offset += 1
                return .array(elements)
            }
            try expect(",")
        }
    }

    mutating func parseObject() throws -> HostileJSON {
        offset += 1
        var members: [HostileMember] = []
        skipSpace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") {
            offset += 1
            return .object([])
        }
        while true {
            skipSpace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw Failure(offset: offset) }
            let key = try parseString()
            skipSpace()
            try expect(":")
            members.append(HostileMember(key: key, value: try parseValue()))
            skipSpace()
            guard offset < bytes.count else { throw Failure(offset: offset) }
            if bytes[offset] == UInt8(ascii: "}") {
                offset += 1
                return .object(members)
            }
            try expect(",")
        }
    }
}
