import ArgumentParser
import Foundation
import LedgerCore
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

/// How much the command logs to standard error, and in which format: `--log-level`, `--log-format`.
///
/// Every command takes these, so scripts can pass the same flags to any of them.
struct LoggingOptions: ParsableArguments {
    /// Lines for people (`text`) or one JSON object per line for log collectors (`json`).
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(
        help: ArgumentHelp(
            "Least severe level logged (default: LEDGER_LOG_LEVEL, else warning; info for serve).",
            valueName: "level"))
    var logLevel: Logger.Level?

    @Option(
        help: ArgumentHelp(
            "Log lines on standard error as text, or json: one object a line with timestamp, level, label, message and metadata (default: LEDGER_LOG_FORMAT, else text).",
            valueName: "format"))
    var logFormat: Format?

    /// The level: the flag, else LEDGER_LOG_LEVEL, else `defaultLevel`.
    func level(default defaultLevel: Logger.Level) -> Logger.Level {
        logLevel
            ?? ProcessInfo.processInfo.environment["LEDGER_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
            ?? defaultLevel
    }

    /// The format: the flag, else LEDGER_LOG_FORMAT, else text.
    var format: Format {
        logFormat ?? ProcessInfo.processInfo.environment["LEDGER_LOG_FORMAT"].flatMap(Format.init(rawValue:)) ?? .text
    }

    func makeLogger(label: String, defaultLevel: Logger.Level = .warning) -> Logger {
        let format = format
        var logger = Logger(label: label) { label in
            switch format {
            case .text: StreamLogHandler.standardError(label: label)
            case .json: JSONLogHandler(label: label)
            }
        }
        logger.logLevel = level(default: defaultLevel)
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Prints a value as pretty, key-sorted, snake_case JSON on standard output (``LedgerJSON``).
func printJSON<T: Encodable>(_ value: T) throws {
    print(String(decoding: try LedgerJSON.encoder(pretty: true).encode(value), as: UTF8.self))
}

/// Prints a value as one line of compact, key-sorted, snake_case JSON (JSON Lines), flushed at once so a
/// reader of a long-running command sees each line as it is printed.
func printJSONLine<T: Encodable>(_ value: T) throws {
    print(String(decoding: try LedgerJSON.encoder().encode(value), as: UTF8.self))
    fflush(nil)
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
