/// An envelope field the parser records while it validates.
enum FieldSlot {
    case eventID, eventType, created, apiVersion, livemode, data
    case dataObject, objectID, objectKind, customer, customerID

    /// The role of an object found in this slot: only these objects have their keys read.
    var childRole: JSONEnvelopeParser.Role {
        switch self {
        case .data: .data
        case .dataObject: .dataObject
        case .customer: .customer
        case .eventID, .eventType, .created, .apiVersion, .livemode, .objectID, .objectKind, .customerID: .other
        }
    }
}

/// What the parser saw for one field: positions into the document, decoded only at the end.
enum FieldValue: Equatable {
    case absent
    /// The raw bytes between the quotes; `escaped` says whether they need unescaping.
    case string(start: Int, end: Int, escaped: Bool)
    case number(start: Int, end: Int, integer: Bool)
    case boolean(Bool)
    case null
    case object
    case array
    /// The key occurred more than once in its object; JSON readers disagree on which wins, so it is refused.
    case duplicate

    /// The value's JSON type with an article, for reasons (`got a string`).
    var typeDescription: String {
        switch self {
        case .absent: "nothing"
        case .string: "a string"
        case .number: "a number"
        case .boolean: "a boolean"
        case .null: "null"
        case .object: "an object"
        case .array: "an array"
        case .duplicate: "a repeated key"
        }
    }
}

/// The envelope fields of one document, as the parser found them.
struct EnvelopeFields {
    var topLevel: FieldValue = .absent
    var eventID: FieldValue = .absent
    var eventType: FieldValue = .absent
    var created: FieldValue = .absent
    var apiVersion: FieldValue = .absent
    var livemode: FieldValue = .absent
    var data: FieldValue = .absent
    var dataObject: FieldValue = .absent
    var objectID: FieldValue = .absent
    var objectKind: FieldValue = .absent
    var customer: FieldValue = .absent
    var customerID: FieldValue = .absent

    mutating func record(_ value: FieldValue, in slot: FieldSlot) {
        func store(_ field: inout FieldValue) { field = field == .absent ? value : .duplicate }
        switch slot {
        case .eventID: store(&eventID)
        case .eventType: store(&eventType)
        case .created: store(&created)
        case .apiVersion: store(&apiVersion)
        case .livemode: store(&livemode)
        case .data: store(&data)
        case .dataObject: store(&dataObject)
        case .objectID: store(&objectID)
        case .objectKind: store(&objectKind)
        case .customer: store(&customer)
        case .customerID: store(&customerID)
        }
    }
}

extension JSONEnvelopeParser {
    /// The envelope field a key names inside an object of `role`, if any.
    ///
    /// Static, taking the bytes, so the call does not copy the parser (and its fields) per key.
    static func slot(
        forKey range: Range<Int>, escaped: Bool, in role: Role, bytes: UnsafeRawBufferPointer
    ) -> FieldSlot? {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[range])
        guard escaped else { return slot(forKey: raw, in: role) }
        // A key spelled with escapes (`"\u0069d"`) is still `id`.
        return JSONStringEscapes.unescape(raw).withUnsafeBytes { slot(forKey: $0, in: role) }
    }

    static func slot(forKey key: UnsafeRawBufferPointer, in role: Role) -> FieldSlot? {
        func equals(_ name: StaticString) -> Bool {
            guard key.count == name.utf8CodeUnitCount else { return false }
            let pointer = name.utf8Start
            for offset in 0..<key.count where key[offset] != pointer[offset] { return false }
            return true
        }
        switch role {
        case .other:
            return nil
        case .event:
            if equals("id") { return .eventID }
            if equals("type") { return .eventType }
            if equals("created") { return .created }
            if equals("data") { return .data }
            if equals("api_version") { return .apiVersion }
            if equals("livemode") { return .livemode }
            return nil
        case .data:
            return equals("object") ? .dataObject : nil
        case .dataObject:
            if equals("id") { return .objectID }
            if equals("object") { return .objectKind }
            if equals("customer") { return .customer }
            return nil
        case .customer:
            return equals("id") ? .customerID : nil
        }
    }
}
