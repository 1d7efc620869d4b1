import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerSnapshots

/// `ledger snapshot create|list|verify|prune`.
struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Create, list, verify and prune SQLite snapshots of the projected state.",
        discussion: """
            A snapshot is one SQLite file holding the projection's state at a log position: \
            the subscriptions and payment_transactions rows, the parked events, the reducer \
            state a replay continues from, the MRR movements, and snapshot_meta (position, chain hash, projector \
            version, row counts, content digest). Files are named \
            ledger-<database id>-<position>.sqlite, so two databases' snapshots never mix. \
            docs/snapshots.md describes the layout for analytics tools.

            Before a snapshot is used it is verified: SQLite quick_check, the content digest, \
            the projector version, the database id, the log's chain hash at its position, \
            and the log's record of the snapshot (every snapshot written is recorded in the \
            log with its content digest, so rows edited and the file's digest recomputed are \
            caught). `ledger rebuild` and `ledger project` start from the newest valid one.

            Examples:
              ledger snapshot create --snapshot-dir /var/lib/ledger/snapshots
              ledger snapshot list --json
              ledger snapshot prune --keep 3
            """,
        subcommands: [Create.self, List.self, Verify.self, Prune.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a snapshot of the state at the log's head.",
            discussion: """
                Computes the state from the newest valid snapshot plus the events after it \
                (or from event 1), without touching the projected tables, and writes it to \
                a temporary file that is synced and renamed into place: a crash leaves the \
                old snapshots and no half file. The snapshot is then recorded in the log (one \
                native event, ledger:snapshots), which needs the projector role; if it cannot \
                be recorded the file is deleted and the command fails.

                Examples:
                  ledger snapshot create
                  ledger snapshot create --snapshot-dir /var/lib/ledger/snapshots --json
                """)

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var logging: LoggingOptions
        @OptionGroup var location: SnapshotLocation
        @OptionGroup var progressOptions: ProgressOptions
        @Flag(help: "Replay from event 1 instead of the newest valid snapshot.") var fromScratch = false
        @Flag(help: "Print the new snapshot's metadata as JSON.") var json = false

        func run() throws {
            let logger = logging.makeLogger(label: "ledger.snapshot")
            let progress = progressOptions.makeLine("replaying")
            let head = logHeadPosition(database)
            let file = try SnapshotMaker(
                connect: database.connect,
                policy: SnapshotPolicy(directory: location.directory, replayFromSnapshots: !fromScratch), logger: logger
            ).createAtHead { position in progress.update(position, of: head) }
            progress.finish()
            if json { return try printJSON(file.meta) }
            print("wrote \(file.url.path)")
            print(
                "position \(file.meta.position), \(file.meta.subscriptionRows) subscriptions, "
                    + "\(file.meta.paymentRows) payments, \(file.meta.parkedEvents) parked, "
                    + "\(file.size / 1024) KiB")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List this database's snapshots, newest first, each verified.",
            discussion: """
                Examples:
                  ledger snapshot list
                  ledger snapshot list --snapshot-dir /var/lib/ledger/snapshots --json
                """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var logging: LoggingOptions
        @OptionGroup var location: SnapshotLocation
        @Flag(help: "Print the list as JSON.") var json = false

        func run() throws {
            let catalog = try location.catalog(database: database, logging: logging)
            let listings = try catalog.list()
            if json { return try printJSON(listings) }
            if listings.isEmpty { print("no snapshots of this database in \(catalog.directory.url.path)") }
            for listing in listings {
                let position = listing.position.map(String.init) ?? "?"
                let rows = (listing.subscriptionRows ?? 0) + (listing.paymentRows ?? 0)
                let verdict = listing.valid ? "valid" : "INVALID: \(listing.problem ?? "")"
                print(
                    "\(position.leftPadded(12))  \(listing.createdAt ?? "-")  "
                        + "\(String(listing.sizeBytes / 1024).leftPadded(8)) KiB  \(String(rows).leftPadded(9)) rows  "
                        + "\(verdict)  \(URL(fileURLWithPath: listing.path).lastPathComponent)")
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify snapshot files (all of this database's when none is named); exit 1 if any fails.",
            discussion: """
                Examples:
                  ledger snapshot verify
                  ledger snapshot verify snapshots/ledger-…-68611.sqlite --json
                """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var logging: LoggingOptions
        @OptionGroup var location: SnapshotLocation
        @Argument(help: "Snapshot files to verify.") var files: [String] = []
        @Flag(help: "Print JSON: an array of {file, valid, position, problem}.") var json = false

        /// One file's verdict, for `--json`.
        struct Verdict: Encodable {
            var file: String
            var valid: Bool
            var position: Int64?
            var problem: String?
        }

        func run() throws {
            let catalog = try location.catalog(database: database, logging: logging)
            let urls =
                files.isEmpty
                ? try catalog.directory.files(of: catalog.databaseID).map(\.url)
                : files.map { URL(fileURLWithPath: $0) }
            if urls.isEmpty && !json { print("no snapshots of this database in \(catalog.directory.url.path)") }
            var verdicts: [Verdict] = []
            for url in urls {
                do {
                    let file = try catalog.verify(url)
                    verdicts.append(Verdict(file: url.path, valid: true, position: file.meta.position))
                    if !json { print("ok       \(url.lastPathComponent)  position \(file.meta.position)") }
                } catch {
                    verdicts.append(Verdict(file: url.path, valid: false, problem: "\(error)"))
                    if !json { print("INVALID  \(url.lastPathComponent)  \(error)") }
                }
            }
            if json { try printJSON(verdicts) }
            if verdicts.contains(where: { !$0.valid }) { throw ExitCode(ExitStatus.failure) }
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete all but the newest K snapshots of this database (and abandoned temporary files).",
            discussion: """
                K is at least 1: the newest snapshot is what the next replay starts from.

                Examples:
                  ledger snapshot prune --keep 3
                  ledger snapshot prune --keep 1 --json
                """)

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var logging: LoggingOptions
        @OptionGroup var location: SnapshotLocation
        @Option(help: "Snapshots to keep (newest positions); at least 1.") var keep: Int
        @Flag(help: "Print JSON: {deleted: [file], kept}.") var json = false

        struct Output: Encodable {
            var deleted: [String]
            var kept: Int
        }

        func validate() throws {
            guard keep >= 1 else {
                throw ValidationError(
                    "--keep must be at least 1: the newest snapshot is what replays start from "
                        + "(to start over, delete the files yourself)")
            }
        }

        func run() throws {
            let catalog = try location.catalog(database: database, logging: logging)
            let removed = try catalog.prune(keep: keep)
            let names = removed.map(\.lastPathComponent)
            if json {
                let kept = try catalog.directory.files(of: catalog.databaseID).count
                return try printJSON(Output(deleted: removed.map(\.path), kept: kept))
            }
            print(
                names.isEmpty
                    ? "deleted no snapshots"
                    : "deleted \(names.count) snapshot(s): " + names.joined(separator: ", "))
            print("kept \(try catalog.directory.files(of: catalog.databaseID).count)")
        }
    }
}

/// `--snapshot-dir` of the snapshot subcommands, and the catalog of this database's snapshots there.
struct SnapshotLocation: ParsableArguments {
    @Option(
        name: .customLong("snapshot-dir"),
        help: ArgumentHelp(
            "Directory of snapshot files (default: LEDGER_SNAPSHOT_DIR, else ./snapshots).", valueName: "dir"))
    var snapshotDir: String?
    /// The flag's old name, before every command spelt it `--snapshot-dir`: still accepted, no longer shown.
    @Option(name: .customLong("dir"), help: .hidden) var deprecatedDir: String?

    var dir: String? { snapshotDir ?? deprecatedDir }

    var directory: SnapshotDirectory { resolvedSnapshotDirectory(dir) }

    /// A path that is a file cannot hold snapshots; `create` makes a missing directory.
    func validate() throws {
        _ = try directory.exists(origin: snapshotDirectoryOrigin(dir, flag: "--snapshot-dir"))
    }

    /// The catalog, for the subcommands that only read and delete: a `--snapshot-dir` that does not exist is
    /// a typo, not an empty directory (a missing default or LEDGER_SNAPSHOT_DIR just has no snapshots).
    func catalog(database: DatabaseOptions, logging: LoggingOptions) throws -> SnapshotCatalog {
        if dir != nil { try directory.requireExisting(origin: "--snapshot-dir") }
        return try SnapshotCatalog(
            directory: directory, connection: try database.connect(),
            logger: logging.makeLogger(label: "ledger.snapshot"))
    }
}
