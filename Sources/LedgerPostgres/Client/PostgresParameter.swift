import Foundation

/// One bind parameter as it goes over the wire: text, binary, or NULL.
///
/// Values only ever reach the server as bind parameters; nothing is spliced
/// into SQL text.
public enum PostgresParameter: Sendable, Equatable {
    case null
    /// Text format; the server casts it to the parameter's inferred type.
    case text(String)
    /// Binary format with the type's OID (e.g. 17 for `bytea`).
    case binary([UInt8], oid: UInt32)
}

/// A Swift value that can be sent as a bind parameter.
public protocol PostgresEncodable {
    var postgresParameter: PostgresParameter { get }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresParameter: PostgresParameter {
        switch self {
        case .none: .null
        case .some(let value): value.postgresParameter
        }
    }
}

extension String: PostgresEncodable {
    public var postgresParameter: PostgresParameter { .text(self) }
}

extension Substring: PostgresEncodable {
    public var postgresParameter: PostgresParameter { .text(String(self)) }
}

extension Int: PostgresEncodable {
    public var postgresParameter: PostgresParameter { .text(String(self)) }
}

extension Int64: PostgresEncodable {
    public var postgresParameter: PostgresParameter { .text(String(self)) }
}

extension Int32: PostgresEncodable {
    public var postgresParameter: PostgresParameter { .text(String(self)) }
}

extension Bool: PostgresEncodable {
    public var postgresParameter: PostgresParameter { .text(self ? "true" : "false") }
}

extension Double: PostgresEncodable {
    public var postgresParameter: PostgresParameter { .text(String(self)) }
}

extension UUID: PostgresEncodable {
    public var postgresParameter: PostgresParameter { .text(uuidString.lowercased()) }
}

/// Raw bytes travel as binary `bytea`, so any byte (NUL included) arrives intact.
extension Array: PostgresEncodable where Element == UInt8 {
    public var postgresParameter: PostgresParameter { .binary(self, oid: PostgresTypeOID.bytea) }
}

extension Data: PostgresEncodable {
    public var postgresParameter: PostgresParameter { .binary([UInt8](self), oid: PostgresTypeOID.bytea) }
}

/// Type OIDs from `pg_type` that the client encodes or decodes itself.
public enum PostgresTypeOID {
    public static let bool: UInt32 = 16
    public static let bytea: UInt32 = 17
    public static let int8: UInt32 = 20
    public static let int2: UInt32 = 21
    public static let int4: UInt32 = 23
    public static let text: UInt32 = 25
    public static let json: UInt32 = 114
    public static let varchar: UInt32 = 1043
    public static let timestamptz: UInt32 = 1184
    public static let uuid: UInt32 = 2950
    public static let jsonb: UInt32 = 3802
}
