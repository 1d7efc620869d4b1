import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// `ledger partition list|detach|archive|drop|restore|attach`: the partitions of `ledger.events` (migration 018).
struct PartitionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partition",
        abstract: "List the log's partitions; detach, archive, drop and restore old ones, attach them again.",
        discussion: """
            ledger.events is partitioned by position range (docs/0018-partitioned-log.md). New \
            partitions are created ahead by the appends themselves (the partitions always cover at \
            least ledger.event_partitioning.events_per_partition positions beyond the head), so an \
            append never waits for an operator. What an operator does is move old events out of the \
            live log and back:

              detach   takes the oldest attached partition out of ledger.events; its table stays in \
            schema ledger, readable, and every stored id keeps deduplicating (ledger.event_keys). \
            Refused unless it lies wholly below the head and a snapshot recorded in the log covers \
            it (`ledger snapshot create`), since a rebuild must start after it.
              archive  writes a partition's events to a file: one JSON header line, then its rows as \
            PostgreSQL's binary COPY sends them (positions, every hashed field, stored hashes). \
            `ledger verify --archive FILE…` recomputes the chain through the files from event 1 and \
            on through the attached log.
              drop     frees the disk a detached partition takes, once its archive file is shown to \
            hold every byte of its table. It stays listed, as dropped.
              restore  makes a dropped partition's table again from its archive file, detached.
              attach   puts a detached partition back, with its range.

            While a prefix of the log is detached, `ledger verify` needs the archives (--archive) \
            or a trusted --from, `ledger export events` and `ledger rebuild --from-scratch` read \
            the attached events only and stop at the gap; `rebuild` from a snapshot covering the \
            detached range works as before.

            Examples:
              ledger partition list
              ledger snapshot create && ledger partition detach events_p000001
              ledger partition archive events_p000001 --output /archive/events_p000001.ledger
              ledger verify --archive /archive/events_p000001.ledger
              ledger partition drop events_p000001 --archive /archive/events_p000001.ledger
              ledger partition restore /archive/events_p000001.ledger
              ledger partition attach events_p000001
            """,
        subcommands: [List.self, Detach.self, Archive.self, Drop.self, Restore.self, Attach.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every partition the log has had, oldest first.",
            discussion: """
                Each with its positions, whether it is attached, whether its table still exists, \
                its events (the positions of its range at or below the head) and its size on disk.

                Examples:
                  ledger partition list
                  ledger partition list --json
                """)

        @OptionGroup var database: DatabaseOptions
        @Flag(help: "Print the partitions as a JSON array.") var json = false

        func run() throws {
            let partitions = try EventPartitionStore(connection: try database.connect()).list()
            if json { return try printJSON(partitions) }
            print(
                "partition".padded(16) + "positions".padded(26) + "state".padded(10) + "events".leftPadded(12)
                    + "size".leftPadded(12))
            for partition in partitions {
                let state = partition.attached ? "attached" : partition.tableExists ? "detached" : "dropped"
                print(
                    partition.name.padded(16) + "\(partition.firstPosition)…\(partition.lastPosition)".padded(26)
                        + state.padded(10) + String(partition.events).leftPadded(12)
                        + "\(partition.bytes / 1_048_576) MiB".leftPadded(12))
            }
        }
    }

    struct Detach: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take the oldest attached partition out of ledger.events; its table stays.",
            discussion: """
                Refused unless NAME is the oldest attached partition, lies wholly below the head, and \
                a snapshot recorded in the log covers its last position. Takes an ACCESS EXCLUSIVE \
                lock on ledger.events for the moment of the detach (it waits for running reads).

                Examples:
                  ledger partition detach events_p000001
                """)

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The partition, as `ledger partition list` names it.") var name: String

        func run() throws {
            let partition = try EventPartitionStore(connection: try database.connect()).detach(name)
            print(
                "detached \(partition.name) (positions \(partition.firstPosition)…\(partition.lastPosition)); "
                    + "archive it with `ledger partition archive \(partition.name) --output FILE`")
        }
    }

    struct Archive: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a full partition's events to a file that `ledger verify --archive` checks.",
            discussion: """
                The partition may be attached or detached; it must lie wholly below the head. The \
                file is written beside OUTPUT, synced and renamed into place; every position of the \
                range is checked to be there, in order.

                Examples:
                  ledger partition archive events_p000001 --output events_p000001.ledger
                """)

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The partition, as `ledger partition list` names it.") var name: String
        @Option(name: .shortAndLong, help: ArgumentHelp("The archive file to write.", valueName: "file"))
        var output: String
        @Flag(help: "Print the archive's header as JSON.") var json = false

        func run() throws {
            let connection = try database.connect()
            let partition = try EventPartitionStore(connection: connection).partition(named: name)
            let header = try PartitionArchiveFile.write(
                partition, from: connection, to: URL(fileURLWithPath: output))
            if json { return try printJSON(header) }
            print(
                "wrote \(output): \(header.partition), positions \(header.firstPosition)…\(header.lastPosition), "
                    + "\(header.events) events, last hash \(header.lastHash)")
        }
    }

    struct Drop: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop a detached partition's table, once its archive is shown to hold all of it.",
            discussion: """
                Refused unless NAME is detached, FILE is the archive of NAME written from this log \
                (`ledger partition archive`), and the rows after its header are byte for byte what \
                the table holds now; the comparison and the drop run in one transaction holding the \
                table's lock. Keep FILE: `ledger verify --archive` needs it, and `ledger partition \
                restore` makes the table again from it. The events' ids keep deduplicating.

                Examples:
                  ledger partition drop events_p000001 --archive /archive/events_p000001.ledger
                """)

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The partition, as `ledger partition list` names it.") var name: String
        @Option(help: ArgumentHelp("The partition's archive file.", valueName: "file")) var archive: String

        func run() throws {
            let partition = try EventPartitionStore(connection: try database.connect()).drop(name, archive: archive)
            print(
                "dropped the table of \(partition.name) (positions \(partition.firstPosition)…"
                    + "\(partition.lastPosition)); its events are in \(archive)")
        }
    }

    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a dropped partition's table again from its archive file, detached.",
            discussion: """
                FILE must be an archive written from this log of a partition whose table was \
                dropped; every position of the partition's range must be in it, in order. The table \
                comes back detached, with the log's append-only triggers: attach it with `ledger \
                partition attach NAME`, then `ledger verify` checks the chain through it.

                Examples:
                  ledger partition restore /archive/events_p000001.ledger
                  ledger partition attach events_p000001
                """)

        @OptionGroup var database: DatabaseOptions
        @Argument(help: ArgumentHelp("The archive file.", valueName: "file")) var archive: String

        func run() throws {
            let partition = try EventPartitionStore(connection: try database.connect()).restore(from: archive)
            print(
                "restored \(partition.name) (positions \(partition.firstPosition)…\(partition.lastPosition), "
                    + "\(partition.events) events), detached: attach it with "
                    + "`ledger partition attach \(partition.name)`")
        }
    }

    struct Attach: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a detached partition back into ledger.events, with its range.",
            discussion: """
                PostgreSQL reads the table once to check that every row lies in the range. Run \
                `ledger verify` afterwards: the chain is checked through it again.

                Examples:
                  ledger partition attach events_p000001
                """)

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The partition, as `ledger partition list` names it.") var name: String

        func run() throws {
            let partition = try EventPartitionStore(connection: try database.connect()).attach(name)
            print("attached \(partition.name) (positions \(partition.firstPosition)…\(partition.lastPosition))")
        }
    }
}
