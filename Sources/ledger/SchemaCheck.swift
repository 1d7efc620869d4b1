import Foundation
import LedgerPostgres
import Logging
import Synchronization

/// The check, once per process, that the database is at the migration this binary was built for.
///
/// Without it a command on an unmigrated or half-migrated database fails on whichever relation it
/// touches first (`relation "ledger.head" does not exist`); with it, it says what to run. Once is
/// enough: commands that connect many times (export readers, a projector reconnecting) pay one query.
final class SchemaCheck: Sendable {
    static let shared = SchemaCheck()

    /// Whether the check passed; held during the check, so concurrent first connections wait for one query.
    private let passed = Mutex(false)

    /// Throws ``SchemaNotReady`` unless the database `connection` reaches is current.
    func ensure(_ connection: PostgresConnection) throws {
        try passed.withLock { passed in
            if passed { return }
            // Without the list of known migrations there is nothing to compare with; the command's own
            // errors then speak. The list is compiled into the binary, so this only happens with a
            // --migrations or LEDGER_MIGRATIONS_DIR that cannot be read.
            guard
                let source = try? MigrationSource.locate(
                    explicit: nil, environment: ProcessInfo.processInfo.environment)
            else { return }
            var logger = Logger(label: "ledger.schema")
            logger.logLevel = .error
            try MigrationRunner(connection: connection, source: source, logger: logger).schemaStatus().check()
            passed = true
        }
    }
}
