import CLibPQ
import Foundation
import LedgerCore

/// One value of a result, borrowed from libpq for the duration of a decode.
public struct PostgresCell {
    /// The raw value; nil for SQL NULL.
    public let bytes: UnsafeRawBufferPointer?
    public let format: PostgresFormat
    public let typeOID: UInt32
    let result: OpaquePointer
    let column: Int32

    /// The column's name; looked up only when needed (error messages), since decoding is a hot path.
    public var columnName: String { String(cString: PQfname(result, column)) }

    func mismatch(_ expected: String) -> PostgresError {
        PostgresError(
            .decoding,
            message: "column \(columnName) (type oid \(typeOID), \(format)) cannot be read as \(expected)")
    }

    func nonNull(_ expected: String) throws -> UnsafeRawBufferPointer {
        guard let bytes else {
            throw PostgresError(.decoding, message: "column \(columnName) is NULL; decode \(expected)? to accept NULL")
        }
        return bytes
    }

    var text: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    func bigEndianInteger(_ expected: String) throws -> Int64 {
        let bytes = try nonNull(expected)
        guard [2, 4, 8].contains(bytes.count) else { throw mismatch(expected) }
        var value: Int64 = bytes[0] & 0x80 != 0 ? -1 : 0
        for byte in bytes { value = (value << 8) | Int64(byte) }
        return value
    }
}

/// A Swift type that can be read from a result value.
public protocol PostgresDecodable {
    static func decode(from cell: PostgresCell) throws -> Self
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Self {
        cell.bytes == nil ? .none : try Wrapped.decode(from: cell)
    }
}

extension String: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> String {
        let bytes = try cell.nonNull("String")
        if cell.format == .binary && cell.typeOID == PostgresTypeOID.jsonb {
            // Binary jsonb is a version byte (1) followed by the JSON text.
            return String(decoding: bytes.dropFirst(), as: UTF8.self)
        }
        if cell.format == .binary && cell.typeOID == PostgresTypeOID.uuid {
            return try UUID.decode(from: cell).uuidString.lowercased()
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Int64: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int64 {
        if cell.format == .binary { return try cell.bigEndianInteger("Int64") }
        guard let text = cell.text, let value = Int64(text) else { throw cell.mismatch("Int64") }
        return value
    }
}

extension Int: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int {
        Int(try Int64.decode(from: cell))
    }
}

extension Int32: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int32 {
        let value = try Int64.decode(from: cell)
        guard let narrow = Int32(exactly: value) else { throw cell.mismatch("Int32") }
        return narrow
    }
}

extension Bool: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Bool {
        let bytes = try cell.nonNull("Bool")
        if cell.format == .binary { return bytes.first == 1 }
        switch cell.text {
        case "t", "true": return true
        case "f", "false": return false
        default: throw cell.mismatch("Bool")
        }
    }
}

extension Double: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Double {
        guard cell.format == .text, let text = cell.text, let value = Double(text) else {
            throw cell.mismatch("Double (text format)")
        }
        return value
    }
}

/// `bytea` values: raw in binary format, `\x…` hex in text format.
extension Array: PostgresDecodable where Element == UInt8 {
    public static func decode(from cell: PostgresCell) throws -> [UInt8] {
        let bytes = try cell.nonNull("[UInt8]")
        if cell.format == .binary || cell.typeOID != PostgresTypeOID.bytea { return [UInt8](bytes) }
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"),
            let decoded = HexEncoding.decode(UnsafeRawBufferPointer(rebasing: bytes[2...]))
        else { throw cell.mismatch("[UInt8] (bytea hex)") }
        return decoded
    }
}

extension UUID: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> UUID {
        let bytes = try cell.nonNull("UUID")
        if cell.format == .binary {
            guard bytes.count == 16 else { throw cell.mismatch("UUID") }
            let b = [UInt8](bytes)
            return UUID(
                uuid: (
                    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                    b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
                ))
        }
        guard let text = cell.text, let value = UUID(uuidString: text) else { throw cell.mismatch("UUID") }
        return value
    }
}

/// `timestamptz`: microseconds since 2000-01-01 UTC in binary; ISO text otherwise.
extension Date: PostgresDecodable {
    static let postgresEpoch = Date(timeIntervalSince1970: 946_684_800)

    public static func decode(from cell: PostgresCell) throws -> Date {
        if cell.format == .binary {
            let micros = try cell.bigEndianInteger("Date")
            return Date(timeInterval: Double(micros) / 1_000_000, since: postgresEpoch)
        }
        guard let text = cell.text, let date = PostgresTimestamp.parse(text) else { throw cell.mismatch("Date") }
        return date
    }
}

/// Parses PostgreSQL's ISO text form `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]]`.
enum PostgresTimestamp {
    static func parse(_ text: String) -> Date? {
        let scalars = Array(text.utf8)
        var index = 0
        func number(_ digits: Int) -> Int? {
            guard index + digits <= scalars.count else { return nil }
            var value = 0
            for _ in 0..<digits {
                let c = scalars[index]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                value = value * 10 + Int(c - 0x30)
                index += 1
            }
            return value
        }
        func skip(_ c: UInt8) -> Bool {
            guard index < scalars.count, scalars[index] == c else { return false }
            index += 1
            return true
        }
        guard let year = number(4), skip(0x2D), let month = number(2), skip(0x2D), let day = number(2),
            skip(0x20) || skip(0x54), let hour = number(2), skip(0x3A), let minute = number(2), skip(0x3A),
            let second = number(2)
        else { return nil }
        var fraction = 0.0
        if skip(0x2E) {
            var scale = 0.1
            while index < scalars.count, scalars[index] >= 0x30, scalars[index] <= 0x39 {
                fraction += Double(scalars[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds = 0
        if index < scalars.count {
            let sign = scalars[index] == 0x2D ? -1 : 1
            guard skip(0x2B) || skip(0x2D), let offsetHours = number(2) else { return nil }
            var offsetMinutes = 0
            if skip(0x3A) { offsetMinutes = number(2) ?? 0 }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        }
        let days = Int(CivilDate.days(year: Int64(year), month: Int64(month), day: Int64(day)))
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
