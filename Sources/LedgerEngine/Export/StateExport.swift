import Foundation
import LedgerCore
import LedgerPostgres
import LedgerSnapshots
import Logging

/// The file formats of `ledger export state`.
public enum StateExportFormat: String, Sendable, CaseIterable, Codable {
    /// One SQLite file: `subscriptions`, `payment_transactions`, `export_meta`.
    case sqlite
    /// A directory: `subscriptions.csv`, `payment_transactions.csv`, `export_meta.csv`.
    case csv
    /// One file: the `export_meta` object, then one object per row, each with its `"table"`.
    case jsonl
}

/// The point of the log a state export is taken at.
public enum StatePoint: Sendable, Equatable {
    /// Every event through this position.
    case position(Int64)
    /// Every event through the newest position recorded at or before this time.
    case asOf(EventTime)
}

/// What a state export wrote.
public struct StateExportReport: Sendable, Equatable, Codable {
    public var path: String
    public var format: StateExportFormat
    public var meta: StateExportMeta
    /// The snapshot the replay started from, when it did.
    public var snapshotPosition: Int64?
    public var eventsReplayed: Int64
    /// Subscriptions left out because their license does not exist, and events the projection parks.
    public var parked: Int
}

/// How far a state export is.
public enum StateExportProgress: Sendable {
    case replaying(position: Int64, through: Int64)
    case writing
}

/// Writes the whole projected state at a log position — `subscriptions` and `payment_transactions`
/// as the live projection would have them there — to a SQLite file, a CSV directory or a JSON Lines file.
///
/// The state comes from the snapshot machinery: the newest valid snapshot at or before the position
/// plus the events after it, up to the position (``StateReplay``, as `ledger rebuild` computes it);
/// the rows get the live projection's license rule (``ProjectedRows``), with licenses as they are
/// now. The output is staged under a temporary name and renamed into place when complete.
public struct StateExport {
    let connect: () throws -> PostgresConnection
    let configuration: ProjectionConfiguration
    let snapshots: SnapshotPolicy?
    let logger: Logger
    let clock: () -> EventTime

    /// - Parameters:
    ///   - connect: opens the connections: one reads the log's head, hashes and licenses, one the events.
    ///   - snapshots: where snapshots are; the replay starts from the newest valid one. nil: from event 1.
    public init(
        connect: @escaping () throws -> PostgresConnection,
        configuration: ProjectionConfiguration = ProjectionConfiguration(), snapshots: SnapshotPolicy? = nil,
        logger: Logger = Logger(label: "ledger.export", factory: { _ in SwiftLogNoOpLogHandler() }),
        clock: @escaping () -> EventTime = { EventTime(Date()) }
    ) {
        self.connect = connect
        self.configuration = configuration
        self.snapshots = snapshots.map {
            SnapshotPolicy(directory: $0.directory, replayFromSnapshots: $0.replayFromSnapshots)
        }
        self.logger = logger
        self.clock = clock
    }

    /// Replays to `point` and writes the state to `url` in `format`.
    public func write(
        at point: StatePoint, format: StateExportFormat, to url: URL,
        progress: (StateExportProgress) -> Void = { _ in }
    ) throws -> StateExportReport {
        let connection = try connect()
        let store = EventStore(connection: connection)
        let head = try store.head().position
        let position: Int64
        switch point {
        case .position(let asked):
            guard asked <= head else { throw PositionBeyondHead(position: asked, head: head) }
            position = asked
        case .asOf(let time):
            position = try store.lastPosition(recordedAtOrBefore: time)
        }
        guard let chainHash = try store.hash(at: position) else { throw EventLogGap(position: position, found: nil) }
        let databaseID = try Self.databaseID(connection)
        let staged = StagedPath(final: url)
        if format == .csv, FileManager.default.fileExists(atPath: staged.final.path) {
            throw ExportDestinationExists(path: staged.final.path)
        }

        let replay = try StateReplay(
            connection: connection, connect: connect, configuration: configuration, snapshots: snapshots,
            logger: logger, clock: clock
        ).replay(through: position) { progress(.replaying(position: $0, through: position)) }
        progress(.writing)
        let rows = try ProjectedRows(licensing: replay.state.billing, with: LicenseLookup(connection: connection))
        var asOf: String?
        if case .asOf(let time) = point { asOf = time.description }
        let meta = StateExportMeta(
            databaseID: databaseID, position: position, chainHash: HexEncoding.encode(chainHash), asOf: asOf,
            subscriptionRows: rows.subscriptions.count, paymentRows: rows.payments.count, createdAt: clock())
        do {
            try write(rows, meta: meta, format: format, to: staged)
            try staged.commit()
        } catch {
            staged.discard()
            throw error
        }
        return StateExportReport(
            path: staged.final.path, format: format, meta: meta, snapshotPosition: replay.snapshotPosition,
            eventsReplayed: replay.eventsRead, parked: rows.parked.count)
    }

    private func write(_ rows: ProjectedRows, meta: StateExportMeta, format: StateExportFormat, to staged: StagedPath)
        throws
    {
        staged.discard()  // a temporary left by an earlier process of the same id
        switch format {
        case .sqlite:
            try StateExportDatabase.write(
                subscriptions: rows.subscriptions, payments: rows.payments, meta: meta, to: staged.temporary.path)
        case .jsonl:
            let output = try ExportOutput.unstagedFile(staged.temporary)
            try Self.writeJSONLines(rows, meta: meta, to: output)
            try output.finish()
        case .csv:
            try FileManager.default.createDirectory(at: staged.temporary, withIntermediateDirectories: false)
            let tables: [(StateExportTable, [[ColumnValue]])] = [
                (.meta, [meta.columnValues]),
                (.subscriptions, Self.sortedByID(rows.subscriptions.map(\.columnValues))),
                (.paymentTransactions, Self.sortedByID(rows.payments.map(\.columnValues))),
            ]
            for (table, tableRows) in tables {
                let output = try ExportOutput.unstagedFile(staged.temporary.appendingPathComponent("\(table.name).csv"))
                var buffer: [UInt8] = []
                table.appendCSVHeader(to: &buffer)
                for row in tableRows {
                    table.appendCSVRecord(row, to: &buffer)
                    try Self.flushIfFull(&buffer, output)
                }
                try output.write(buffer)
                try output.finish()
            }
        }
    }

    /// `export_meta` first, then the subscriptions, then the payments, each by id.
    static func writeJSONLines(_ rows: ProjectedRows, meta: StateExportMeta, to output: ExportOutput) throws {
        var buffer: [UInt8] = []
        StateExportTable.meta.appendJSONLine(meta.columnValues, to: &buffer)
        for (table, tableRows) in [
            (StateExportTable.subscriptions, sortedByID(rows.subscriptions.map(\.columnValues))),
            (StateExportTable.paymentTransactions, sortedByID(rows.payments.map(\.columnValues))),
        ] {
            for row in tableRows {
                table.appendJSONLine(row, to: &buffer)
                try flushIfFull(&buffer, output)
            }
        }
        try output.write(buffer)
    }

    static func flushIfFull(_ buffer: inout [UInt8], _ output: ExportOutput) throws {
        guard buffer.count >= Limits.exportWriteBufferBytesMax else { return }
        try output.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Rows in key order (the first column, `id`), so two exports of one state are byte-identical but for `created_at`.
    static func sortedByID(_ rows: [[ColumnValue]]) -> [[ColumnValue]] {
        rows.sorted { ($0.first?.value ?? "") < ($1.first?.value ?? "") }
    }

    static func databaseID(_ connection: PostgresConnection) throws -> String {
        try EventStore(connection: connection).databaseID().uuidString.lowercased()
    }
}

/// A directory export goes to a path that must not exist yet (a directory cannot be replaced atomically).
public struct ExportDestinationExists: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String

    public var description: String { "\(path) already exists; remove it or name a new directory" }
}
