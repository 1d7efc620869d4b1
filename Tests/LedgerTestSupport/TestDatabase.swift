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
    ///
    /// `body` runs on ``BlockingWorkExecutor``, so a test that blocks holds none of Swift concurrency's few
    /// threads.
    public static func with<T>(_ body: (TestDatabase) async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(BlockingWorkExecutor.shared) {
            try await creating(try create(), body)
        }
    }

    /// Runs `body` with `database`, then drops it, whether `body` threw or not.
    static func creating<T>(_ database: TestDatabase, _ body: (TestDatabase) async throws -> T) async throws -> T {
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

    static func create(template: String? = nil) throws -> TestDatabase {
        let clusterURL = try clusterURL()
        let name = "ledger_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try PostgresConnection(url: clusterURL)
        // Database names cannot be bind parameters; these are generated here, and quoted.
        let copied = try template.map { " TEMPLATE \(try admin.quoteIdentifier($0))" } ?? ""
        try admin.execute("CREATE DATABASE \(try admin.quoteIdentifier(name))\(copied)")
        return TestDatabase(url: try url(clusterURL, database: name), name: name)
    }

    /// `clusterURL` with its database replaced by `database`.
    static func url(_ clusterURL: String, database: String) throws -> String {
        guard var components = URLComponents(string: clusterURL) else {
            throw TestSupportError("LEDGER_TEST_DATABASE_URL must be a postgresql:// URL")
        }
        components.path = "/" + database
        guard let url = components.string else { throw TestSupportError("cannot build a URL for \(database)") }
        return url
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
    ///
    /// The database is a copy of ``MigratedTemplate`` (migrated once per test process) with a
    /// ledger identity of its own, as a freshly migrated database has.
    /// Like ``with(_:)``, `body` runs on ``BlockingWorkExecutor``.
    public static func withMigrated<T>(_ body: (TestDatabase) async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(BlockingWorkExecutor.shared) {
            try await creating(try create(template: try MigratedTemplate.name.get())) { database in
                try MigratedTemplate.giveOwnIdentity(database)
                return try await body(database)
            }
        }
    }

    /// Creates a fresh database and runs every migration on it with the migration runner, as
    /// `withMigrated` did before the template: the reference a template copy is compared with.
    public static func withFreshlyMigrated<T>(_ body: (TestDatabase) async throws -> T) async throws -> T {
        try await with { database in
            let connection = try database.connect()
            try MigrationRunner(connection: connection, source: try Repository.migrations(), logger: .quiet).up()
            connection.close()
            return try await body(database)
        }
    }
}

/// A database with every migration of the checkout applied, made once per test process and copied
/// (`CREATE DATABASE … TEMPLATE`) for each `withMigrated` test: copying is several times cheaper than
/// running the migrations again.
///
/// Its name carries a hash of the migrations (version, name and checksum of each), so a changed
/// migration gets a new template. Test processes sharing the cluster build it under an advisory lock,
/// under a temporary name renamed when complete, so a process killed mid-build leaves no half template.
public enum MigratedTemplate {
    /// The template's name, or why it could not be made.
    public static let name: Result<String, any Error> = Result { try make() }

    /// Key of the advisory lock taken while the template is built (arbitrary, fixed forever).
    static let buildLock = AdvisoryLock(key: 0x6C65_6467_746D_706C)  // "ledgtmpl"

    static func make() throws -> String {
        let source = try Repository.migrations()
        let name = "ledger_template_" + fingerprint(source)
        let clusterURL = try TestDatabase.clusterURL()
        let admin = try PostgresConnection(url: clusterURL)
        defer { admin.close() }
        try buildLock.lock(on: admin)
        defer { try? buildLock.unlock(on: admin) }
        let existing = try admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])
        guard existing.isEmpty else { return name }
        let building = try TestDatabase.create()
        do {
            let connection = try building.connect()
            try MigrationRunner(connection: connection, source: source, logger: .quiet).up()
            connection.close()
            // Rename waits (up to 5 s, in PostgreSQL) for the closed session's backend to exit.
            try admin.execute(
                "ALTER DATABASE \(try admin.quoteIdentifier(building.name)) RENAME TO \(try admin.quoteIdentifier(name))"
            )
            // A session on the template would make every copy fail ("being accessed by other users").
            try admin.execute("ALTER DATABASE \(try admin.quoteIdentifier(name)) WITH ALLOW_CONNECTIONS false")
        } catch {
            try? building.drop()
            throw error
        }
        return name
    }

    /// 16 hex digits (FNV-1a, 64 bits) over each migration's version, name and checksum.
    static func fingerprint(_ source: MigrationSource) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for migration in source.migrations {
            for byte in "\(migration.version) \(migration.name) \(migration.checksum)\n".utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            }
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Migration 006 gives each ledger database a random id, written once (a trigger refuses updates);
    /// a copy must not share the template's, or snapshots of two test databases could be mixed.
    /// Replication mode skips that trigger for this one statement's session (the test cluster's user
    /// is a superuser).
    static func giveOwnIdentity(_ database: TestDatabase) throws {
        let connection = try database.connect()
        defer { connection.close() }
        try connection.execute(
            """
            SET session_replication_role = replica;
            UPDATE ledger.identity SET id = gen_random_uuid(), created_at = now();
            """)
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
