import ArgumentParser
import Foundation
import LedgerCore
import LedgerPostgres
import Synchronization

/// Where a read-only command reads: a streaming replica (`--read-database-url`, `LEDGER_READ_DATABASE_URL`)
/// or, without one, the primary (``DatabaseOptions``), and how fresh its answer must be.
///
/// On a replica the command first looks at how far it has replayed the log: it waits (bounded by
/// `--replica-wait-seconds`) for `--at-least-position`, and tells standard error the lag against the
/// primary. Write commands take ``DatabaseOptions`` only, so they never write to a replica, whatever
/// the environment says.
struct ReadDatabaseOptions: ParsableArguments {
    @OptionGroup var primary: DatabaseOptions
    @OptionGroup var replica: ReadReplicaOptions

    @Option(
        help: ArgumentHelp(
            "Answer only from a state that includes this log position: wait for the read database to replay it.",
            valueName: "position"))
    var atLeastPosition: Int64?

    func validate() throws {
        if let atLeastPosition, atLeastPosition < 0 {
            throw ValidationError("--at-least-position must be 0 or more")
        }
    }

    private var replicaWaitSeconds: Int { replica.replicaWaitSeconds }

    /// A connection to read with, schema checked; the first one of the process also waits for
    /// `--at-least-position` and reports a replica's lag (later ones cannot see less: replay only
    /// moves forward).
    func connect() throws -> PostgresConnection {
        let readURL = replica.resolvedReadURL
        let connection = try readURL.map { try PostgresConnection(url: $0) } ?? primary.connectWithoutSchemaCheck()
        try SchemaCheck.shared.ensure(connection)
        // Without a replica or a position to wait for, the primary answers as it always has.
        guard readURL != nil || atLeastPosition != nil else { return connection }
        try ReadFreshness.shared.once {
            let side = try ReplicaWait(
                position: atLeastPosition ?? 0, timeout: .seconds(replicaWaitSeconds)
            ).wait { try ReplicaLag.readReplicaSide(connection) }
            guard let readURL else { return }
            let lag = try? measure(side)
            let summary = lag?.summary ?? "replayed through position \(side.position); the primary could not be asked"
            FileHandle.standardError.write(
                Data("ledger: read from \(ConnectionString.redacted(readURL)): \(summary)\n".utf8))
        }
        return connection
    }

    /// The replica's lag against the primary; the primary's lag figures are left out when it cannot be reached.
    private func measure(_ side: ReplicaLag.ReplicaSide) throws -> ReplicaLag {
        let primaryConnection = try? primary.connectWithoutSchemaCheck()
        defer { primaryConnection?.close() }
        do {
            return try ReplicaLag.measure(side, primary: primaryConnection)
        } catch {
            return try ReplicaLag.measure(side, primary: nil)
        }
    }
}

/// A streaming replica to read from, and how long a read waits for it: `--read-database-url` (else
/// `LEDGER_READ_DATABASE_URL`) and `--replica-wait-seconds`, for the read commands and `ledger serve`.
struct ReadReplicaOptions: ParsableArguments {
    @Option(
        name: .customLong("read-database-url"),
        help: ArgumentHelp(
            "A streaming replica to read from (default: LEDGER_READ_DATABASE_URL, else the primary).",
            discussion: "Answers then say how far the replica is behind the primary (positions, WAL bytes, seconds).",
            valueName: "url"))
    var readDatabaseURL: String?

    @Option(
        help: ArgumentHelp(
            "Most seconds a read waits for the position it asks for to be replayed, then fails (0…\(Limits.replicaWaitSecondsMax)).",
            valueName: "seconds"))
    var replicaWaitSeconds = Limits.replicaWaitSecondsDefault

    func validate() throws {
        guard (0...Limits.replicaWaitSecondsMax).contains(replicaWaitSeconds) else {
            throw ValidationError("--replica-wait-seconds must be 0…\(Limits.replicaWaitSecondsMax)")
        }
    }

    /// The replica's URL: the flag, else LEDGER_READ_DATABASE_URL, else nil (read from the primary).
    var resolvedReadURL: String? {
        if let readDatabaseURL, !readDatabaseURL.isEmpty { return readDatabaseURL }
        let fromEnvironment = ProcessInfo.processInfo.environment["LEDGER_READ_DATABASE_URL"]
        return fromEnvironment?.isEmpty == false ? fromEnvironment : nil
    }
}

/// Whether this process has checked its read database's freshness: once, before the first answer.
private final class ReadFreshness: Sendable {
    static let shared = ReadFreshness()
    /// Held during the check, so concurrent first connections (export's readers) wait for one check.
    private let checked = Mutex(false)

    func once(_ body: () throws -> Void) throws {
        try checked.withLock { checked in
            if checked { return }
            try body()
            checked = true
        }
    }
}

/// The log's newest position on the read database, for a progress total; nil when it cannot be read.
func logHeadPosition(_ database: ReadDatabaseOptions) -> Int64? {
    try? EventStore(connection: database.connect()).head().position
}
