import Foundation
import LedgerPostgres
import Logging

/// A ledger database set up exactly as docs/operations.md says: its owner migrates it, and
/// programs log in as members of the documented group roles.
///
/// Roles are cluster-wide, so each test replaces the documented `ledger_` prefix (and the database
/// name) with names of its own, and drops them afterwards: parallel runs never share a role.
public struct DocumentedRoles: Sendable {
    /// How the owner migrates the database: in process, or as an operator would, with `ledger migrate up`.
    public enum Migration: Sendable {
        case inProcess, binary
    }

    /// The role-name prefix standing in for `ledger` (e.g. `lp0123456789ab`).
    public let prefix: String
    public let database: String
    let clusterURL: String

    /// Creates the roles, the database and the privileges of docs/operations.md, runs `body`, then
    /// drops the database and every role it created.
    public static func with<T>(
        migrating migration: Migration = .inProcess, _ body: (DocumentedRoles) async throws -> T
    ) async throws -> T {
        let hex = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let roles = DocumentedRoles(
            prefix: "lp\(hex)", database: "lp\(hex)_db", clusterURL: try TestDatabase.clusterURL())
        do {
            try roles.setUp(migration)
            let value = try await body(roles)
            try roles.tearDown()
            return value
        } catch {
            try? roles.tearDown()
            throw error
        }
    }

    /// The URL that logs in as `ledger_<role>` of the document (`owner`, `ingest`, `serve`, `worker`, `api`, …).
    public func url(as role: String) throws -> String {
        guard var components = URLComponents(string: clusterURL) else {
            throw TestSupportError("LEDGER_TEST_DATABASE_URL must be a postgresql:// URL")
        }
        components.user = "\(prefix)_\(role)"
        components.password = nil
        components.path = "/" + database
        guard let url = components.string else { throw TestSupportError("cannot build a URL for \(role)") }
        return url
    }

    public func connect(as role: String) throws -> PostgresConnection { try PostgresConnection(url: try url(as: role)) }

    /// The statements of the document's SQL block `name`, with this test's names in place of `ledger`.
    public func statements(_ name: String) throws -> [String] {
        let document = try String(
            contentsOf: Repository.root.appendingPathComponent("docs/operations.md"), encoding: .utf8)
        guard let marker = document.range(of: "<!-- sql: \(name) -->\n```sql\n"),
            let end = document.range(of: "```", range: marker.upperBound..<document.endIndex)
        else { throw TestSupportError("docs/operations.md has no SQL block `\(name)`") }
        let sql = String(document[marker.upperBound..<end.lowerBound])
            .replacingOccurrences(of: #"\bledger_([a-z]+)\b"#, with: "\(prefix)_$1", options: .regularExpression)
            .replacingOccurrences(
                of: #"\bDATABASE ledger\b"#, with: "DATABASE \(database)", options: .regularExpression)
        // One statement at a time: CREATE DATABASE cannot run inside the implicit transaction of a multi-statement query.
        return sql.components(separatedBy: ";\n").filter {
            !$0.split(separator: "\n").allSatisfy { $0.hasPrefix("--") || $0.allSatisfy(\.isWhitespace) }
        }
    }

    /// Runs the document's block `name` on `connection`.
    public func run(_ name: String, on connection: PostgresConnection) throws {
        for statement in try statements(name) { try connection.execute(statement) }
    }

    private func setUp(_ migration: Migration) throws {
        let admin = try PostgresConnection(url: clusterURL)
        try run("roles", on: admin)
        try run("logins", on: admin)
        switch migration {
        case .inProcess:
            let owner = try connect(as: "owner")
            try MigrationRunner(connection: owner, source: try Repository.migrations(), logger: .quiet).up()
            owner.close()
        case .binary:
            let migrated = try runLedger(["migrate", "up"], environment: ["DATABASE_URL": try url(as: "owner")])
            guard migrated.status == 0 else { throw TestSupportError("migrate up as owner: \(migrated.standardError)") }
        }
        let owner = try connect(as: "owner")
        try run("grants", on: owner)
        owner.close()
    }

    private func tearDown() throws {
        let admin = try PostgresConnection(url: clusterURL)
        try admin.execute("DROP DATABASE IF EXISTS \(try admin.quoteIdentifier(database)) WITH (FORCE)")
        // Logins before their groups, the owner last (it owned the database).
        for role in [
            "ingest", "serve", "worker", "api", "analytics", "appender", "projector", "consumer", "reader", "owner",
        ] {
            try admin.execute("DROP ROLE IF EXISTS \(try admin.quoteIdentifier("\(prefix)_\(role)"))")
        }
    }
}
