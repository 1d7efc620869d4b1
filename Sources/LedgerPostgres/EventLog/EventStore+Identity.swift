import Foundation

/// The database's identity: the id snapshots and state exports are named by (migration 006).
extension EventStore {
    /// No parameters; the database's id.
    static let selectIdentity = "SELECT id FROM ledger.identity"

    /// The id of this database's log, fixed when it was created (`ledger.identity`).
    ///
    /// Throws ``MissingIdentity`` on a database migrated to before 006.
    public func databaseID() throws -> UUID {
        do {
            let row = try connection.query(Self.selectIdentity, resultFormat: .binary)[0]
            return try row.decode(UUID.self, at: 0)
        } catch let error as PostgresError where error.sqlState == "42P01" {
            throw MissingIdentity()
        }
    }
}

/// Snapshots and exports are named by `ledger.identity`, which migration 006 creates.
public struct MissingIdentity: Error, CustomStringConvertible, Sendable {
    public var description: String {
        "this database has no ledger.identity (migration 006), which snapshots are named by; run `ledger migrate up`"
    }
}
