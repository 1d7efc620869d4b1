import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import Logging

/// The `ledger` command: an event-sourced ledger of Stripe subscriptions and payments.
@main
struct Ledger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "An append-only, hash-chained ledger of Stripe subscription and payment events.",
        discussion: """
            The event log in PostgreSQL is the source of truth; the subscriptions, \
            payment_transactions, mrr_movements and mrr_daily tables are projections rebuilt \
            from it.

            Connection: --database-url, else DATABASE_URL, else libpq's PG* variables. \
            Exit codes: 0 success, 1 failure, 2 usage error, 3 concurrency conflict.

            Examples:
              ledger migrate up
              ledger ingest stripe events.jsonl
              ledger project
              ledger status --json
              ledger verify --digest 68611:3f2a…
            """,
        version: LedgerVersion.current,
        subcommands: [
            MigrateCommand.self, IngestCommand.self, AppendCommand.self, HeadCommand.self, VerifyCommand.self,
            ProjectCommand.self, RebuildCommand.self, SnapshotCommand.self, StatusCommand.self, ParkedCommand.self,
            RejectedCommand.self, ModeCommand.self, MappingCommand.self, CorrectCommand.self, DigestCommand.self,
            HistoryCommand.self, StateCommand.self, ReportCommand.self, ExportCommand.self, ConsumeCommand.self,
            ConsumersCommand.self, ServeCommand.self, SyncCommand.self, PartitionCommand.self,
            GenerateCommand.self,
        ]
    )

    /// Runs the command, mapping errors to the documented exit codes.
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            // ArgumentParser says only "Unexpected argument 'projet'": name the command and the closest one.
            if let unknown = UnknownCommand.find(in: Array(CommandLine.arguments.dropFirst()), root: self) {
                FileHandle.standardError.write(Data("error: \(unknown)\n".utf8))
                Foundation.exit(ExitStatus.usage)
            }
            exit(withError: error, code: ExitStatus.code(for: error))
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error, code: ExitStatus.code(for: error))
        }
    }

    static func exit(withError error: any Error, code: Int32) -> Never {
        if error is ExitCode {
            // The command already reported what went wrong.
        } else if code == 0 {
            // --help and --version: ArgumentParser's text, on standard output.
            print(fullMessage(for: error))
        } else if code == ExitStatus.usage {
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        } else {
            FileHandle.standardError.write(Data("error: \(describe(error))\n".utf8))
        }
        Foundation.exit(code)
    }

    /// What went wrong, in words a user can act on: a file error as "PATH: reason", an error thrown
    /// while parsing unwrapped to the error it carries, never a type dump or a Foundation domain.
    static func describe(_ error: any Error) -> String {
        if let text = fileErrorText(error) { return text }
        return message(for: error)
    }
}

/// The ledger's exit codes, as the README documents them.
enum ExitStatus {
    static let failure: Int32 = 1
    static let usage: Int32 = 2
    static let conflict: Int32 = 3

    static func code(for error: any Error) -> Int32 {
        switch error {
        case let exit as ExitCode: return exit.rawValue == ExitCode.validationFailure.rawValue ? usage : exit.rawValue
        case is CleanExit: return 0
        case is VersionConflict, is ProjectionBusy: return conflict
        case is PositionBeyondHead: return usage
        case is PostgresError, is MigrationError, is InvalidEvent: return failure
        default:
            let code = Ledger.exitCode(for: error)
            if code == .success { return 0 }
            return code == .validationFailure ? usage : failure
        }
    }
}
