import Foundation

/// How a database's applied migrations compare with the migrations this binary knows.
///
/// Checked once when a command connects, so that a database that was never migrated, or migrated
/// only part of the way, gets one sentence that says what to run instead of whichever missing
/// relation the command happens to touch first.
public enum SchemaStatus: Sendable, Equatable {
    /// Every known migration is applied and none is unknown.
    case current
    /// No record of migrations and no `ledger` schema: `ledger migrate up` has never run here.
    case empty
    /// A `ledger` schema without `schema_migrations`: made by hand or by another tool.
    case unrecorded
    /// Known migrations are pending: the newest applied is `applied` (0: none), the newest known `known`.
    case behind(applied: Int, known: Int)
    /// Migrations are recorded that this binary does not know: a newer binary migrated the database.
    case ahead(applied: Int, known: Int)

    /// What is wrong and what to run; nil when the schema is current.
    public var problem: String? {
        switch self {
        case .current:
            return nil
        case .empty:
            return "database has no ledger schema: run `ledger migrate up`"
        case .unrecorded:
            return "database has a ledger schema but no record of its migrations (public.schema_migrations): "
                + "run `ledger migrate baseline N` with the newest migration it already holds, then `ledger migrate up`"
        case .behind(let applied, let known):
            return "database is at migration \(applied) of \(known): run `ledger migrate up`"
        case .ahead(let applied, let known):
            return "database is at migration \(applied), newer than this ledger binary, which knows migrations "
                + "up to \(known): use the ledger binary that migrated it, or upgrade this one"
        }
    }

    /// Throws ``SchemaNotReady`` unless the schema is current.
    public func check() throws {
        if let problem { throw SchemaNotReady(status: self, description: problem) }
    }
}

/// The database's schema is not the one this binary was built for; the message says what to run.
public struct SchemaNotReady: Error, CustomStringConvertible, Sendable {
    public var status: SchemaStatus
    public var description: String
}

extension MigrationRunner {
    /// No parameters; whether the `ledger` schema exists.
    static let selectLedgerSchemaExists = "SELECT to_regnamespace('ledger') IS NOT NULL"

    /// Compares the recorded migrations with the known ones. Reads only; takes no lock.
    public func schemaStatus() throws -> SchemaStatus {
        let recorded = try appliedRecords()
        guard !recorded.isEmpty else {
            let hasSchema = try connection.query(Self.selectLedgerSchemaExists)[0].decode(Bool.self, at: 0)
            return hasSchema ? .unrecorded : .empty
        }
        let known = source.migrations.map(\.version)
        let newestKnown = known.max() ?? 0
        let newestApplied = recorded.keys.max() ?? 0
        if recorded.keys.contains(where: { source.migration($0) == nil }) {
            return .ahead(applied: newestApplied, known: newestKnown)
        }
        if known.contains(where: { recorded[$0] == nil }) {
            return .behind(applied: newestApplied, known: newestKnown)
        }
        return .current
    }
}
