import Foundation
import Hummingbird
import HummingbirdCore
import LedgerCore
import LedgerEngine
import LedgerPostgres
import Logging
import Mustache

extension ConsoleController {
    /// `GET /ui/{subscriptions|payments|customers}/{id}/as-of`: the object's rows at a cut, and what changed
    /// between two cuts. Bad input is a message on the page (400), never a 500.
    func asOfPage(_ request: Request, _ context: Context, _ kind: (String) -> ConsoleObject) async throws -> Response {
        let object = kind(try context.parameters.require("id"))
        let logger = context.logger
        return try await signedIn(request) { frame in
            var pageFrame = frame
            pageFrame.title = "\(object.label) \(object.id) as of"
            pageFrame.focusSearch = false
            let frame = pageFrame
            let asked = ConsoleAsOf.Asked(request.uri, logger: logger)
            let page = try await database { connection in
                try ConsoleAsOf.build(object, asked: asked, frame: frame, connection: connection)
            }
            return pages.render("asof", page, status: page.message == nil ? .ok : .badRequest)
        }
    }
}

/// An object's projected rows as of a log position or recorded time: ``AuditState`` (what `ledger state
/// --at-position N | --as-of T` prints, the one replay to a cut), chosen with a slider over the object's
/// events (``AuditHistory``'s entries, the timeline's) or typed as the CLI reads it, and optionally
/// compared with a second cut, column by column.
enum ConsoleAsOf {
    /// What the query asks for, read before the object's events are known.
    struct Asked: Sendable {
        /// The slider: how many of the object's events to include (0 is before its first).
        var event: Int64?
        /// A typed cut (a time or a position), and the cut to compare with; empty when not given.
        var at = ""
        var from = ""
        /// Why the query could not be read.
        var problem: String?

        /// What a query with these values asks.
        init(event: Int64? = nil, at: String = "", from: String = "") {
            self.event = event
            self.at = at
            self.from = from
        }

        init(_ uri: URI, logger: Logger) {
            do {
                let query = try QueryParameters(
                    uri,
                    accepted: [
                        "event": "the slider: how many of the object's events to include",
                        "at": "a time (\(EventTime.acceptedTextForms)) or a log position",
                        "from": "a time or a log position to compare with",
                    ], logger: logger)
                event = try query.integer("event", in: 0...Int64.max)
                at = try query.text("at")?.trimmingCharacters(in: .whitespaces) ?? ""
                from = try query.text("from")?.trimmingCharacters(in: .whitespaces) ?? ""
            } catch {
                problem = error.message
            }
        }
    }

    /// A reason the page shows instead of rows.
    struct Problem: Error {
        var message: String
    }

    /// A cut as a person types it, in the `at` and `from` fields: digits are a log position (`--at-position`),
    /// anything else a time read by the ledger's one time parser (`--as-of`).
    static func typedCut(_ text: String, field: String) throws(Problem) -> AuditCut {
        if !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            guard let position = Int64(text) else { throw Problem(message: "\(field): the position is too large") }
            return AuditCut(position: position)
        }
        guard let time = EventTime(iso8601: text) else {
            throw Problem(message: "\(field) must be a log position (digits) or \(EventTime.acceptedTextForms)")
        }
        return AuditCut(recordedAt: time)
    }

    static func build(_ object: ConsoleObject, asked: Asked, frame: PageFrame, connection: PostgresConnection) throws
        -> AsOfPage
    {
        // One read of the log for the slider's events and the rows at both cuts.
        let reading = try AuditReading(object.auditReference, connection: connection)
        let entries = try reading.history(connection: connection).entries
        var page = AsOfPage(frame: frame, object: object, entries: entries, asked: asked)
        do {
            if let problem = asked.problem { throw Problem(message: problem) }
            let (cut, slider) = try askedCut(asked, entries: entries)
            let after = try reading.state(at: cut, connection: connection)
            var before: (AuditState, AuditCut)?
            if !asked.from.isEmpty {
                let fromCut = try typedCut(asked.from, field: "compared with")
                before = (try reading.state(at: fromCut, connection: connection), fromCut)
            }
            page.show(after, cut: cut, slider: slider, before: before, entries: entries)
        } catch let problem as Problem {
            page.message = problem.message
        } catch let beyond as PositionBeyondHead {
            page.message = beyond.description
        }
        return page
    }

    /// The cut asked for and where the slider stands for it. Nothing asked: after the object's newest event.
    static func askedCut(_ asked: Asked, entries: [HistoryEntry]) throws(Problem) -> (AuditCut, Int) {
        if let event = asked.event {
            guard asked.at.isEmpty else {
                throw Problem(message: "give either the slider's event or a time or position in the field, not both")
            }
            guard event <= Int64(entries.count) else {
                throw Problem(
                    message: "the slider goes from 0 to \(entries.count): this object has \(entries.count) events")
            }
            return (sliderCut(Int(event), entries: entries), Int(event))
        }
        guard !asked.at.isEmpty else { return (sliderCut(entries.count, entries: entries), entries.count) }
        let cut = try typedCut(asked.at, field: "at")
        let included = entries.prefix { entry in
            guard entry.position <= cut.position else { return false }
            guard let time = cut.recordedAt else { return true }
            return EventTime(iso8601: entry.recordedAt).map { $0 <= time } ?? false
        }
        return (cut, included.count)
    }

    /// The cut after the object's first `count` events (before its first, for 0).
    static func sliderCut(_ count: Int, entries: [HistoryEntry]) -> AuditCut {
        guard count > 0 else { return AuditCut(position: max((entries.first?.position ?? 1) - 1, 0)) }
        return AuditCut(position: entries[count - 1].position)
    }

    /// The text of a cut as a heading shows it, and as `ledger state` takes it.
    static func describe(_ cut: AuditCut) -> (label: String, arguments: String) {
        var label: [String] = []
        var arguments: [String] = []
        if cut.position != .max {
            label.append("at position \(cut.position)")
            arguments.append("--at-position \(cut.position)")
        }
        if let time = cut.recordedAt {
            label.append("as of \(time) (events recorded at or before it)")
            arguments.append("--as-of \(time)")
        }
        return (label.joined(separator: ", "), arguments.joined(separator: " "))
    }
}

extension ConsoleObject {
    /// How `ledger history` and `ledger state` name the object.
    var auditReference: AuditReference {
        switch self {
        case .subscription(let id): .subscription(id)
        case .payment(let id): .paymentIntent(id)
        case .customer(let id): .customer(id)
        }
    }

    /// The object's as-of page.
    var asOfPath: String { path + "/as-of" }
}

// MARK: - What the template renders

// Templates read stored properties only (Mirror does not see computed ones): flags are set when filled.
struct AsOfPage {
    var frame: PageFrame
    var kind: String
    var id: String
    var objectHref: String
    var asOfHref: String
    var eventCount: Int
    var sliderValue: Int
    var stops: [AsOfStop]
    var at: String
    var from: String
    var message: String?
    var shown = false
    var comparing = false
    var cutLabel = ""
    var cutPosition = ""
    var cutTime = ""
    var fromLabel = ""
    var stateArguments = ""
    var changedCount = 0
    var tables: [AsOfTable] = []
    var stopComparingHref = ""
    var parked: [String] = []
    var hasParked = false
    var corrections: [String] = []
    var hasCorrections = false

    init(frame: PageFrame, object: ConsoleObject, entries: [HistoryEntry], asked: ConsoleAsOf.Asked) {
        self.frame = frame
        kind = object.label
        id = object.id
        objectHref = object.path
        asOfHref = object.asOfPath
        eventCount = entries.count
        sliderValue = entries.count
        stops = entries.enumerated().map { index, entry in
            AsOfStop(index: index + 1, entry: entry, href: object.asOfPath + "?event=\(index + 1)")
        }
        at = asked.at
        from = asked.from
    }

    mutating func show(
        _ after: AuditState, cut: AuditCut, slider: Int, before: (state: AuditState, cut: AuditCut)?,
        entries: [HistoryEntry]
    ) {
        shown = true
        sliderValue = slider
        for index in stops.indices { stops[index].current = stops[index].index == slider }
        let described = ConsoleAsOf.describe(cut)
        cutLabel =
            described.label.isEmpty ? "now" : described.label.prefix(1).uppercased() + described.label.dropFirst()
        if slider > 0, slider <= entries.count, at.isEmpty {
            cutLabel += " — after event \(slider) of \(entries.count) (\(entries[slider - 1].type))"
        } else if slider == 0, at.isEmpty {
            cutLabel += " — before the object's first event"
        }
        cutPosition = cut.position == .max ? "" : String(cut.position)
        cutTime = cut.recordedAt?.description ?? ""
        stateArguments = "\(after.reference) \(described.arguments) --json"
        comparing = before != nil
        fromLabel = before.map { ConsoleAsOf.describe($0.cut).label } ?? ""
        tables = [
            AsOfTable(
                "subscriptions", after: after.subscriptions, before: before?.state.subscriptions,
                key: "stripe_subscription_id"),
            AsOfTable(
                "payment_transactions", after: after.paymentTransactions, before: before?.state.paymentTransactions,
                key: "stripe_payment_intent_id"),
        ]
        changedCount = tables.flatMap(\.rows).flatMap(\.columns).filter(\.changed).count
        parked = after.parked.map { "\($0.objectID) at position \($0.position) (\($0.eventType)): \($0.reason)" }
        corrections = after.corrections.map { "\($0.object): \($0.text)" }
        hasParked = !parked.isEmpty
        hasCorrections = !corrections.isEmpty
        let typed = at.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        stopComparingHref = asOfHref + (at.isEmpty ? "?event=\(slider)" : "?at=\(typed)")
    }
}

/// One of the object's events: a stop of the slider.
struct AsOfStop {
    var index: Int
    var position: Int64
    var type: String
    var recordedAt: String
    var href: String
    var current = false

    init(index: Int, entry: HistoryEntry, href: String) {
        self.index = index
        position = entry.position
        type = entry.type
        recordedAt = entry.recordedAt
        self.href = href
    }
}

/// One projected table's rows at the cut, each beside its row at the cut compared with.
struct AsOfTable {
    var name: String
    var rows: [AsOfRow]
    var rowCount: Int
    var hasRows: Bool

    /// Rows are matched by `key` (the Stripe id); a row only in `before` is shown as gone.
    init(_ name: String, after: [AuditRow], before: [AuditRow]?, key: String) {
        self.name = name
        func keyed(_ rows: [AuditRow]) -> [(String, AuditRow)] {
            rows.enumerated().map { index, row in (row[key] ?? row["id"] ?? "row \(index + 1)", row) }
        }
        let earlier = Dictionary(keyed(before ?? []), uniquingKeysWith: { first, _ in first })
        var rows = keyed(after).map { rowKey, row in
            AsOfRow(table: name, key: rowKey, after: row, before: before.map { _ in earlier[rowKey] })
        }
        let present = Set(rows.map(\.key))
        for (rowKey, row) in keyed(before ?? []) where !present.contains(rowKey) {
            rows.append(AsOfRow(table: name, key: rowKey, gone: row))
        }
        self.rows = rows
        rowCount = after.count
        hasRows = !rows.isEmpty
    }
}

struct AsOfRow {
    var table: String
    var key: String
    /// `""`, `new` (no row at the earlier cut) or `gone` (no row at the later one).
    var presence = ""
    var presenceText = ""
    var columns: [AsOfColumn]

    /// `before` is nil when not comparing, `.some(nil)` when the row did not exist at the earlier cut.
    init(table: String, key: String, after: AuditRow, before: AuditRow??) {
        self.table = table
        self.key = key
        if case .some(.none) = before {
            presence = "new"
            presenceText = "(no row at the earlier cut)"
        }
        columns = after.columns.map { column in
            AsOfColumn(column.column, after: .some(column.value), before: before.map { $0.map { $0[column.column] } })
        }
    }

    init(table: String, key: String, gone row: AuditRow) {
        self.table = table
        self.key = key
        presence = "gone"
        presenceText = "(no row at the later cut)"
        columns = row.columns.map { AsOfColumn($0.column, after: nil, before: .some(.some($0.value))) }
    }
}

/// One column: its value at the cut and, when comparing, at the earlier cut.
struct AsOfColumn {
    var column: String
    var text: String
    var isNull: Bool
    var absent: Bool
    var beforeText = ""
    var beforeIsNull = false
    var beforeAbsent = false
    var changed = false

    /// A value is `.some(nil)` for NULL and nil when the row is absent; `before` is nil when not comparing.
    init(_ column: String, after: String??, before: String???) {
        self.column = column
        (text, isNull, absent) = Self.shown(after)
        if let before {
            (beforeText, beforeIsNull, beforeAbsent) = Self.shown(before)
            changed = before != after
        }
    }

    static func shown(_ value: String??) -> (text: String, isNull: Bool, absent: Bool) {
        switch value {
        case .none: ("no row", false, true)
        case .some(.none): ("NULL", true, false)
        case .some(.some(let text)): (text, false, false)
        }
    }
}

// Lookups by name instead of through Mirror, as for the timeline (see ``TimelineEntry``'s): the as-of page
// renders every column of every row, each a few lookups. Each lists all of its type's stored properties (a test
// compares them with Mirror's children).
extension AsOfPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "frame": frame
        case "kind": kind
        case "id": id
        case "objectHref": objectHref
        case "asOfHref": asOfHref
        case "eventCount": eventCount
        case "sliderValue": sliderValue
        case "stops": stops
        case "at": at
        case "from": from
        case "message": message
        case "shown": shown
        case "comparing": comparing
        case "cutLabel": cutLabel
        case "cutPosition": cutPosition
        case "cutTime": cutTime
        case "fromLabel": fromLabel
        case "stateArguments": stateArguments
        case "changedCount": changedCount
        case "tables": tables
        case "stopComparingHref": stopComparingHref
        case "parked": parked
        case "hasParked": hasParked
        case "corrections": corrections
        case "hasCorrections": hasCorrections
        default: nil
        }
    }
}

extension AsOfStop: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "index": index
        case "position": position
        case "type": type
        case "recordedAt": recordedAt
        case "href": href
        case "current": current
        default: nil
        }
    }
}

extension AsOfTable: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "rows": rows
        case "rowCount": rowCount
        case "hasRows": hasRows
        default: nil
        }
    }
}

extension AsOfRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "table": table
        case "key": key
        case "presence": presence
        case "presenceText": presenceText
        case "columns": columns
        default: nil
        }
    }
}

extension AsOfColumn: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "column": column
        case "text": text
        case "isNull": isNull
        case "absent": absent
        case "beforeText": beforeText
        case "beforeIsNull": beforeIsNull
        case "beforeAbsent": beforeAbsent
        case "changed": changed
        default: nil
        }
    }
}
