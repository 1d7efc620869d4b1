import ArgumentParser
import Foundation
import LedgerPostgres

/// `ledger migrate`: applies, rolls back and reports the schema migrations.
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply, roll back and inspect the database schema migrations.",
        discussion: """
            Migrations are db/migrations/NNN_name.sql files, each with a NNN_name.down.sql \
            that undoes it. Each runs in its own transaction under an advisory lock, so \
            concurrent runners apply each file once, and is recorded in schema_migrations \
            with its checksum; a file changed after it was applied is refused.

            The migrations are built into the ledger binary; --migrations DIR (or \
            LEDGER_MIGRATIONS_DIR) reads them from a directory instead.

            Examples:
              ledger migrate status
              ledger migrate up
              ledger migrate down --dry-run
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
        static let configuration = CommandConfiguration(
            abstract: "Apply pending migrations, in order.",
            discussion: """
                Examples:
                  ledger migrate up
                  ledger migrate up --to 8 --dry-run
                  ledger migrate up --json --log-level info
                """
        )

        @OptionGroup var options: Options
        @Option(help: "Stop after applying this version (default: apply all).")
        var to: Int?
        @Flag(help: "Print what would be applied; change nothing.")
        var dryRun = false
        @Flag(help: "Print JSON: {action, migrations: [{version, name, file}]}.") var json = false

        func run() throws {
            let (runner, _) = try options.makeRunner()
            let applied = try runner.up(to: to, dryRun: dryRun)
            try report(applied, action: dryRun ? "would apply" : "applied", none: "database is up to date", json: json)
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

                Examples:
                  ledger migrate down --dry-run
                  ledger migrate down --steps 2 --json
                """)

        @OptionGroup var options: Options
        @Option(help: "How many migrations to roll back.")
        var steps = 1
        @Flag(help: "Print what would be rolled back and what it drops; change nothing.")
        var dryRun = false
        @Flag(help: "Allow a rollback that drops ledger.events and every event in it.")
        var dropEventLog = false
        @Flag(
            help:
                "Print JSON: {action, migrations: [{version, name, file}]}; with --dry-run each also has dropped_tables and events_lost."
        )
        var json = false

        func validate() throws {
            guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        }

        func run() throws {
            let (runner, _) = try options.makeRunner()
            if dryRun, json { return try printJSON(MigrationsOutput(plan: try runner.rollbackPlan(steps: steps))) }
            if dryRun { return try printPlan(runner.rollbackPlan(steps: steps)) }
            let reverted = try runner.down(steps: steps, dropEventLog: dropEventLog)
            try report(reverted, action: "reverted", none: "no applied migrations to roll back", json: json)
        }

        private func printPlan(_ plan: [RollbackLoss]) {
            if plan.isEmpty { return print("no applied migrations to roll back") }
            for step in plan {
                var line = "would revert \(step.migration.fileName)"
                line +=
                    step.droppedTables.isEmpty
                    ? ": drops no tables" : ": drops " + step.droppedTables.joined(separator: ", ")
                if step.eventsLost > 0 {
                    line += " (\(step.eventsLost) events would be lost; refused without --drop-event-log)"
                }
                print(line)
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each migration and whether it is applied.",
            discussion: """
                Examples:
                  ledger migrate status
                  ledger migrate status --json
                """
        )

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
            discussion: """
                For a database whose schema was applied by hand; later `up` applies only the rest.

                Examples:
                  ledger migrate baseline 3 --dry-run
                  ledger migrate baseline 3
                """)

        @OptionGroup var options: Options
        @Argument(help: "The newest migration version already present in the database.")
        var version: Int
        @Flag(help: "Print what would be marked; change nothing.")
        var dryRun = false
        @Flag(help: "Print JSON: {action, migrations: [{version, name, file}]}.") var json = false

        func run() throws {
            let (runner, _) = try options.makeRunner()
            let marked = try runner.baseline(version, dryRun: dryRun)
            try report(
                marked, action: dryRun ? "would mark applied" : "marked applied", none: "nothing to baseline",
                json: json)
        }
    }
}

/// One line per migration (`applied 004_event_log.sql`), or with `json` one object naming the action.
private func report(_ migrations: [Migration], action: String, none: String, json: Bool) throws {
    if json { return try printJSON(MigrationsOutput(action: action, migrations: migrations)) }
    if migrations.isEmpty { return print(none) }
    for migration in migrations { print("\(action) \(migration.fileName)") }
}

/// `--json` of `migrate up`, `down` and `baseline`: what was (or would be) done to which migrations.
struct MigrationsOutput: Encodable {
    struct Entry: Encodable {
        var version: Int
        var name: String
        var file: String
        var droppedTables: [String]?
        var eventsLost: Int64?
    }

    /// `applied`, `would_apply`, `reverted`, `would_revert`, `marked_applied`, `would_mark_applied`.
    var action: String
    var migrations: [Entry]

    init(action: String, migrations: [Migration]) {
        self.action = action.replacingOccurrences(of: " ", with: "_")
        self.migrations = migrations.map { Entry(version: $0.version, name: $0.name, file: $0.fileName) }
    }

    init(plan: [RollbackLoss]) {
        action = "would_revert"
        migrations = plan.map {
            Entry(
                version: $0.migration.version, name: $0.migration.name, file: $0.migration.fileName,
                droppedTables: $0.droppedTables, eventsLost: $0.eventsLost)
        }
    }
}
