/// A table of `ledger export state`: its name and columns, each with the kind of value it holds,
/// so CSV and JSON Lines can write a row from its text form (``ColumnValue``, the form audits and
/// snapshots use: lower-case UUIDs, ISO 8601 UTC times with microseconds, `true`/`false`,
/// canonical JSON for `metadata`).
public struct StateExportTable: Sendable {
    /// How a column's text form is written in JSON Lines.
    public enum Kind: Sendable {
        /// A JSON string.
        case text
        /// A JSON number.
        case integer
        /// `true` or `false`.
        case boolean
        /// The JSON value itself (an object).
        case json
    }

    public let name: String
    public let columns: [(name: String, kind: Kind)]

    init(name: String, columns: [(name: String, kind: Kind)]) {
        self.name = name
        self.columns = columns
    }

    /// A projected table's columns as the schema declares them (``ProjectedTable``).
    init(_ table: ProjectedTable) {
        self.init(name: table.rawValue, columns: table.columns.map { ($0.name, Kind($0.kind)) })
    }

    /// The columns of PostgreSQL's `subscriptions`, in table order (``SubscriptionRow/columnValues``).
    public static let subscriptions = StateExportTable(.subscriptions)

    /// The columns of PostgreSQL's `payment_transactions`, in table order (``PaymentTransactionRow/columnValues``).
    public static let paymentTransactions = StateExportTable(.paymentTransactions)

    /// The one-row table saying what the export is (``StateExportMeta/columnValues``).
    public static let meta = StateExportTable(
        name: "export_meta",
        columns: [
            ("format_version", .integer), ("database_id", .text), ("position", .integer), ("chain_hash", .text),
            ("as_of", .text), ("projector_version", .integer), ("subscription_rows", .integer),
            ("payment_rows", .integer), ("created_at", .text), ("ledger_version", .text),
        ])

    /// Appends the CSV header line.
    public func appendCSVHeader(to output: inout [UInt8]) {
        for (index, column) in columns.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            ExportBytes.appendCSVField(column.name, to: &output)
        }
        ExportBytes.appendCSVRecordEnd(to: &output)
    }

    /// Appends one row as a CSV record; NULL is an empty field.
    public func appendCSVRecord(_ row: [ColumnValue], to output: inout [UInt8]) {
        precondition(row.count == columns.count, "a \(name) row has \(columns.count) columns")
        for (index, cell) in row.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            if let value = cell.value { ExportBytes.appendCSVField(value, to: &output) }
        }
        ExportBytes.appendCSVRecordEnd(to: &output)
    }

    /// Appends one row as a JSON object on its own line, `"table"` first.
    public func appendJSONLine(_ row: [ColumnValue], to output: inout [UInt8]) {
        precondition(row.count == columns.count, "a \(name) row has \(columns.count) columns")
        output.append(contentsOf: #"{"table":"#.utf8)
        ExportBytes.appendJSONString(name, to: &output)
        for (cell, column) in zip(row, columns) {
            output.append(UInt8(ascii: ","))
            ExportBytes.appendJSONString(column.name, to: &output)
            output.append(UInt8(ascii: ":"))
            guard let value = cell.value else {
                output.append(contentsOf: "null".utf8)
                continue
            }
            switch column.kind {
            case .text: ExportBytes.appendJSONString(value, to: &output)
            case .integer, .boolean: output.append(contentsOf: value.utf8)
            case .json:
                var text = value
                let embedded = text.withUTF8 { ExportBytes.appendRawJSON(UnsafeRawBufferPointer($0), to: &output) }
                // Projected metadata is the reducer's canonical JSON object; anything else is kept as a string.
                if !embedded { ExportBytes.appendJSONString(value, to: &output) }
            }
        }
        output.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
    }
}

extension StateExportTable.Kind {
    /// How JSON Lines writes a value of a column of this type.
    init(_ kind: ProjectedColumn.Kind) {
        switch kind {
        case .integer: self = .integer
        case .boolean: self = .boolean
        case .jsonb: self = .json
        case .uuid, .timestamptz, .text, .varchar: self = .text
        }
    }
}

/// What a `ledger export state` output holds: the `export_meta` row of every format.
public struct StateExportMeta: Sendable, Equatable, Codable {
    /// Layout version of the export's tables.
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    /// `ledger.identity.id` of the database the log is in.
    public var databaseID: String
    /// Every event through this position is applied, none after.
    public var position: Int64
    /// The chain hash of the event at `position` (hex; 64 zeros at position 0).
    public var chainHash: String
    /// The `--as-of` time asked for, if the position was resolved from one.
    public var asOf: String?
    public var projectorVersion: Int
    public var subscriptionRows: Int
    public var paymentRows: Int
    /// When the export was written (informational).
    public var createdAt: String
    public var ledgerVersion: String

    public init(
        databaseID: String, position: Int64, chainHash: String, asOf: String?, subscriptionRows: Int, paymentRows: Int,
        createdAt: EventTime
    ) {
        formatVersion = Self.currentFormatVersion
        self.databaseID = databaseID
        self.position = position
        self.chainHash = chainHash
        self.asOf = asOf
        projectorVersion = ProjectionState.projectorVersion
        self.subscriptionRows = subscriptionRows
        self.paymentRows = paymentRows
        self.createdAt = createdAt.description
        ledgerVersion = LedgerVersion.current
    }

    /// The row in ``StateExportTable/meta``'s column order.
    public var columnValues: [ColumnValue] {
        [
            ColumnValue("format_version", String(formatVersion)), ColumnValue("database_id", databaseID),
            ColumnValue("position", String(position)), ColumnValue("chain_hash", chainHash),
            ColumnValue("as_of", asOf), ColumnValue("projector_version", String(projectorVersion)),
            ColumnValue("subscription_rows", String(subscriptionRows)),
            ColumnValue("payment_rows", String(paymentRows)),
            ColumnValue("created_at", createdAt), ColumnValue("ledger_version", ledgerVersion),
        ]
    }
}
