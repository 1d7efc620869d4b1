import Foundation
import LedgerCore
import LedgerPostgres

/// A contiguous run of log positions: those after `after`, through `through`.
public struct EventRange: Sendable, Equatable, Codable {
    public var after: Int64
    public var through: Int64

    public init(after: Int64, through: Int64) {
        self.after = after
        self.through = max(through, after)
    }

    /// How many events the range holds (positions are gapless).
    public var count: Int64 { through - after }
}

/// Streams events of the log to an ``ExportOutput`` in position order, with constant memory.
///
/// The range is read a page at a time (``Limits/exportPageEventsMax`` events, or what the caller
/// asks), each page one binary COPY whose rows are formatted straight from libpq's buffer into an
/// output buffer written in ``Limits/exportWriteBufferBytesMax`` chunks. Bodies are copied, never
/// parsed. Pages are position ranges: positions are gapless and below the head never change, so
/// pages read at different moments still make one exact, ordered export.
public struct EventExport {
    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// The positions an export covers: after `after`, through the first of `until`, the newest
    /// position recorded at or before `untilTime`, and the head as it is now; at most `limit` events.
    public func range(after: Int64, until: Int64? = nil, untilTime: EventTime? = nil, limit: Int64? = nil) throws
        -> EventRange
    {
        let store = EventStore(connection: connection)
        var through = try store.head().position
        if let until { through = min(through, until) }
        if let untilTime { through = min(through, try store.lastPosition(recordedAtOrBefore: untilTime)) }
        if let limit { through = min(through, after + limit) }
        return EventRange(after: after, through: through)
    }

    /// Writes `range` (with the format's header first), returns how many events it wrote;
    /// `progress` gets the newest position written every few thousand events.
    @discardableResult
    public func write(
        _ range: EventRange, encoder: EventRecordEncoder, to output: ExportOutput,
        pageEvents: Int64 = Limits.exportPageEventsMax, progress: (Int64) -> Void = { _ in }
    ) throws -> Int64 {
        precondition(pageEvents >= 1, "a page holds at least one event")
        let store = EventStore(connection: connection)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(Limits.exportWriteBufferBytesMax + 64 * 1024)
        encoder.appendHeader(to: &buffer)
        var written: Int64 = 0
        var pageStart = range.after
        while pageStart < range.through {
            let pageEnd = min(pageStart + pageEvents, range.through)
            written += try store.copyEvents(after: pageStart, through: pageEnd) { event, hash in
                try encoder.append(event, hash: hash, to: &buffer)
                if buffer.count >= Limits.exportWriteBufferBytesMax {
                    try output.write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
                if event.position & 0xFFF == 0 { progress(event.position) }
            }
            pageStart = pageEnd
            progress(pageEnd)
        }
        try output.write(buffer)
        return written
    }
}

/// A position past the log's head.
public struct PositionBeyondHead: Error, Sendable, Equatable, CustomStringConvertible {
    public var position: Int64
    public var head: Int64

    public var description: String { "position \(position) is beyond the log's head (\(head))" }
}
