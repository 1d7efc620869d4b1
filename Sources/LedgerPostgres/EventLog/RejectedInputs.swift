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
}
