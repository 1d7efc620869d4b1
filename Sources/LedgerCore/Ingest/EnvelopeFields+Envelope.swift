// Field checks, run after the whole document proved to be valid JSON so that a
// JSON error always wins over a field error.

extension EnvelopeFields {
    /// The envelope, or the first failed check in a fixed order (id, type, created, …, customer).
    func envelope(in bytes: UnsafeRawBufferPointer) -> Result<StripeEventEnvelope, EnvelopeRejection> {
        let reader = FieldReader(bytes: bytes)
        do throws(EnvelopeRejection) {
            if topLevel != .absent {
                throw .field("event", "must be a JSON object (got \(topLevel.typeDescription))")
            }
            let id = try reader.eventID(eventID)
            let type = try reader.eventType(eventType)
            let created = try reader.created(created)
            let apiVersion = try reader.optionalText(apiVersion, "api_version")
            let livemode = try reader.optionalBoolean(livemode, "livemode")
            try reader.requireObject(data, "data")
            try reader.requireObject(dataObject, "data.object")
            // The object's own fields never refuse a well-formed event: what is unusable is left out
            // (nil), the event gets its own stream, and the projection judges the object from the body.
            let objectID = try reader.optionalObjectText(objectID, "data.object.id")
            let objectKind = try reader.objectKind(objectKind)
            let customerID = try reader.customer(customer, id: customerID)
            return .success(
                StripeEventEnvelope(
                    id: id, type: type, created: created, apiVersion: apiVersion, livemode: livemode,
                    objectID: objectID, objectKind: objectKind, customerID: customerID))
        } catch {
            return .failure(error)
        }
    }
}

/// Decodes and checks recorded field values against the document's bytes.
struct FieldReader {
    let bytes: UnsafeRawBufferPointer
    let charactersMax = Limits.envelopeStringCharactersMax

    func eventID(_ value: FieldValue) throws(EnvelopeRejection) -> String {
        let id = try requiredString(value, "id")
        guard id.hasPrefix("evt_") else { throw .field("id", "must start with evt_ (got \(quoted(id)))") }
        try checkLength(id, "id", minimum: 5)
        guard id.utf8.allSatisfy(isIdentifierByte) else {
            throw .field("id", "may contain only letters, digits and '_' (got \(quoted(id)))")
        }
        return id
    }

    func eventType(_ value: FieldValue) throws(EnvelopeRejection) -> String {
        let type = try requiredString(value, "type")
        try checkLength(type, "type", minimum: 1)
        guard type.utf8.allSatisfy(isTypeByte) else {
            throw .field("type", "may contain only a-z, 0-9, '_' and '.' (got \(quoted(type)))")
        }
        return type
    }

    func created(_ value: FieldValue) throws(EnvelopeRejection) -> Int64 {
        switch value {
        case .absent:
            throw .field("created", "is missing")
        case .number(let start, let end, integer: true):
            // At most 12 bytes (11 digits and a sign) keep the value far from Int64 overflow.
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            let latest = Limits.envelopeCreatedSecondsMax
            guard end - start <= 12, let seconds = Int64(text), seconds > 0, seconds <= latest else {
                throw .field("created", "must be between 1 and \(latest) seconds (got \(text))")
            }
            return seconds
        case .number(let start, let end, integer: false):
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            throw .field("created", "must be an integer (got \(text))")
        case .duplicate:
            throw .field("created", "appears more than once")
        default:
            throw .field("created", "must be an integer (got \(value.typeDescription))")
        }
    }

    func optionalText(_ value: FieldValue, _ path: String) throws(EnvelopeRejection) -> String? {
        if value == .absent || value == .null { return nil }
        let text = try requiredString(value, path)
        try checkLength(text, path, minimum: 1)
        try checkNoControlCharacters(text, path)
        return text
    }

    func optionalBoolean(_ value: FieldValue, _ path: String) throws(EnvelopeRejection) -> Bool? {
        switch value {
        case .absent, .null: return nil
        case .boolean(let flag): return flag
        case .duplicate: throw .field(path, "appears more than once")
        default: throw .field(path, "must be a boolean (got \(value.typeDescription))")
        }
    }

    func requireObject(_ value: FieldValue, _ path: String) throws(EnvelopeRejection) {
        switch value {
        case .object: return
        case .absent: throw .field(path, "is missing")
        case .duplicate: throw .field(path, "appears more than once")
        default: throw .field(path, "must be an object (got \(value.typeDescription))")
        }
    }

    /// `data.object.id` (or `object`): a non-empty string, else nil; only a repeated key refuses the event.
    func optionalObjectText(_ value: FieldValue, _ path: String) throws(EnvelopeRejection) -> String? {
        switch value {
        case .string:
            let text = try requiredString(value, path)
            return text.isEmpty ? nil : text
        case .duplicate: throw .field(path, "appears more than once")
        case .absent, .null, .number, .boolean, .object, .array: return nil
        }
    }

    /// `data.object.object` when it is a well-formed kind; otherwise the kind is inferred from the id.
    func objectKind(_ value: FieldValue) throws(EnvelopeRejection) -> String? {
        guard let kind = try optionalObjectText(value, "data.object.object") else { return nil }
        guard kind.utf8.count <= charactersMax, kind.utf8.allSatisfy(isTypeByte) else { return nil }
        return kind
    }

    /// `customer` is a string id, null, or an expanded object whose `id` is taken; an unusable id is left out.
    func customer(_ value: FieldValue, id: FieldValue) throws(EnvelopeRejection) -> String? {
        let customer: String?
        switch value {
        case .string: customer = try optionalObjectText(value, "data.object.customer")
        case .object: customer = try optionalObjectText(id, "data.object.customer.id")
        case .duplicate: throw .field("data.object.customer", "appears more than once")
        case .absent, .null, .number, .boolean, .array: customer = nil
        }
        // Invariant: `customer_id` holds only text PostgreSQL accepts (no NUL) and an audit can name.
        guard let customer, StripeEventEnvelope.isUsableIdentifier(customer) else { return nil }
        return customer
    }

    func requiredString(_ value: FieldValue, _ path: String) throws(EnvelopeRejection) -> String {
        switch value {
        case .string(let start, let end, let escaped):
            let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            // The parser validated UTF-8, so decoding never repairs anything.
            return escaped
                ? String(decoding: JSONStringEscapes.unescape(raw), as: UTF8.self)
                : String(decoding: raw, as: UTF8.self)
        case .absent: throw .field(path, "is missing")
        case .duplicate: throw .field(path, "appears more than once")
        default: throw .field(path, "must be a string (got \(value.typeDescription))")
        }
    }

    func checkLength(_ text: String, _ path: String, minimum: Int) throws(EnvelopeRejection) {
        // A scalar is 1–4 UTF-8 bytes: a byte count well inside the bounds settles it without counting scalars.
        let utf8Count = text.utf8.count
        if utf8Count <= charactersMax, utf8Count >= 4 * minimum { return }
        let count = text.unicodeScalars.count
        if count == 0 { throw .field(path, "is empty") }
        if count > charactersMax { throw .field(path, "is \(count) characters long; at most \(charactersMax)") }
        if count < minimum { throw .field(path, "is \(count) characters long; at least \(minimum)") }
    }

    func checkNoControlCharacters(_ text: String, _ path: String) throws(EnvelopeRejection) {
        if StripeEventEnvelope.containsControlCharacter(text) {
            throw .field(path, "must not contain control characters (got \(quoted(text)))")
        }
    }

    func isIdentifierByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
            true
        default: false
        }
    }

    func isTypeByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "_"), UInt8(ascii: "."):
            true
        default: false
        }
    }

    /// The value in Swift string-literal form, cut to 40 characters so a hostile value cannot flood a log line.
    func quoted(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > 40 else { return String(reflecting: text) }
        return String(reflecting: String(String.UnicodeScalarView(scalars.prefix(40)))) + "…"
    }
}
