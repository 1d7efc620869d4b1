import LedgerCore

/// `ledger.rejected_inputs`: input that was not a valid event, kept with its raw bytes.
public struct RejectedInputs {
    /// One rejected input.
    public struct Entry: Sendable, Equatable {
        public var origin: String
        public var reason: String
        public var body: [UInt8]

        public init(origin: String, reason: String, body: [UInt8]) {
            self.origin = origin
            self.reason = reason
            self.body = body
        }
    }

    static let copyRejected = """
        COPY ledger.rejected_inputs (received_at, source, origin, reason, body) FROM STDIN (FORMAT binary)
        """

    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Stores `entries` in one COPY.
    public func record(_ entries: [Entry], source: String, receivedAt: EventTime) throws {
        try connection.copyIn(Self.copyRejected, format: .binary) { writer in
            for entry in entries {
                try writer.writeBinaryRow([
                    .int64(receivedAt.postgresMicroseconds), .text(source), .text(entry.origin),
                    .text(entry.reason), .bytes(entry.body),
                ])
            }
        }
    }

    /// How many rejected inputs are stored.
    public func count() throws -> Int {
        try connection.query("SELECT count(*) FROM ledger.rejected_inputs")[0].decode(at: 0)
    }

    /// How many of them are conflicting duplicates (a known id delivered with other bytes).
    public func conflictingDuplicates() throws -> Int {
        try connection.query(Self.countConflicts)[0].decode(at: 0)
    }

    /// No parameters.
    static let countConflicts = "SELECT count(*) FROM ledger.rejected_inputs WHERE conflicts_with_position IS NOT NULL"

    /// Rows per INSERT of conflicting duplicates (6 parameters each, far below the protocol's 65,535).
    static let conflictRowsPerStatementMax = 100

    /// The INSERT of `rows` conflicting duplicates; per row `$n…$n+5`: received_at, source, origin, reason,
    /// body (bytea), conflicts_with_position. The same body colliding with the same event again (a retried
    /// delivery) is kept once (`rejected_inputs_conflict_key`, migration 011).
    static func insertConflicts(rows: Int) -> String {
        let values = (0..<rows).map { row in
            "(" + (1...6).map { "$\(row * 6 + $0)" }.joined(separator: ", ") + ")"
        }
        return """
            INSERT INTO ledger.rejected_inputs (received_at, source, origin, reason, body, conflicts_with_position)
            VALUES \(values.joined(separator: ", ")) ON CONFLICT DO NOTHING
            """
    }

    /// Keeps each conflicting duplicate with the position of the event it collides with; runs in the
    /// caller's transaction (the append's), so it commits exactly when the append does.
    func record(conflicts: [ConflictingDuplicate], receivedAt: EventTime) throws {
        var start = 0
        while start < conflicts.count {
            let chunk = conflicts[start..<min(start + Self.conflictRowsPerStatementMax, conflicts.count)]
            let parameters: [any PostgresEncodable] = chunk.flatMap { conflict -> [any PostgresEncodable] in
                [
                    receivedAt.description, conflict.source, conflict.origin, conflict.reason, conflict.body,
                    conflict.storedPosition,
                ]
            }
            try connection.query(Self.insertConflicts(rows: chunk.count), parameters)
            start += chunk.count
        }
    }
}
