/// A value with a fixed binary form in the reducer archive: ``ArchiveWriter`` writes it, ``ArchiveReader`` reads it.
protocol ArchiveCodable {
    /// Appends the value's encoding.
    func write(to writer: inout ArchiveWriter)
    /// Reads a value written by ``write(to:)``; throws on bytes it did not write.
    init(from reader: inout ArchiveReader) throws(ReducerArchiveError)
}

/// A tag byte, stored as is.
extension UInt8: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) { writer.writeByte(self) }
    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) { self = try reader.readByte() }
}

extension Int64: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) { writer.writeSigned(self) }
    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) { self = try reader.readSigned() }
}

extension Int: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) { writer.writeSigned(Int64(self)) }
    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        let value = try reader.readSigned()
        guard let int = Int(exactly: value) else { throw reader.invalid("\(value) does not fit Int") }
        self = int
    }
}

extension Bool: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) { writer.writeByte(self ? 1 : 0) }
    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        switch try reader.readByte() {
        case 0: self = false
        case 1: self = true
        case let byte: throw reader.invalid("Bool byte \(byte) is neither 0 nor 1")
        }
    }
}

extension String: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) { writer.writeString(self) }
    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) { self = try reader.readString() }
}

extension Optional: ArchiveCodable where Wrapped: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) {
        switch self {
        case .none: writer.writeByte(0)
        case .some(let value):
            writer.writeByte(1)
            value.write(to: &writer)
        }
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        switch try reader.readByte() {
        case 0: self = .none
        case 1: self = .some(try Wrapped(from: &reader))
        case let tag: throw reader.invalid("optional tag \(tag) is neither 0 nor 1")
        }
    }
}

extension Array: ArchiveCodable where Element: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) {
        writer.writeCount(count)
        for element in self { element.write(to: &writer) }
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        let count = try reader.readCount()
        self = []
        reserveCapacity(count)
        for _ in 0..<count { append(try Element(from: &reader)) }
    }
}

/// Written in ``ArchiveKeyOrder``; read back only in strictly ascending order, so one set has one encoding.
extension Set: ArchiveCodable where Element == String {
    func write(to writer: inout ArchiveWriter) {
        writer.writeCount(count)
        for element in sorted(by: ArchiveKeyOrder.precedes) { element.write(to: &writer) }
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        let count = try reader.readCount()
        self = []
        reserveCapacity(count)
        var previous: String?
        for _ in 0..<count {
            let element = try String(from: &reader)
            guard previous.map({ ArchiveKeyOrder.precedes($0, element) }) ?? true else {
                throw reader.invalid("set items are not in ascending byte order")
            }
            insert(element)
            previous = element
        }
    }
}

/// Written in ``ArchiveKeyOrder``; read back only in strictly ascending order, so one dictionary has one encoding.
extension Dictionary: ArchiveCodable where Key == String, Value: ArchiveCodable {
    func write(to writer: inout ArchiveWriter) {
        writer.writeCount(count)
        for index in ArchiveKeyOrder.sortedIndices(self) {
            let (key, value) = self[index]
            key.write(to: &writer)
            value.write(to: &writer)
        }
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        let count = try reader.readCount()
        self = [:]
        reserveCapacity(count)
        var previous: String?
        for _ in 0..<count {
            let key = try String(from: &reader)
            guard previous.map({ ArchiveKeyOrder.precedes($0, key) }) ?? true else {
                throw reader.invalid("dictionary keys are not in ascending byte order")
            }
            self[key] = try Value(from: &reader)
            previous = key
        }
    }
}
