import ArgumentParser
import Foundation
import LedgerPostgres

/// `ledger digest`: order-independent digests of the projected tables.
struct DigestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest",
        abstract: "Print an order-independent SHA-256 of each projected table.",
        discussion: """
            Rows are hashed in primary-key order, every column in PostgreSQL's binary \
            form, so two databases (or two rebuilds) have equal digests exactly when \
            their subscriptions and payment_transactions rows are byte-identical.

            Examples:
              ledger digest
              ledger digest --json
            """)

    @OptionGroup var database: ReadDatabaseOptions
    @OptionGroup var logging: LoggingOptions
    @Flag(help: "Print JSON: an array of {table, rows, sha256}.") var json = false

    func run() throws {
        let digester = TableDigester(connection: try database.connect())
        let digests = try TableDigester.projectedTables.map { try digester.digest(table: $0) }
        logging.makeLogger(label: "ledger.digest").info(
            "digested the projected tables", metadata: ["tables": "\(digests.count)"])
        if json { return try printJSON(digests) }
        for digest in digests {
            print(
                digest.table.padding(toLength: 22, withPad: " ", startingAt: 0)
                    + " \(digest.rows) rows  \(digest.sha256)")
        }
    }
}
