import ArgumentParser
import Foundation
import LedgerCore
import LedgerPostgres

/// `ledger correct …`: records a human decision the projection reads (a native event on the object's stream).
struct CorrectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "correct",
        abstract: "Correct a subscription or payment through the log: license, plan type, exclusion, refund.",
        discussion: """
            Each correction is a native event (source `ledger`) appended to the corrected \
            object's own stream, with who decided (--actor, default $USER) and why (--reason, \
            required), so `ledger history` of the object lists it and `rebuild`, snapshots and \
            `verify` reproduce it. A correction outranks every Stripe event for the field it \
            corrects, earlier or later, until a newer correction of the same field replaces or \
            withdraws it; an exclusion outranks everything until `include`; out-of-band refunds \
            add to Stripe's, up to the payment's amount. docs/0015-corrections.md has the rules. \
            `ledger project` applies a correction; `serve` does on its own.

            Refused (exit 1) for an object the log holds no event of: check the id.

            Examples:
              ledger correct license sub_1MowQV --license UUID --reason "ticket 4411"
              ledger correct license sub_1MowQV --clear --reason "fixed in Stripe"
              ledger correct plan-type sub_1MowQV --plan pro --reason "sold as pro"
              ledger correct exclude sub_1MowQV --reason "test object in live"
              ledger correct include sub_1MowQV --reason "excluded by mistake"
              ledger correct refund pi_3MtwBw --amount-cents 1500 --reason "bank transfer"
            """,
        subcommands: [License.self, PlanTypeCorrection.self, Exclude.self, Include.self, Refund.self])

    /// What every correction takes besides its fact.
    struct Options: ParsableArguments {
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var logging: LoggingOptions
        @Option(help: "Why, kept in the event (required, not empty).") var reason: String
        @Option(help: "Who decided, kept in the event (default: the USER of this process).")
        var actor = ProcessInfo.processInfo.environment["USER"] ?? "unknown"
        @Flag(help: "Print JSON: {stream, type, position, actor, reason, value, dry_run}.") var json = false
        @Flag(help: "Check the correction and print the event without appending it.") var dryRun = false

        /// Refuses a correction the projection would not read, before anything connects.
        func check(_ correction: Correction) throws {
            if let problem = correction.problem { throw ValidationError(problem) }
        }

        /// Appends `correction` to its object's stream, or only prints it with --dry-run.
        func record(_ correction: Correction) throws {
            let store = EventStore(connection: try database.connect())
            guard try store.hasEvents(inStream: correction.streamID) else {
                FileHandle.standardError.write(
                    Data(
                        "error: the log holds no event of \(correction.streamID): check the id (a correction names an object Stripe sent)\n"
                            .utf8))
                throw ExitCode(ExitStatus.failure)
            }
            let now = EventTime(Date())
            // The customer of the stream, so audits by customer (`ledger history cus_…`) replay the correction too.
            let event = NewEvent(
                eventID: UUID(), streamID: correction.streamID, type: correction.fact.kind.rawValue,
                source: EventSource.ledger, occurredAt: now,
                customerID: try store.customer(ofStream: correction.streamID), body: try correction.body())
            var output = Output(correction, position: nil, dryRun: dryRun)
            if !dryRun {
                let outcome = try store.append(
                    AppendBatch(events: [event], origins: ["ledger correct"]), recordedAt: now)[0]
                guard case .appended(let position, _) = outcome else {
                    throw ValidationError("the correction was not appended: \(outcome)")
                }
                output.position = position
                logging.makeLogger(label: "ledger.correct").info(
                    "correction recorded",
                    metadata: ["type": "\(output.type)", "stream": "\(output.stream)", "position": "\(position)"])
            }
            if json { return try printJSON(output) }
            let value = output.value.map { " \($0)" } ?? ""
            guard let position = output.position else {
                return print("dry run: would append \(output.type)\(value) to \(output.stream); nothing appended")
            }
            print(
                "recorded \(output.type)\(value) on \(output.stream) at position \(position) (by \(actor)); "
                    + "`ledger project` applies it")
        }
    }

    /// What a correction command prints.
    struct Output: Encodable {
        var stream: String
        var type: String
        var position: Int64?
        var actor: String
        var reason: String
        var value: String?
        var dryRun: Bool

        init(_ correction: Correction, position: Int64?, dryRun: Bool) {
            stream = correction.streamID
            type = correction.fact.kind.rawValue
            self.position = position
            actor = correction.actor
            reason = correction.reason
            value = correction.fact.value
            self.dryRun = dryRun
        }
    }

    /// The object a Stripe id names: `sub_…` a subscription, `pi_…` a payment.
    static func object(_ id: String) throws -> ProjectionObjectKey {
        if id.hasPrefix("sub_") { return .subscription(id) }
        if id.hasPrefix("pi_") { return .payment(id) }
        throw ValidationError("'\(id)' is neither a subscription id (sub_…) nor a PaymentIntent id (pi_…)")
    }

    /// `ledger correct license SUB_ID --license UUID | --clear`.
    struct License: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Assign a license to a subscription (clears a park for a missing or invalid license id).",
            discussion: """
                The license must exist in `licenses` for the row to be written, as for any \
                subscription. --clear withdraws the correction: the mapping's license applies again.

                Examples:
                  ledger correct license sub_1MowQV --license UUID --reason "ticket 4411"
                  ledger correct license sub_1MowQV --clear --reason "fixed" --json
                """)

        @OptionGroup var options: Options
        @Argument(help: ArgumentHelp("The subscription (sub_…).", valueName: "subscription")) var subscription: String
        @Option(help: ArgumentHelp("The license's id (licenses.id).", valueName: "uuid")) var license: String?
        @Flag(help: "Withdraw the license correction.") var clear = false

        func correction() throws -> Correction {
            let fact: Correction.Fact
            switch (license, clear) {
            case (let text?, false):
                guard let id = UUID(uuidString: text) else { throw ValidationError("--license must be a UUID") }
                fact = .license(id)
            case (nil, true): fact = .licenseWithdrawn
            default: throw ValidationError("give either --license UUID or --clear")
            }
            return Correction(
                object: .subscription(subscription), fact: fact, actor: options.actor, reason: options.reason)
        }

        func validate() throws { try options.check(try correction()) }
        func run() throws { try options.record(try correction()) }
    }

    /// `ledger correct plan-type SUB_ID --plan PLAN | --clear`.
    struct PlanTypeCorrection: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan-type",
            abstract: "Override a subscription's plan type (free, starter, pro, enterprise).",
            discussion: """
                --clear withdraws the override: the mapping's plan type applies again.

                Examples:
                  ledger correct plan-type sub_1MowQV --plan enterprise --reason "contract 2026-17"
                  ledger correct plan-type sub_1MowQV --clear --reason "price now mapped"
                """)

        @OptionGroup var options: Options
        @Argument(help: ArgumentHelp("The subscription (sub_…).", valueName: "subscription")) var subscription: String
        @Option(help: ArgumentHelp("free, starter, pro or enterprise.", valueName: "plan")) var plan: String?
        @Flag(help: "Withdraw the plan-type correction.") var clear = false

        func correction() throws -> Correction {
            let fact: Correction.Fact
            switch (plan, clear) {
            case (let text?, false):
                guard let plan = PlanType(rawValue: text) else {
                    throw ValidationError("--plan must be one of free, starter, pro, enterprise")
                }
                fact = .planType(plan)
            case (nil, true): fact = .planTypeWithdrawn
            default: throw ValidationError("give either --plan PLAN or --clear")
            }
            return Correction(
                object: .subscription(subscription), fact: fact, actor: options.actor, reason: options.reason)
        }

        func validate() throws { try options.check(try correction()) }
        func run() throws { try options.record(try correction()) }
    }

    /// `ledger correct exclude OBJECT_ID`.
    struct Exclude: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Exclude a subscription or payment from the billing tables (no row) until `include`.",
            discussion: """
                For an object that is not billing (a test object in a live ledger, …). A payment \
                of an excluded subscription keeps `subscription_id` NULL.

                Examples:
                  ledger correct exclude sub_1MowQV --reason "internal test subscription"
                  ledger correct exclude pi_3MtwBw --reason "duplicate import" --dry-run
                """)

        @OptionGroup var options: Options
        @Argument(help: ArgumentHelp("sub_… or pi_….", valueName: "object")) var object: String

        func correction() throws -> Correction {
            Correction(
                object: try CorrectCommand.object(object), fact: .excluded, actor: options.actor, reason: options.reason
            )
        }

        func validate() throws { try options.check(try correction()) }
        func run() throws { try options.record(try correction()) }
    }

    /// `ledger correct include OBJECT_ID`.
    struct Include: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Undo `ledger correct exclude`: the object's events make its row again.",
            discussion: """
                Examples:
                  ledger correct include sub_1MowQV --reason "excluded by mistake"
                """)

        @OptionGroup var options: Options
        @Argument(help: ArgumentHelp("sub_… or pi_….", valueName: "object")) var object: String

        func correction() throws -> Correction {
            Correction(
                object: try CorrectCommand.object(object), fact: .included, actor: options.actor, reason: options.reason
            )
        }

        func validate() throws { try options.check(try correction()) }
        func run() throws { try options.record(try correction()) }
    }

    /// `ledger correct refund PI_ID --amount-cents N`.
    struct Refund: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a refund Stripe cannot send (money returned outside Stripe, e.g. a bank transfer).",
            discussion: """
                Adds to the payment's `refunded_amount_cents` on top of Stripe's own refunds, never \
                past its amount; a payment refunded in full is `refunded`. Refunds add up: record \
                each once.

                Examples:
                  ledger correct refund pi_3MtwBw --amount-cents 1500 --reason "wire back"
                """)

        @OptionGroup var options: Options
        @Argument(help: ArgumentHelp("The payment (pi_…).", valueName: "payment-intent")) var paymentIntent: String
        @Option(help: ArgumentHelp("The amount returned, in the payment's currency's cents.", valueName: "cents"))
        var amountCents: Int64

        func correction() throws -> Correction {
            Correction(
                object: .payment(paymentIntent), fact: .refund(amountCents: amountCents), actor: options.actor,
                reason: options.reason)
        }

        func validate() throws { try options.check(try correction()) }
        func run() throws { try options.record(try correction()) }
    }
}
