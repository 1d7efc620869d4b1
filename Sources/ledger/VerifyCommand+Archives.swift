import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// `ledger verify --json --archive FILE`: the archives' verifications beside the report.
struct ArchivedAuditReport: Encodable {
    var archives: [ArchiveVerification]
    var report: AuditReport
}

extension VerifyCommand {
    /// Where the log's chain check starts: event 1, or the end of the archives given with `--archive`,
    /// proven through them from event 1 and joined to the log (``ArchiveVerifier``).
    ///
    /// Prints each archive's result (text mode) and fails (exit 1) when an archive does not verify or the
    /// log does not continue it, or when old partitions are detached and neither archives nor `--from`
    /// say where the chain can start.
    func verifyArchives() throws -> (trusted: ChainHead, archives: [ArchiveVerification]) {
        let connection = try database.connect()
        let store = EventStore(connection: connection)
        guard !archives.isEmpty else {
            // A database before migration 018 has no partitions to be detached.
            if from == nil, let detached = try? EventPartitionStore(connection: connection).detachedPrefix() {
                warn(
                    "positions \(detached.lowerBound)…\(detached.upperBound) are in detached partitions "
                        + "(`ledger partition list`): the chain cannot be checked across them without their "
                        + "archives; pass --archive FILE for each (`ledger partition archive`), or --from POS:HASH "
                        + "to start from a digest you trust")
                throw ExitCode(ExitStatus.failure)
            }
            return (.genesis, [])
        }
        let verifier = ArchiveVerifier()
        let verified = try verifier.verify(files: archives, ledgerID: try store.databaseID())
        var results = verified.archives
        if let end = verified.end, let last = results.indices.last {
            switch try verifier.link(end, to: store) {
            case .joined(let trusted):
                report(results)
                if let digest = digest.flatMap(ChainHead.init(digest:)), digest.position < trusted.position {
                    warn(
                        "--digest's position \(digest.position) lies in the archived positions: compare it with "
                            + "the archives' hashes (`ledger partition archive --json` prints the last one)")
                    throw ExitCode(ExitStatus.failure)
                }
                return (trusted, results)
            case .broken(let failure):
                results[last].failure = failure
            }
        }
        report(results)
        if json { try printJSON(["archives": results]) }
        throw ExitCode(ExitStatus.failure)
    }

    /// One line per archive on standard output (text mode only; --json prints them with the report).
    private func report(_ results: [ArchiveVerification]) {
        guard !json else { return }
        for result in results {
            let range = "positions \(result.firstPosition)…\(result.lastPosition)"
            if let failure = result.failure {
                print(
                    "archive    FAILED \(result.file) (\(result.partition), \(range)): position \(failure.position): \(failure.reason)"
                )
            } else {
                print(
                    "archive    ok \(result.file) (\(result.partition), \(range)): \(result.eventsChecked) events recomputed"
                )
            }
        }
    }
}
