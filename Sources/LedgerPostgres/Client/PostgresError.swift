import CLibPQ

/// An error reported by libpq or the server, with what a user needs to act on it.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, broadly: callers branch on this, users read ``message``.
    public enum Kind: Sendable, Equatable {
        /// The connection could not be opened.
        case connectionFailed
        /// The connection was open and broke (server gone, network down, closed).
        case connectionLost
        /// The server rejected a statement; ``PostgresError/sqlState`` says why.
        case server
        /// A parameter cannot be sent as given (e.g. a NUL byte in text).
        case invalidParameter
        /// A value in a result was not of the type the caller asked for.
        case decoding
        /// The protocol went somewhere we did not expect (a bug, or a hostile server).
        case protocolViolation
    }

    public var kind: Kind
    /// Five-character SQLSTATE code (`23505` unique violation, `40001` serialization failure, …).
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    /// Name of the constraint the statement violated, when there was one.
    public var constraint: String?

    public init(
        _ kind: Kind, message: String, sqlState: String? = nil,
        detail: String? = nil, hint: String? = nil, constraint: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
    }

    public var description: String {
        var text = message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail { text += "\nDETAIL: \(detail)" }
        if let hint { text += "\nHINT: \(hint)" }
        return text
    }

    /// True for a violated UNIQUE or PRIMARY KEY constraint.
    public var isUniqueViolation: Bool { sqlState == "23505" }
    /// True for a violated CHECK constraint.
    public var isCheckViolation: Bool { sqlState == "23514" }
}

extension PostgresError {
    /// Reads the fields of a failed result; the caller still owns and clears `result`.
    static func from(result: OpaquePointer?, connection: OpaquePointer?) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let result, let value = PQresultErrorField(result, Int32(code.asciiValue ?? 0)) else { return nil }
            return String(cString: value)
        }
        let sqlState = field("C")
        if let message = field("M") {
            return PostgresError(
                .server, message: message, sqlState: sqlState, detail: field("D"),
                hint: field("H"), constraint: field("n"))
        }
        return fromConnection(connection)
    }

    /// An error from the connection itself, classified as lost when libpq says it is bad.
    static func fromConnection(_ connection: OpaquePointer?, fallback: String = "unknown libpq error") -> PostgresError
    {
        guard let connection else { return PostgresError(.connectionLost, message: "connection is closed") }
        let text = String(cString: PQerrorMessage(connection)).trimmingTrailingNewlines()
        let kind: Kind = PQstatus(connection) == CONNECTION_BAD ? .connectionLost : .protocolViolation
        return PostgresError(kind, message: text.isEmpty ? fallback : text)
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = Substring(self)
        while let last = text.last, last.isNewline { text.removeLast() }
        return String(text)
    }
}
