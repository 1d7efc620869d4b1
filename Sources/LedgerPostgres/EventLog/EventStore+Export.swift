import Foundation
import LedgerCore

extension EventStore {
    /// `$1` position to read after, `$2` last position to include (both as text): the bounds
    /// ``copyExportRange`` reads. COPY takes no bind parameters, so the values travel as bind
    /// parameters of `set_config` and the COPY's text stays fixed.
    static let setExportRange = """
        SELECT set_config('ledger.export_after', $1, false), set_config('ledger.export_through', $2, false)
        """
    /// No parameters: `columns` of the range that is the session's `ledger.export_after` and
    /// `ledger.export_through` (``setExportRange``). Served by the primary key, in position order; on a
    /// partitioned log, only the partitions the range touches are read.
    static func copyRange(of columns: String) -> String {
        """
        COPY (SELECT \(columns) FROM ledger.events
              WHERE position > current_setting('ledger.export_after')::bigint
                AND position <= current_setting('ledger.export_through')::bigint
              ORDER BY position)
        TO STDOUT (FORMAT binary)
        """
    }
    /// Every column of ``eventColumns`` over the session's range (``copyRange(of:)``).
    static let copyExportRange = copyRange(of: eventColumns)
    /// `$1` latest recorded_at: the newest position recorded at or before it (a backward scan of the
    /// primary key that stops at the first match, so a recent time costs little).
    static let selectLastPositionRecorded = """
        SELECT position FROM ledger.events WHERE recorded_at <= $1::timestamptz ORDER BY position DESC LIMIT 1
        """

    /// Calls `body` with every event after `after` through `last`, in position order, as raw fields
    /// borrowed for the call (the stored hash beside them); returns how many there were.
    ///
    /// One binary `COPY` streams the range: memory stays at one row whatever its length. Positions
    /// are gapless, so every position of the range must arrive, in order; one that does not is an
    /// ``EventLogGap`` (the log was tampered with — `ledger verify` says more). `last` must not be
    /// beyond the head.
    @discardableResult
    public func copyEvents(
        after: Int64, through last: Int64,
        _ body: (_ event: EventFieldBytes, _ hash: UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int64 {
        guard last > after else { return 0 }
        var expected = after + 1
        try copyStoredEvents(after: after, through: last) { event, hash in
            guard event.position == expected else { throw EventLogGap(position: expected, found: event.position) }
            expected += 1
            try body(event, hash)
        }
        guard expected == last + 1 else { throw EventLogGap(position: expected, found: nil) }
        return last - after
    }

    /// Calls `body` with each event stored after `after` through `last`, in position order, as raw fields
    /// borrowed for the call (the stored hash beside them), whatever positions are missing; returns how many came.
    ///
    /// The chain verifier's read: it names a missing position itself. One binary `COPY` streams the range, so
    /// the server sends the next rows while `body` works on this one, and memory stays at one row. A `body`
    /// that throws stops the COPY (the server is asked to cancel it) and its error is rethrown.
    @discardableResult
    public func copyStoredEvents(
        after: Int64, through last: Int64,
        _ body: (_ event: EventFieldBytes, _ hash: UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int64 {
        guard last > after else { return 0 }
        try connection.query(Self.setExportRange, [String(after), String(last)])
        var reader = BinaryCopyReader(columns: 13)
        var count: Int64 = 0
        try connection.copyOut(Self.copyExportRange) { message in
            try reader.consume(message) { fields in
                let event = try Self.eventFields(fields)
                count += 1
                try body(event.fields, event.hash)
            }
        }
        try reader.checkComplete()
        return count
    }

    /// Calls `body` with the events after `after` through `last`, in position order, decoded and in batches of
    /// at most `batchEvents`; returns how many there were. Read like ``copyEvents(after:through:_:)``: one
    /// streamed COPY, a missing position an ``EventLogGap``.
    @discardableResult
    public func copyEvents(
        after: Int64, through last: Int64, batchEvents: Int, _ body: (_ batch: [RecordedEvent]) throws -> Void
    ) throws -> Int64 {
        precondition(batchEvents >= 1, "a batch holds at least one event")
        var batch: [RecordedEvent] = []
        batch.reserveCapacity(batchEvents)
        let count = try copyEvents(after: after, through: last) { event, hash in
            batch.append(RecordedEvent(copying: event, hash: hash))
            guard batch.count == batchEvents else { return }
            try body(batch)
            batch = []
            batch.reserveCapacity(batchEvents)
        }
        if !batch.isEmpty { try body(batch) }
        return count
    }

    /// The newest position whose `recorded_at` is at or before `time`; 0 when none is.
    public func lastPosition(recordedAtOrBefore time: EventTime) throws -> Int64 {
        try connection.query(Self.selectLastPositionRecorded, [time.description], resultFormat: .binary).first?
            .decode(Int64.self, at: 0) ?? 0
    }

    /// One row of ``copyExportRange`` (the columns of ``eventColumns``) as borrowed fields.
    static func eventFields(_ fields: [UnsafeRawBufferPointer?]) throws -> (
        fields: EventFieldBytes, hash: UnsafeRawBufferPointer
    ) {
        func required(_ column: Int) throws -> UnsafeRawBufferPointer {
            guard let value = fields[column] else {
                throw PostgresError(.decoding, message: "ledger.events column \(column) is NULL")
            }
            return value
        }
        func integer(_ column: Int) throws -> Int64 {
            guard let value = BinaryCopyReader.int64(try required(column)) else {
                throw PostgresError(.decoding, message: "ledger.events column \(column) is not 8 bytes")
            }
            return value
        }
        let eventID = try required(1)
        guard eventID.count == 16 else { throw PostgresError(.decoding, message: "event_id is not 16 bytes") }
        return (
            EventFieldBytes(
                position: try integer(0), eventID: eventID, streamID: try required(2), streamVersion: try integer(3),
                type: try required(4), source: try required(5), sourceEventID: fields[6],
                occurredAt: EventTime(postgresMicroseconds: try integer(7)),
                recordedAt: EventTime(postgresMicroseconds: try integer(8)), customerID: fields[9],
                body: try required(10), metadata: try required(11)),
            try required(12)
        )
    }
}

extension RecordedEvent {
    /// The event whose stored fields are `fields` and stored hash `hash`, copied out of the borrowed buffers.
    init(copying fields: EventFieldBytes, hash: UnsafeRawBufferPointer) {
        func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }
        self.init(
            position: fields.position, eventID: UUID(uuid: fields.eventID.loadUnaligned(as: uuid_t.self)),
            streamID: text(fields.streamID), streamVersion: fields.streamVersion, type: text(fields.type),
            source: text(fields.source), sourceEventID: fields.sourceEventID.map(text), occurredAt: fields.occurredAt,
            recordedAt: fields.recordedAt, customerID: fields.customerID.map(text), body: Array(fields.body),
            metadata: text(fields.metadata), hash: Array(hash))
    }
}

/// A position missing from `ledger.events` below the head: positions are gapless, so the log was
/// changed behind the ledger's back.
public struct EventLogGap: Error, Sendable, Equatable, CustomStringConvertible {
    /// The position that should have come next.
    public var position: Int64
    /// The position that came instead; nil when the range ended early.
    public var found: Int64?

    public init(position: Int64, found: Int64?) {
        self.position = position
        self.found = found
    }

    public var description: String {
        "position \(position) is missing from ledger.events"
            + (found.map { " (position \($0) came next)" } ?? " (the log ends before it)")
            + "; positions are gapless, so the log was altered: run `ledger verify`"
    }
}
