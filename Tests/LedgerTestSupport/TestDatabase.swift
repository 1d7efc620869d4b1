import Foundation
import LedgerPostgres
import Logging

/// A throwaway PostgreSQL database for one test, created on the cluster that
/// `tools/test` starts and dropped afterwards.
///
/// The cluster is named by `LEDGER_TEST_DATABASE_URL`. Without it the test
/// fails: a missing database is a failure, never a skip.
public struct TestDatabase: Sendable {
    /// URL of this test's own database.
    public let url: String
    /// Name of this test's own database.
    public let name: String

    /// Creates a fresh, empty database, runs `body` with it, then drops it.
    public static func with<T>(_ body: (TestDatabase) async throws -> T) async throws -> T {
        let database = try create()
        do {
            let value = try await body(database)
            try database.drop()
            return value
        } catch {
            try? database.drop()
            throw error
        }
    }

    /// The admin URL of the test cluster.
    public static func clusterURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["LEDGER_TEST_DATABASE_URL"], !url.isEmpty else {
            throw TestSupportError(
                "LEDGER_TEST_DATABASE_URL is not set: run the tests with tools/test, which starts a "
                    + "throwaway PostgreSQL cluster (or point it at one you own)")
        }
        return url
    }

    static func create() throws -> TestDatabase {
        let clusterURL = try clusterURL()
        let name = "ledger_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try PostgresConnection(url: clusterURL)
        // Database names cannot be bind parameters; this one is generated above, and quoted.
        try admin.execute("CREATE DATABASE \(try admin.quoteIdentifier(name))")
        guard var components = URLComponents(string: clusterURL) else {
            throw TestSupportError("LEDGER_TEST_DATABASE_URL must be a postgresql:// URL")
        }
        components.path = "/" + name
        guard let url = components.string else { throw TestSupportError("cannot build a URL for \(name)") }
        return TestDatabase(url: url, name: name)
    }

    /// Drops the database, disconnecting anyone still on it.
    public func drop() throws {
        let admin = try PostgresConnection(url: try Self.clusterURL())
        try admin.execute("DROP DATABASE IF EXISTS \(try admin.quoteIdentifier(name)) WITH (FORCE)")
    }

    /// A new connection to this database.
    public func connect() throws -> PostgresConnection { try PostgresConnection(url: url) }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension TestDatabase {
    /// Creates a fresh database with every migration applied, runs `body`, then drops it.
    public static func withMigrated<T>(_ body: (TestDatabase) async throws -> T) async throws -> T {
        try await with { database in
            let connection = try database.connect()
            try MigrationRunner(connection: connection, source: try Repository.migrations(), logger: .quiet).up()
            connection.close()
            return try await body(database)
        }
    }
}

extension Logger {
    /// A logger that prints only warnings and worse, for tests.
    public static var quiet: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }
}
