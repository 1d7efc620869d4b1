import Foundation

extension MigrationRunner {
    /// SQLSTATEs of a `CREATE` whose object is already there: duplicate table, object, schema, function.
    static let alreadyExistsStates: Set<String> = ["42P07", "42710", "42P06", "42723"]

    /// Runs `migration`'s up SQL; a failure names the file, and when the database already holds
    /// what the migration creates (a schema applied by hand or by another tool), points to `baseline`.
    /// The error stays a ``PostgresError`` (its SQLSTATE and detail kept) so callers can still branch on it.
    func applyNaming(_ migration: Migration) throws {
        do {
            try connection.execute(migration.upSQL)
        } catch var error as PostgresError where error.kind == .server {
            error.message = "\(migration.fileName) failed, nothing of it was applied: \(error.message)"
            if let sqlState = error.sqlState, Self.alreadyExistsStates.contains(sqlState) {
                error.hint =
                    "The database already holds what this migration creates. If its schema was applied by hand "
                    + "or by another tool, mark the migrations it holds as applied with `ledger migrate baseline "
                    + "\(migration.version)` (or the newest migration it holds; `ledger migrate status` lists them), "
                    + "then run `ledger migrate up` again."
            }
            throw error
        }
    }
}
