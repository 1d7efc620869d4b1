import ArgumentParser
import Foundation
import LedgerCore
import LedgerGenerator

/// `ledger generate`: writes a deterministic, realistic Stripe webhook event history as JSONL.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a deterministic Stripe webhook event history (JSONL) for demos, tests and benchmarks.",
        discussion: """
            Simulates N customers over M months: sign-ups spread over the period, trials that \
            convert, lapse or pause, plan changes, renewals, failed payments with retries that \
            recover or end unpaid/canceled, refunds (refund objects and charge.refunded), disputes \
            won and lost, coupons, interval changes (monthly, quarterly, yearly), cancellations at \
            period end and paused collection; about one customer in a hundred is test-mode (livemode false) \
            in an otherwise live history. Each subscription's metadata carries `license_id` and `plan_type`.

            Output format: one complete Stripe event envelope per line (id `evt_…`, object, \
            api_version, created, data.object, data.previous_attributes on *.updated events, \
            livemode, pending_webhooks, request, type), in delivery order. The same arguments \
            always give the same bytes.

            --api-version 2020-08-27 produces the pre-2025 shapes (current_period_* on the \
            subscription; invoice.subscription/payment_intent/charge/paid); 2026-07-29 the \
            current ones (current_period_* on items; invoice.parent.subscription_details; \
            invoice_payment.paid events linking invoices to payment intents).

            Examples:
              ledger generate --customers 20000 --months 24 --seed 1 --out events.jsonl \\
                    --fixtures-sql fixtures.sql
              ledger generate --customers 10 --months 3 --seed 7 --duplicates 0.1 --shuffle 0.1
            """
    )

    @OptionGroup var logging: LoggingOptions

    @Option(help: "Number of customers, one subscription each (1…\(Limits.generateCustomersMax)).")
    var customers: Int

    @Option(help: "Length of the simulated period in months (1…\(Limits.generateMonthsMax)).")
    var months: Int

    @Option(help: "PRNG seed (unsigned 64-bit); the output is a function of all arguments.")
    var seed: UInt64

    @Option(
        name: .customLong("api-version"),
        help:
            "Stripe API version of the payload shapes: \(HistoryGenerator.APIVersion.allCases.map(\.rawValue).joined(separator: " or "))."
    )
    var apiVersion: String = HistoryGenerator.APIVersion.v2026_07_29.rawValue

    @Option(
        help:
            "Fraction (0…1) of events delivered again later, byte-identical, at most \(Limits.generateDuplicateDistanceEventsMax) deliveries after."
    )
    var duplicates: Double = 0

    @Option(
        help:
            "Fraction (0…1) of events delivered late, at most \(Limits.generateShuffleDistanceEventsMax) deliveries after their place in time order."
    )
    var shuffle: Double = 0

    @Option(help: "First day of the simulated period, YYYY-MM-DD (UTC).")
    var start: String = "2025-01-01"

    @Option(help: "Write the JSONL to this file instead of standard output.")
    var out: String?

    @Option(
        name: .customLong("fixtures-sql"),
        help: "Also write SQL inserting the users and licenses the subscriptions reference (idempotent).")
    var fixturesSQL: String?

    func validate() throws {
        _ = try makeGenerator()
    }

    func run() throws {
        let generator = try makeGenerator()
        let output = try ChunkedOutput(path: out)
        var count = 0
        for event in generator.events() {
            try output.append(event.json)
            try output.append(ChunkedOutput.newline)
            count += 1
        }
        try output.finish()
        if let fixturesSQL {
            let sql = try ChunkedOutput(path: fixturesSQL)
            for statement in generator.fixturesSQL() {
                try sql.append(Array(statement.utf8))
            }
            try sql.finish()
        }
        let destination = out ?? "standard output"
        logging.makeLogger(label: "ledger.generate").info(
            "generated a history", metadata: ["deliveries": "\(count)", "seed": "\(seed)"])
        FileHandle.standardError.write(Data("generated \(count) event deliveries to \(destination)\n".utf8))
    }

    private func makeGenerator() throws -> HistoryGenerator {
        do {
            let configuration = HistoryGenerator.Configuration(
                customers: customers, months: months, seed: seed,
                apiVersion: try HistoryGenerator.apiVersion(apiVersion),
                duplicateProbability: duplicates, shuffleProbability: shuffle,
                startSeconds: try HistoryGenerator.Configuration.startSeconds(day: start))
            return try HistoryGenerator(configuration)
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// An output file that cannot be created or written; a failure (exit 1), not a usage error.
private struct OutputError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Buffers output and writes it in chunks of at least `Limits.generateOutputChunkBytesMin`, not a syscall per line.
private final class ChunkedOutput {
    private let handle: FileHandle
    private let path: String?
    private var buffer: [UInt8] = []
    static let newline: [UInt8] = [0x0A]

    init(path: String?) throws {
        self.path = path
        if let path {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw OutputError(message: "cannot create \(path)")
            }
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw OutputError(message: "cannot open \(path) for writing")
            }
            self.handle = handle
        } else {
            handle = FileHandle.standardOutput
        }
        buffer.reserveCapacity(Limits.generateOutputChunkBytesMin * 2)
    }

    func append(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Limits.generateOutputChunkBytesMin { try flush() }
    }

    func finish() throws {
        try flush()
        if path != nil { try handle.close() }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        do {
            try handle.write(contentsOf: Data(buffer))
        } catch {
            throw OutputError(message: "cannot write \(path ?? "standard output"): \(error.localizedDescription)")
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
