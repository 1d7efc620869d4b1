/// Why reducer records could not be restored: the record, what was being read and where.
public struct ReducerArchiveError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with the record.
    public enum Problem: Sendable, Hashable {
        /// The state ends before the value being read is complete.
        case truncated
        /// The state starts with a format version this build cannot read.
        case unsupportedFormatVersion(UInt8)
        /// Bytes no encoder writes: an unknown tag, invalid UTF-8, an overlong varint, unsorted keys.
        case invalidValue(String)
        /// Bytes are left after the record's value.
        case trailingBytes(count: Int)
        /// A parked record's key is not `subscription:<id>`, `payment:<id>` or `event:<position>`.
        case invalidKey
        /// Another record has the same kind and key.
        case duplicateRecord
    }

    /// What is wrong.
    public var problem: Problem
    /// The kind of the record that failed.
    public var kind: ReducerRecord.Kind
    /// The key of the record that failed.
    public var key: String
    /// The field being read, e.g. `entry.created`; empty for problems of the record as a whole.
    public var field: String
    /// The byte offset in the record's state where reading stopped.
    public var offset: Int

    /// An error for the record `kind`/`key`.
    init(_ problem: Problem, kind: ReducerRecord.Kind, key: String, field: String = "", offset: Int = 0) {
        self.problem = problem
        self.kind = kind
        self.key = key
        self.field = field
        self.offset = offset
    }

    /// The problem, as a user reads it.
    public var description: String {
        let record = "\(kind.rawValue) record '\(key)'"
        switch problem {
        case .truncated:
            return "\(record) is truncated: the state ends while reading \(field) at byte \(offset)"
        case .unsupportedFormatVersion(let version):
            return "\(record) has format version \(version); this build reads version \(ReducerRecord.formatVersion)"
        case .invalidValue(let message):
            return "\(record) is invalid at byte \(offset) (\(field)): \(message)"
        case .trailingBytes(let count):
            return "\(record) has \(count) bytes left after its value ends at byte \(offset)"
        case .invalidKey:
            return "\(record): the key is not subscription:<id>, payment:<id> or event:<position>"
        case .duplicateRecord:
            return "\(record) appears twice"
        }
    }
}
