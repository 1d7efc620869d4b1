import ArgumentParser
import Foundation
import LedgerCore
import LedgerPostgres

/// `ledger mode`: whether the ledger holds Stripe's live or test data.
struct ModeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mode",
        abstract: "Show or fix whether the ledger holds Stripe's live or test data.",
        discussion: """
            A ledger has one mode. The first event in the log that states one fixes it for \
            good: a `ledger mode set` event, or else the first Stripe event (its `livemode`). \
            Events of the other mode stay in the log and are ignored by the projection with \
            that reason (`ledger history` shows it): test charges never count as revenue in a \
            live ledger. Fix the mode before the first delivery so it does not depend on \
            which event arrives first.

            Examples:
              ledger mode
              ledger mode set live --reason "production ledger, live key"
            """,
        subcommands: [Show.self, SetMode.self],
        defaultSubcommand: Show.self)

    /// The mode as JSON: absent until an event states one.
    struct Output: Encodable {
        var mode: LedgerMode?
        var position: Int64?
    }

    /// `ledger mode show`.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the ledger's mode and the position of the event that fixed it.",
            discussion: """
                Examples:
                  ledger mode
                  ledger mode show --json
                """)

        @OptionGroup var database: ReadDatabaseOptions
        @OptionGroup var logging: LoggingOptions
        @Flag(help: "Print JSON: {mode, position}, both absent until an event states a mode.") var json = false

        func run() throws {
            let fixed = try EventStore(connection: try database.connect()).fixedMode()
            if json { return try printJSON(Output(mode: fixed?.mode, position: fixed?.position)) }
            print(ModeCommand.describe(fixed))
        }
    }

    /// `ledger mode set live|test --reason TEXT`.
    struct SetMode: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Fix the ledger's mode before Stripe's first event does (a native event in the log).",
            discussion: """
                Appends a `ledger.mode_set` event to the stream ledger:mode. Refused with exit \
                code 3 when the log already fixed the other mode (a ledger's mode never \
                changes: re-labelling it would recount its history); nothing is appended when \
                it already has this mode.

                Examples:
                  ledger mode set live --reason "production ledger, live key"
                """)

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var logging: LoggingOptions
        @Argument(help: ArgumentHelp("live or test.", valueName: "mode")) var mode: LedgerMode
        @Option(help: "Why, kept in the event (required).") var reason: String
        @Option(help: "Who decided, kept in the event (default: the USER of this process).")
        var actor = ProcessInfo.processInfo.environment["USER"] ?? "unknown"
        @Flag(help: "Print JSON: {mode, position}.") var json = false

        func validate() throws {
            if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw ValidationError("--reason must say why the mode is set")
            }
        }

        func run() throws {
            let store = EventStore(connection: try database.connect())
            if let fixed = try store.fixedMode() {
                guard fixed.mode == mode else {
                    FileHandle.standardError.write(
                        Data("error: \(ModeCommand.describe(fixed)); a ledger's mode never changes\n".utf8))
                    throw ExitCode(ExitStatus.conflict)
                }
                if json { return try printJSON(Output(mode: fixed.mode, position: fixed.position)) }
                return print("\(ModeCommand.describe(fixed)); nothing appended")
            }
            let now = EventTime(Date())
            let setting = ModeSetting(mode: mode, reason: reason, actor: actor)
            let event = NewEvent(
                eventID: UUID(), streamID: ModeSetting.streamID, type: ModeSetting.type, source: EventSource.ledger,
                occurredAt: now, body: try setting.body())
            let outcome = try store.append(
                AppendBatch(events: [event], origins: ["ledger mode set"]), recordedAt: now)[0]
            guard case .appended(let position, _) = outcome else {
                throw ValidationError("the mode event was not appended: \(outcome)")
            }
            logging.makeLogger(label: "ledger.mode").info(
                "mode set", metadata: ["mode": "\(mode)", "position": "\(position)"])
            if json { return try printJSON(Output(mode: mode, position: position)) }
            print("mode \(mode) fixed at position \(position)")
        }
    }

    /// `mode live (fixed at position 1)`, or that no event has fixed it yet.
    static func describe(_ fixed: FixedMode?) -> String { "mode " + state(fixed) }

    /// The mode's state without the word "mode", as `ledger status` lists it.
    static func state(_ fixed: FixedMode?) -> String {
        guard let fixed else { return "not fixed yet: the first event that states one (live or test) fixes it" }
        return "\(fixed.mode) (fixed at position \(fixed.position))"
    }
}

extension LedgerMode: ExpressibleByArgument {}
