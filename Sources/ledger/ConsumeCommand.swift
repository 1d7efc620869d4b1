import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// `ledger consume --group NAME`: the next batch of the event feed for one consumer group, and its acknowledgements.
struct ConsumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Print the next batch of events for a consumer group; acknowledge or reset its cursor.",
        discussion: """
            The protocol, for a job that loads the log somewhere else:

              1. `ledger consume --group G` prints the events after G's cursor (at most
                 --max, in position order, as --format jsonl or csv) on standard output,
                 and a line on standard error naming the last position. The first
                 consume creates G at 0.
              2. The job loads the batch.
              3. `ledger consume --group G --ack POS` with the batch's last position
                 moves the cursor there. Repeat until a consume prints nothing.

            A batch that is not acknowledged (the job crashed, the load failed) is \
            delivered again by the next consume, which starts after the cursor, not \
            after what was delivered: every event reaches the job at least once. A job \
            that acknowledges only after its load commits, and skips positions it has \
            already loaded (keep the highest position loaded with the data), processes \
            every event exactly once, across crashes.

            --ack never moves the cursor back: a position at or below it is a no-op \
            success (a repeated or late ack). A position beyond what was delivered to \
            the group is refused (exit 1). --reset-to POS puts the cursor anywhere up to \
            the head, back to replay or forward to skip, and forgets what was delivered \
            before.

            Two processes of one group serialise on its row: they may receive the same \
            batch, and the cursor only ever moves as the rules above say. Groups are \
            independent. Names: 1–64 characters of a-z, 0-9, '.', '_' and '-'. `ledger \
            consumers` lists them.

            Examples:
              ledger consume --group warehouse --max 500 > batch.jsonl
              ledger consume --group warehouse --ack 40500
              ledger consume --group warehouse --reset-to 0 --json
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions
    @Option(help: ArgumentHelp("The consumer group.", valueName: "name")) var group: String
    @Option(help: ArgumentHelp("Most events to deliver.", valueName: "n")) var max: Int64 = 1000
    @Option(help: "Output format: jsonl or csv.") var format: ExportFormat = .jsonl
    @Option(help: ArgumentHelp("Acknowledge every event through this position (moves the cursor).", valueName: "pos"))
    var ack: Int64?
    @Option(help: ArgumentHelp("Put the cursor at this position, backwards or forwards.", valueName: "pos"))
    var resetTo: Int64?
    @Flag(
        help:
            "With --ack or --reset-to, print the cursor move as JSON: {group, outcome, from, to}. (A batch is printed as --format says.)"
    )
    var json = false

    /// What `--ack` and `--reset-to` did, for `--json`.
    struct CursorMove: Encodable {
        var group: String
        var outcome: String
        var from: Int64
        var to: Int64
    }

    func validate() throws {
        _ = try groupName()
        guard (1...Int64(Limits.consumeBatchEventsMax)).contains(max) else {
            throw ValidationError("--max must be 1…\(Limits.consumeBatchEventsMax)")
        }
        if ack != nil && resetTo != nil { throw ValidationError("give --ack or --reset-to, not both") }
        if json && ack == nil && resetTo == nil {
            throw ValidationError("--json is for --ack and --reset-to; a batch is printed as --format jsonl or csv")
        }
        for (name, value) in [("--ack", ack), ("--reset-to", resetTo)] {
            if let value, value < 0 { throw ValidationError("\(name) must be 0 or more") }
        }
    }

    func groupName() throws -> ConsumerGroupName {
        do {
            return try ConsumerGroupName(group)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        let feed = ConsumerFeed(connection: try database.connect())
        let name = try groupName()
        if let ack {
            switch try feed.acknowledge(name, through: ack) {
            case .moved(let from, let to):
                if json { return try printJSON(CursorMove(group: "\(name)", outcome: "moved", from: from, to: to)) }
                print("group \(name): cursor moved from \(from) to \(to)")
            case .alreadyAcknowledged(let cursor):
                if json {
                    return try printJSON(
                        CursorMove(group: "\(name)", outcome: "already_acknowledged", from: cursor, to: cursor))
                }
                print(
                    "group \(name): position \(ack) is at or below the cursor (\(cursor)): already acknowledged, nothing changed"
                )
            case .beyondDelivered:
                preconditionFailure("a refused acknowledgement is thrown")
            }
            return
        }
        if let resetTo {
            let (from, to) = try feed.reset(name, to: resetTo)
            logging.makeLogger(label: "ledger.consume").info(
                "cursor reset", metadata: ["group": "\(name)", "from": "\(from)", "to": "\(to)"])
            if json { return try printJSON(CursorMove(group: "\(name)", outcome: "reset", from: from, to: to)) }
            print("group \(name): cursor reset from \(from) to \(to); the next consume starts after \(to)")
            return
        }
        let output = ExportOutput.standardOutput()
        let delivery = try feed.consume(
            name, eventsMax: max, encoder: EventRecordEncoder(format: format), to: output)
        let range = delivery.range
        let note =
            range.count == 0
            ? "group \(name): no events after position \(delivery.cursor) (head \(delivery.head))"
            : "group \(name): delivered positions \(range.after + 1)–\(range.through) (\(range.count) events, "
                + "head \(delivery.head)); acknowledge with `ledger consume --group \(name) --ack \(range.through)`"
        FileHandle.standardError.write(Data((note + "\n").utf8))
    }
}

/// `ledger consumers`: every consumer group with its cursor, pending lease and lag.
struct ConsumersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consumers",
        abstract:
            "List consumer groups: cursor, pending (delivered, not acknowledged), lag behind the head, last activity.",
        discussion: """
            Examples:
              ledger consumers
              ledger consumers --json
            """
    )

    @OptionGroup var database: ReadDatabaseOptions
    @OptionGroup var logging: LoggingOptions
    @Flag(help: "Print the groups as JSON.") var json = false

    struct Listing: Encodable {
        var head: Int64
        var groups: [ConsumerFeed.GroupStatus]
    }

    func run() throws {
        let (head, groups) = try ConsumerFeed(connection: try database.connect()).groups()
        logging.makeLogger(label: "ledger.consumers").info(
            "listed consumer groups", metadata: ["groups": "\(groups.count)"])
        if json { return try printJSON(Listing(head: head, groups: groups)) }
        if groups.isEmpty {
            return print("no consumer groups (log head \(head)); `ledger consume --group NAME` creates one")
        }
        print(
            "GROUP".padded(24) + "CURSOR".leftPadded(12) + "DELIVERED".leftPadded(12) + "PENDING".leftPadded(10)
                + "LAG".leftPadded(12) + "  LAST ACTIVITY")
        for group in groups {
            print(
                group.group.padded(24) + String(group.cursor).leftPadded(12) + String(group.delivered).leftPadded(12)
                    + String(group.pending).leftPadded(10) + String(group.lag).leftPadded(12)
                    + "  \(group.lastActivity)")
        }
    }
}
