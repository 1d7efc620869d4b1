import ArgumentParser
import Foundation
import LedgerCore
import LedgerPostgres

/// `ledger head`: the log's newest position and chain hash.
struct HeadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "head",
        abstract: "Print the newest log position and its chain hash.",
        discussion: """
            The output POS:HASH is a digest of the whole log up to POS: keep it in another \
            system, and `ledger verify --digest POS:HASH` later proves nothing up to POS \
            changed (it recomputes every hash from event 1 and compares the one it computed \
            at POS).

            `ledger verify --from POS:HASH` proves nothing about events up to POS: it only \
            checks that the hash stored at POS equals HASH and recomputes the chain after \
            POS, so an event before POS edited in place goes unnoticed. It is a shortcut for \
            checking recent appends on top of a log already proven with --digest.

            Examples:
              ledger head
              ledger head --json
            """)

    @OptionGroup var database: ReadDatabaseOptions
    @OptionGroup var logging: LoggingOptions
    @Flag(help: "Print JSON: {position, hash, digest, recordedAt}.") var json = false

    struct Output: Encodable {
        var position: Int64
        var hash: String
        var digest: String
        var recordedAt: String?
    }

    func run() throws {
        let connection = try database.connect()
        let store = EventStore(connection: connection)
        let head = try store.head()
        let recordedAt = try store.read(after: head.position - 1, through: head.position, limit: 1).first?.recordedAt
        let output = Output(
            position: head.position, hash: HexEncoding.encode(head.hash), digest: head.digest,
            recordedAt: recordedAt?.description)
        logging.makeLogger(label: "ledger.head").info("read the log head", metadata: ["digest": "\(head.digest)"])
        if json { return try printJSON(output) }
        print(head.digest)
    }
}
