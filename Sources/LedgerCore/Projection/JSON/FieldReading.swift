/// Reads typed fields out of an event body, keeping the first value that is present but unusable.
///
/// A present value of the wrong shape (`"canceled_at": 1e13`, `"quantity": 1.5`) must not read as
/// absent — that would silently change the row — so the reducer parks the event with this problem.
struct FieldReading {
    /// The first problem met, in reading order.
    private(set) var problem: ParkReason?

    /// An integer, nil when absent or null; any other value records a problem and reads as nil.
    mutating func integer(_ value: JSONValue, _ field: String) -> Int64? {
        guard value.exists, !value.isNull else { return nil }
        if let integer = value.int64 { return integer }
        record(.notAnInteger(field: field, value.shapeDescription))
        return nil
    }

    /// A time in Unix seconds, nil when absent or null; outside ``EventTime/secondsWindow`` it is a problem.
    mutating func time(_ value: JSONValue, _ field: String) -> Int64? {
        guard let seconds = integer(value, field) else { return nil }
        guard EventTime.secondsWindow.contains(seconds) else {
            record(.timeOutOfRange(field: field, seconds))
            return nil
        }
        return seconds
    }

    /// Records `reason` unless an earlier problem was recorded.
    mutating func record(_ reason: ParkReason) {
        if problem == nil { problem = reason }
    }
}

extension JSONValue {
    /// The value's JSON text when it is a number (`1e13`), else its type (`a string`), for a reason.
    var shapeDescription: String {
        guard let node else { return "nothing" }
        switch node.kind {
        case .number:
            return tape.bytes.withUnsafeBufferPointer {
                String(decoding: UnsafeBufferPointer(rebasing: $0[Int(node.start)..<Int(node.end)]), as: UTF8.self)
            }
        case .string, .escapedString: return "a string"
        case .object: return "an object"
        case .array: return "an array"
        case .trueLiteral, .falseLiteral: return "a boolean"
        case .null: return "null"
        }
    }
}
