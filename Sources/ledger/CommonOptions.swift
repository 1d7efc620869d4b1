import ArgumentParser
import Foundation
import LedgerPostgres
import Logging

/// Where the ledger's PostgreSQL database is.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "PostgreSQL URL (postgresql://user@host:port/db) or libpq keyword string.",
            discussion:
                "Default: DATABASE_URL, else libpq's PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSERVICE.",
            valueName: "url"))
    var databaseURL: String?

    /// The URL to connect with: the flag, else DATABASE_URL, else nil (libpq's environment).
    var resolvedURL: String? {
        if let databaseURL, !databaseURL.isEmpty { return databaseURL }
        if let fromEnvironment = ProcessInfo.processInfo.environment["DATABASE_URL"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return nil
    }

    /// Connects and checks that the database is at the migration this binary knows (``SchemaCheck``),
    /// for every command that reads or writes the ledger's tables.
    func connect() throws -> PostgresConnection {
        let connection = try connectWithoutSchemaCheck()
        try SchemaCheck.shared.ensure(connection)
        return connection
    }

    /// Connects without the schema check: for `ledger migrate`, which is how the schema changes.
    func connectWithoutSchemaCheck() throws -> PostgresConnection { try PostgresConnection(url: resolvedURL) }
}

/// How much the command logs to standard error.
struct LoggingOptions: ParsableArguments {
    @Option(
        help: "Log level: trace, debug, info, notice, warning, error, critical (default: LEDGER_LOG_LEVEL or warning).")
    var logLevel: Logger.Level?

    func makeLogger(label: String, defaultLevel: Logger.Level = .warning) -> Logger {
        let level =
            logLevel
            ?? ProcessInfo.processInfo.environment["LEDGER_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
            ?? defaultLevel
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Prints a value as pretty, key-sorted JSON on standard output.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

extension String {
    /// The string, cut or filled with spaces on the right to `width` characters.
    func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    /// The string filled with spaces on the left to `width` characters.
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// Prints a value as one line of compact, key-sorted JSON (JSON Lines).
func printJSONLine<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
