import ArgumentParser
import Foundation
import LedgerPostgres

/// `ledger migrate`: applies, rolls back and reports the schema migrations.
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply, roll back and inspect the database schema migrations.",
        discussion: """
            Migrations are db/migrations/NNN_name.sql files, each with a NNN_name.down.sql
            that undoes it. Each runs in its own transaction under an advisory lock, so
            concurrent runners apply each file once, and is recorded in schema_migrations
            with its checksum; a file changed after it was applied is refused.

            The migrations are built into the ledger binary; --migrations DIR (or
            LEDGER_MIGRATIONS_DIR) reads them from a directory instead.
            """,
        subcommands: [Up.self, Down.self, Status.self, Baseline.self]
    )

    struct Options: ParsableArguments {
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var logging: LoggingOptions

        @Option(
            help: ArgumentHelp(
                "Directory of NNN_name.sql migration files (default: those built into ledger).", valueName: "dir"))
        var migrations: String?

        func makeRunner() throws -> (MigrationRunner, PostgresConnection) {
            let source = try MigrationSource.locate(
                explicit: migrations, environment: ProcessInfo.processInfo.environment)
            let connection = try database.connectWithoutSchemaCheck()
            let runner = MigrationRunner(
                connection: connection, source: source, logger: logging.makeLogger(label: "ledger.migrate"))
            return (runner, connection)
        }
    }

    struct Up: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply pending migrations, in order.")

        @OptionGroup var options: Options
        @Option(help: "Stop after applying this version (default: apply all).")
        var to: Int?
        @Flag(help: "Print what would be applied; change nothing.")
        var dryRun = false

        func run() throws {
            let (runner, _) = try options.makeRunner()
            let applied = try runner.up(to: to, dryRun: dryRun)
            report(applied.map(\.fileName), verb: dryRun ? "would apply" : "applied", none: "database is up to date")
        }
    }

    struct Down: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Roll back the newest applied migrations.",
            discussion: """
                Rolling back 004_event_log drops ledger.events, the source of truth that nothing \
                rebuilds: while it holds events that is refused (exit 1) unless --drop-event-log is \
                given. --dry-run lists each migration it would revert, the tables that go with it \
                and the number of events that would be lost.
                """)

        @OptionGroup var options: Options
        @Option(help: "How many migrations to roll back.")
        var steps = 1
        @Flag(help: "Print what would be rolled back and what it drops; change nothing.")
        var dryRun = false
        @Flag(help: "Allow a rollback that drops ledger.events and every event in it.")
        var dropEventLog = false

        func validate() throws {
            guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        }

        func run() throws {
            let (runner, _) = try options.makeRunner()
            if dryRun { return try printPlan(runner.rollbackPlan(steps: steps)) }
            let reverted = try runner.down(steps: steps, dropEventLog: dropEventLog)
            report(reverted.map(\.fileName), verb: "reverted", none: "no applied migrations to roll back")
        }

        private func printPlan(_ plan: [RollbackLoss]) {
            if plan.isEmpty { return print("no applied migrations to roll back") }
            for step in plan {
                var line = "would revert \(step.migration.fileName)"
                line += step.droppedTables.isEmpty ? ": drops no tables" : ": drops " + step.droppedTables.joined(separator: ", ")
                if step.eventsLost > 0 {
                    line += " (\(step.eventsLost) events would be lost; refused without --drop-event-log)"
                }
                print(line)
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show each migration and whether it is applied.")

        @OptionGroup var options: Options
        @Flag(help: "Print JSON: an array of {version, name, state, appliedAt, durationMilliseconds, checksum}.")
        var json = false

        func run() throws {
            let (runner, _) = try options.makeRunner()
            let statuses = try runner.status()
            if json { return try printJSON(statuses) }
            let formatter = ISO8601DateFormatter()
            print("VERSION  NAME                      STATE         APPLIED AT            DURATION")
            for status in statuses {
                let applied = status.appliedAt.map { formatter.string(from: $0) } ?? "-"
                let duration = status.durationMilliseconds.map { "\($0) ms" } ?? "-"
                print(
                    String(format: "%03d", status.version) + "      "
                        + status.name.padding(toLength: 26, withPad: " ", startingAt: 0)
                        + status.state.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)
                        + applied.padding(toLength: 22, withPad: " ", startingAt: 0) + duration)
            }
            let problems = statuses.filter { $0.state == .changed || $0.state == .missingFile }
            if !problems.isEmpty {
                throw MigrationError(
                    "\(problems.count) migration(s) changed or missing since applied: "
                        + problems.map { "\($0.version) \($0.name)" }.joined(separator: ", "))
            }
        }
    }

    struct Baseline: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark migrations 1…VERSION as applied without running them.",
            discussion: "For a database whose schema was applied by hand; later `up` applies only the rest.")

        @OptionGroup var options: Options
        @Argument(help: "The newest migration version already present in the database.")
        var version: Int
        @Flag(help: "Print what would be marked; change nothing.")
        var dryRun = false

        func run() throws {
            let (runner, _) = try options.makeRunner()
            let marked = try runner.baseline(version, dryRun: dryRun)
            report(
                marked.map(\.fileName), verb: dryRun ? "would mark applied" : "marked applied",
                none: "nothing to baseline")
        }
    }
}

private func report(_ files: [String], verb: String, none: String) {
    if files.isEmpty { return print(none) }
    for file in files { print("\(verb) \(file)") }
}
