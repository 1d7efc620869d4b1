import Foundation
import LedgerCore

/// The append-only event log in `ledger.events`, over one connection.
///
/// Appends serialise on the row of `ledger.head` (locked by `ledger.lock_head()`
/// until commit), so positions are gapless and commit in order. Each append is
/// one transaction: existing ids answered as duplicates, expected versions
/// checked, new events hashed into the chain and written with binary COPY. The
/// database moves the head to the newest stored event and notifies
/// `ledger_events` (migration 010), refusing any head that is not exactly that.
public struct EventStore {
    /// The channel every append notifies, with the new head position as payload.
    public static let notificationChannel = "ledger_events"

    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Appends one batch atomically; throws ``VersionConflict`` (writing nothing) on a version mismatch.
    @discardableResult
    public func append(_ batch: AppendBatch, recordedAt: EventTime) throws -> [AppendOutcome] {
        guard let result = try appendGroups([batch], recordedAt: recordedAt).first else { return [] }
        return try result.get()
    }

    /// Appends several independent batches in one transaction (group commit).
    ///
    /// A batch whose expectation fails gets its ``VersionConflict`` and writes
    /// nothing; the other batches are still written. Results are in input order.
    public func appendGroups(
        _ batches: [AppendBatch], recordedAt: EventTime
    ) throws -> [Result<[AppendOutcome], VersionConflict>] {
        // An append is its own transaction: committing inside a caller's would commit theirs.
        precondition(!connection.isInTransaction, "EventStore.append must not run inside an open transaction")
        // Round trips are the cost under contention (the head lock is held across
        // them), so each step is one: begin+lock, look-up, COPY, commit. The COPY's
        // statement trigger moves the head and notifies, in the same round trip.
        let head = try beginAndLockHead()
        do {
            let events = batches.flatMap(\.events)
            var lookup = try lookUp(events)
            let compared = lookup.renderingsToCompare(events)
            if !compared.isEmpty { lookup.useBodies(try bodies(at: compared)) }
            var plan = AppendPlan(head: head, lookup: lookup)
            let results = batches.map { plan.add($0, recordedAt: recordedAt) }
            if !plan.newEvents.isEmpty {
                try write(plan.newEvents)
            }
            // In the same transaction: an acknowledged delivery whose bytes differ is never lost.
            if !plan.conflicts.isEmpty {
                try RejectedInputs(connection: connection).record(conflicts: plan.conflicts, receivedAt: recordedAt)
            }
            try connection.execute("COMMIT")
            return results
        } catch {
            if connection.isOpen { try? connection.execute("ROLLBACK") }
            throw error
        }
    }
}

// MARK: - Statements

extension EventStore {
    /// Opens the transaction and takes the append lock with the chain head. No parameters.
    ///
    /// `ledger.lock_head()` locks the head row `FOR UPDATE` on the appender's behalf, so an appender
    /// needs no UPDATE privilege on `ledger.head`; the head itself moves only by the trigger that
    /// follows every insert into `ledger.events`.
    static let beginAndLockHeadStatement = "BEGIN; SELECT position, hash FROM ledger.lock_head()"
    /// One look-up for a batch: rows of kind 'e' are stored events among the candidates
    /// (`$1` event ids, uuid[]; `$2` source event ids, text[]) with their position and the
    /// SHA-256 of their body (so a redelivery with other bytes is told from a true duplicate
    /// without reading bodies back; hashed only for the events found; NULL when the event's
    /// partition is detached); rows of kind 'v' are the current version of each stream in `$3`
    /// (text[]), 0 if none. Keys come from `ledger.event_keys`, one index probe each whatever the
    /// number of partitions (docs/0018-partitioned-log.md).
    static let lookUpStatement = """
        SELECT 'e', k.event_id::text, k.source, k.source_event_id, k.position, encode(sha256(e.body), 'hex')
          FROM ledger.event_keys k LEFT JOIN ledger.events e ON e.position = k.position
         WHERE k.event_id = ANY($1::uuid[])
        UNION ALL
        SELECT 'e', k.event_id::text, k.source, k.source_event_id, k.position, encode(sha256(e.body), 'hex')
          FROM ledger.event_keys k LEFT JOIN ledger.events e ON e.position = k.position
         WHERE k.source_event_id = ANY($2::text[])
        UNION ALL
        SELECT 'v', s.id, NULL, NULL,
               COALESCE((SELECT max(k.stream_version) FROM ledger.event_keys k WHERE k.stream_id = s.id), 0), NULL
          FROM unnest($3::text[]) AS s(id)
        """
    /// The bodies of stored events, for a Stripe redelivery whose bytes differ; `$1` positions (bigint[]).
    static let bodiesStatement = "SELECT position, body FROM ledger.events WHERE position = ANY($1::bigint[])"
    static let copyEvents = """
        COPY ledger.events (position, event_id, stream_id, stream_version, type, source, source_event_id,
                            occurred_at, recorded_at, customer_id, body, metadata, hash)
        FROM STDIN (FORMAT binary)
        """
}

// MARK: - Steps of an append

extension EventStore {
    func beginAndLockHead() throws -> ChainHead {
        let rows = try connection.simpleQuery(Self.beginAndLockHeadStatement)
        guard let row = rows.first else { throw PostgresError(.protocolViolation, message: "ledger.head has no row") }
        return ChainHead(position: try row.decode(at: 0), hash: try row.decode(at: 1))
    }

    func lookUp(_ events: [NewEvent]) throws -> AppendLookup {
        var lookup = AppendLookup()
        guard !events.isEmpty else { return lookup }
        let rows = try connection.query(
            Self.lookUpStatement,
            [
                PostgresArrayLiteral.make(events.map { $0.eventID.uuidString }),
                PostgresArrayLiteral.make(events.compactMap(\.sourceEventID)),
                PostgresArrayLiteral.make(Set(events.map(\.streamID))),
            ])
        for row in rows {
            let position: Int64 = try row.decode(at: 4)
            if try row.decode(String.self, at: 0) == "v" {
                lookup.versions[try row.decode(String.self, at: 1)] = position
                continue
            }
            let digest = try row.decode(String?.self, at: 5)
            let stored = StoredEvent(position: position, body: digest.map { .sha256Hex($0) } ?? .archived)
            if let eventID = UUID(uuidString: try row.decode(String.self, at: 1)) {
                lookup.byEventID[eventID] = stored
            }
            if let sourceEventID = try row.decode(String?.self, at: 3) {
                lookup.bySourceID[SourceKey(source: try row.decode(at: 2), id: sourceEventID)] = stored
            }
        }
        return lookup
    }

    /// Bodies by position: read only for the rare Stripe redelivery rendered other than the stored copy.
    func bodies(at positions: [Int64]) throws -> [Int64: [UInt8]] {
        let rows = try connection.query(
            Self.bodiesStatement, [PostgresArrayLiteral.make(positions.map(String.init))], resultFormat: .binary)
        var bodies: [Int64: [UInt8]] = [:]
        for row in rows { bodies[try row.decode(at: 0)] = try row.decode([UInt8].self, at: 1) }
        return bodies
    }

    func write(_ events: [RecordedEvent]) throws {
        try connection.copyIn(Self.copyEvents, format: .binary) { writer in
            for event in events {
                try writer.writeBinaryRow([
                    .int64(event.position),
                    .bytes(withUnsafeBytes(of: event.eventID.uuid) { Array($0) }),
                    .text(event.streamID),
                    .int64(event.streamVersion),
                    .text(event.type),
                    .text(event.source),
                    event.sourceEventID.map { .text($0) } ?? .null,
                    .int64(event.occurredAt.postgresMicroseconds),
                    .int64(event.recordedAt.postgresMicroseconds),
                    event.customerID.map { .text($0) } ?? .null,
                    .bytes(event.body),
                    .text(event.metadata),
                    .bytes(event.hash),
                ])
            }
        }
    }
}
