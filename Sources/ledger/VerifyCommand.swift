import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// `ledger verify`: recomputes the hash chain and names the first event that does not match.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the event log's hash chain; exit 1 naming the first position that does not match.",
        discussion: """
            Every event's hash is SHA-256 of the previous hash and all of the event's stored
            fields, so a changed byte, a deleted or reordered event is found at its position.
            --from POS:HASH starts from a digest kept elsewhere (from `ledger head`) instead
            of position 1, and first checks that the log still has that hash at POS.
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: ArgumentHelp("Trusted digest to start from, as printed by `ledger head`.", valueName: "pos:hash"))
    var from: String?
    @Flag(help: "Print the report as JSON.") var json = false

    func validate() throws {
        if let from, ChainHead(digest: from) == nil {
            throw ValidationError("--from must be POS:HASH with 64 hex digits, as `ledger head` prints it")
        }
    }

    func run() throws {
        let trusted = from.flatMap { ChainHead(digest: $0) } ?? .genesis
        let database = self.database
        let progress = ProgressLine()
        let started = ContinuousClock.now
        let report = try ChainVerifier(connect: { try database.connect() }).verify(from: trusted) { checked in
            progress.update("verifying… \(checked) events checked")
        }
        progress.finish()
        let seconds = max((ContinuousClock.now - started) / .seconds(1), 1e-9)
        if json {
            try printJSON(report)
        } else if let failure = report.failure {
            print("FAILED at position \(failure.position): \(failure.reason)")
            print("verified \(report.eventsChecked) events through position \(report.verifiedThrough) before it")
        } else {
            print(
                "ok: \(report.eventsChecked) events verified after position \(report.trustedFrom) "
                    + "through \(report.verifiedThrough) (\(Int(Double(report.eventsChecked) / seconds)) events/s)")
        }
        if !report.isValid { throw ExitCode(ExitStatus.failure) }
    }
}
