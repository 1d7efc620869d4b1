import Foundation

/// What rolling back one migration would destroy, for `migrate down --dry-run` and its guard.
public struct RollbackLoss: Sendable, Equatable {
    public var migration: Migration
    /// Tables its rollback drops, as its `.down.sql` names them (`ledger.events`).
    public var droppedTables: [String]
    /// Events in `ledger.events` the rollback would delete with the table (0 when it keeps the log).
    public var eventsLost: Int64
}

/// The event log is the source of truth: nothing rebuilds it, so a rollback that drops it is refused
/// unless the caller says, by name, that the events may go.
public struct EventLogLossRefused: Error, CustomStringConvertible, Sendable {
    public var migration: String
    public var events: Int64

    public var description: String {
        "refusing to roll back \(migration): it drops ledger.events, which holds \(events) event(s) "
            + "that nothing can rebuild. Back up the database first (pg_dump); to drop the log anyway, "
            + "run `ledger migrate down` again with --drop-event-log"
    }
}

extension Migration {
    /// The qualified table names the rollback drops, read from its `DROP TABLE` statements.
    public var tablesDroppedByRollback: [String] {
        downSQL.split(whereSeparator: \.isNewline).compactMap { line in
            var words = line.split(whereSeparator: \.isWhitespace).map { $0.uppercased() }
            guard words.count >= 3, words[0] == "DROP", words[1] == "TABLE" else { return nil }
            words.removeFirst(2)
            if words.starts(with: ["IF", "EXISTS"]) { words.removeFirst(2) }
            guard let name = words.first else { return nil }
            return name.trimmingCharacters(in: CharacterSet(charactersIn: ";")).lowercased()
        }
    }
}

extension MigrationRunner {
    /// The event log's table; a rollback that drops it loses every event.
    static let eventLogTable = "ledger.events"

    /// No parameters; how many events the log holds. Positions are gapless from 1 (the head follows the
    /// log, migration 010), so the newest position is the count, read from the primary key, not a scan.
    static let selectEventCount = "SELECT COALESCE(max(position), 0) FROM ledger.events"

    /// What `down(steps:)` would roll back, newest first, and what each rollback drops.
    public func rollbackPlan(steps: Int) throws -> [RollbackLoss] {
        let recorded = try checkedRecords()
        let plan = recorded.keys.sorted(by: >).prefix(steps).compactMap { source.migration($0) }
        return try plan.map { migration in
            let tables = migration.tablesDroppedByRollback
            let events = tables.contains(Self.eventLogTable) ? try eventCount() : 0
            return RollbackLoss(migration: migration, droppedTables: tables, eventsLost: events)
        }
    }

    /// Throws ``EventLogLossRefused`` when a rollback in `plan` would drop a log that holds events.
    func refuseEventLogLoss(_ plan: [Migration]) throws {
        for migration in plan where migration.tablesDroppedByRollback.contains(Self.eventLogTable) {
            let events = try eventCount()
            if events > 0 { throw EventLogLossRefused(migration: migration.fileName, events: events) }
        }
    }

    func eventCount() throws -> Int64 {
        let exists = try connection.query("SELECT to_regclass('ledger.events') IS NOT NULL")
        guard try exists[0].decode(Bool.self, at: 0) else { return 0 }
        return try connection.query(Self.selectEventCount)[0].decode(Int64.self, at: 0)
    }
}
