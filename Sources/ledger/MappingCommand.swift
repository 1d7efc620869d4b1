import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// `ledger mapping`: the rules that give a Stripe subscription its row's `license_id` and `plan_type`.
struct MappingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mapping",
        abstract: "Show or change how Stripe subscriptions get their license_id and plan_type.",
        discussion: """
            The mapping is recorded in the log (a `ledger.mapping_set` event on the stream \
            ledger:mapping), so a rebuild maps every event exactly as the catch-up did. Until \
            one is set, a ledger reads the default: license from metadata.license_id (a UUID \
            of licenses.id), plan type from metadata.plan_type. Each list of rules is tried in \
            order; the first rule that finds a value decides, and a value found but invalid \
            (not a UUID, not a plan type) parks the subscription with that reason.

            License rules:    metadata-id:KEY   metadata.KEY holds licenses.id (a UUID)
                              license-key:KEY   metadata.KEY holds licenses.license_key
            Plan type rules:  metadata:KEY      metadata.KEY holds free, starter, pro or enterprise
                              price             the --price table, by the items' price (or plan) id
                              lookup-key        the --lookup-key table, by the prices' lookup_key
                              product           the --product table, by the prices' product id
                              license           the license's own licenses.plan_type

            Examples:
              ledger mapping
              ledger mapping set --license license-key:account --plan-type license \\
                    --reason "our app keys licenses by account key" --dry-run
              ledger mapping set --plan-type metadata:plan_type --plan-type price \\
                    --price price_1Pro=pro --price price_1Team=enterprise --reason "legacy subscriptions"
            """,
        subcommands: [Show.self, SetMapping.self],
        defaultSubcommand: Show.self)

    /// The mapping in effect as JSON.
    struct Output: Encodable {
        var mapping: ProjectionMapping
        /// The position of the setting in effect; absent for the default.
        var position: Int64?
        var settings: [Setting]

        struct Setting: Encodable {
            var position: Int64
            var actor: String
            var reason: String
            var mapping: ProjectionMapping
        }
    }

    /// `ledger mapping show`.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the mapping in effect and every setting the log records.",
            discussion: """
                Examples:
                  ledger mapping
                  ledger mapping show --json
                """)

        @OptionGroup var database: ReadDatabaseOptions
        @OptionGroup var logging: LoggingOptions
        @Flag(help: "Print JSON: {mapping, position, settings}.") var json = false

        func run() throws {
            let settings = try EventStore(connection: try database.connect()).mappingSettings()
            let current = settings.last
            let output = Output(
                mapping: current?.setting.mapping ?? .default, position: current?.position,
                settings: settings.map {
                    Output.Setting(
                        position: $0.position, actor: $0.setting.actor, reason: $0.setting.reason,
                        mapping: $0.setting.mapping)
                })
            if json { return try printJSON(output) }
            print(
                current.map { "mapping set at position \($0.position)" }
                    ?? "default mapping (no `ledger mapping set` in the log)")
            MappingCommand.printRules(output.mapping)
            guard !settings.isEmpty else { return }
            print("\nsettings (\(settings.count))")
            for setting in output.settings {
                print("  position \(setting.position) by \(setting.actor): \(setting.reason)")
            }
        }
    }

    /// `ledger mapping set`.
    struct SetMapping: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Record a new mapping in the log (says first how many rows it re-maps).",
            discussion: """
                A list not given keeps the one in effect. The new mapping applies from its \
                position on: the live projector re-maps every subscription when it reaches it, \
                `ledger rebuild` reproduces it. Before appending, the state at the head is \
                replayed (from the newest snapshot) to count the rows that would change; \
                --dry-run stops there. Nothing is appended when the mapping is already in effect.

                Examples:
                  ledger mapping set --license license-key:account --reason "keyed by account" --dry-run
                  ledger mapping set --plan-type price --price price_1Pro=pro --reason "no metadata"
                """)

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var logging: LoggingOptions
        @OptionGroup var snapshots: SnapshotDirectoryOption
        @Option(
            name: .customLong("license"),
            help: ArgumentHelp("A license rule, in the order to try them (repeat).", valueName: "rule"))
        var licenseRules: [String] = []
        @Option(
            name: .customLong("plan-type"),
            help: ArgumentHelp("A plan type rule, in the order to try them (repeat).", valueName: "rule"))
        var planTypeRules: [String] = []
        @Option(
            name: .customLong("price"), help: ArgumentHelp("A price table entry (repeat).", valueName: "id=plan"))
        var prices: [String] = []
        @Option(
            name: .customLong("lookup-key"),
            help: ArgumentHelp("A lookup key table entry (repeat).", valueName: "key=plan"))
        var lookupKeys: [String] = []
        @Option(
            name: .customLong("product"), help: ArgumentHelp("A product table entry (repeat).", valueName: "id=plan"))
        var products: [String] = []
        @Option(help: "Why, kept in the event (required).") var reason: String
        @Option(help: "Who decided, kept in the event (default: the USER of this process).")
        var actor = ProcessInfo.processInfo.environment["USER"] ?? "unknown"
        @Flag(help: "Count the rows the mapping would change; append nothing.") var dryRun = false
        @Flag(help: "Print JSON: {impact, head, appended, position}.") var json = false

        func validate() throws {
            if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw ValidationError("--reason must say why the mapping changes")
            }
            if licenseRules.isEmpty, planTypeRules.isEmpty {
                throw ValidationError("give at least one --license or --plan-type rule")
            }
            _ = try rules(replacing: .default)
        }

        /// The mapping this command states: its lists, or `current`'s where it gives none.
        func rules(replacing current: ProjectionMapping) throws -> ProjectionMapping {
            var mapping = current
            if !licenseRules.isEmpty {
                mapping.license = try licenseRules.map { text in
                    guard let rule = ProjectionMapping.LicenseRule(text: text) else {
                        throw ValidationError(
                            "--license '\(text)' is not metadata-id:KEY or license-key:KEY")
                    }
                    return rule
                }
            }
            let tables = (
                price: try Self.table(prices, flag: "--price"),
                lookupKey: try Self.table(lookupKeys, flag: "--lookup-key"),
                product: try Self.table(products, flag: "--product")
            )
            if !planTypeRules.isEmpty {
                mapping.planType = try planTypeRules.map { text in
                    switch text {
                    case "price": return .priceID(try Self.required(tables.price, rule: text, flag: "--price"))
                    case "lookup-key":
                        return .lookupKey(try Self.required(tables.lookupKey, rule: text, flag: "--lookup-key"))
                    case "product": return .productID(try Self.required(tables.product, rule: text, flag: "--product"))
                    case "license": return .license
                    default:
                        guard text.hasPrefix("metadata:"), text.count > "metadata:".count else {
                            throw ValidationError(
                                "--plan-type '\(text)' is not metadata:KEY, price, lookup-key, product or license")
                        }
                        return .metadata(key: String(text.dropFirst("metadata:".count)))
                    }
                }
            }
            for (flag, entries, rule) in [
                ("--price", tables.price, "price"), ("--lookup-key", tables.lookupKey, "lookup-key"),
                ("--product", tables.product, "product"),
            ] where !entries.isEmpty && !planTypeRules.contains(rule) {
                throw ValidationError("\(flag) entries need `--plan-type \(rule)`, placed where it should be tried")
            }
            for list in [mapping.license.map(\.description), mapping.planType.map(\.description)]
            where Set(list).count != list.count {
                throw ValidationError("a rule is given twice: \(list.joined(separator: ", "))")
            }
            return mapping
        }

        private static func table(_ entries: [String], flag: String) throws -> [String: PlanType] {
            var table: [String: PlanType] = [:]
            for entry in entries {
                guard let equals = entry.lastIndex(of: "="), equals != entry.startIndex,
                    let plan = PlanType(rawValue: String(entry[entry.index(after: equals)...]))
                else {
                    throw ValidationError(
                        "\(flag) '\(entry)' is not ID=PLAN with PLAN free, starter, pro or enterprise")
                }
                let key = String(entry[..<equals])
                guard table.updateValue(plan, forKey: key) == nil else {
                    throw ValidationError("\(flag) names \(key) twice")
                }
            }
            return table
        }

        private static func required(_ table: [String: PlanType], rule: String, flag: String) throws
            -> [String: PlanType]
        {
            guard !table.isEmpty else { throw ValidationError("--plan-type \(rule) needs \(flag) ID=PLAN entries") }
            return table
        }

        struct Output: Encodable {
            var mapping: ProjectionMapping
            var impact: MappingImpact
            var head: Int64
            var appended: Bool
            var position: Int64?
        }

        func run() throws {
            let connection = try database.connect()
            let store = EventStore(connection: connection)
            let current = try store.currentMapping()
            let mapping = try rules(replacing: current.mapping)
            if mapping == current.mapping {
                let output = Output(
                    mapping: mapping,
                    impact: .nothing,
                    head: try store.head().position, appended: false, position: current.position)
                if json { return try printJSON(output) }
                return print("this mapping is already in effect; nothing appended")
            }
            let policy = SnapshotPolicy(directory: snapshots.directory, replayFromSnapshots: true)
            let (impact, head) = try MappingPlanner(
                connect: { try database.connect() }, snapshots: policy,
                logger: logging.makeLogger(label: "ledger.mapping")
            ).impact(of: mapping)
            var output = Output(mapping: mapping, impact: impact, head: head, appended: false, position: nil)
            if !dryRun {
                let now = EventTime(Date())
                let setting = MappingSetting(mapping: mapping, reason: reason, actor: actor)
                let event = NewEvent(
                    eventID: UUID(), streamID: MappingSetting.streamID, type: MappingSetting.type,
                    source: EventSource.ledger, occurredAt: now, body: try setting.body())
                let outcome = try store.append(
                    AppendBatch(events: [event], origins: ["ledger mapping set"]), recordedAt: now)[0]
                guard case .appended(let position, _) = outcome else {
                    throw ValidationError("the mapping event was not appended: \(outcome)")
                }
                output.appended = true
                output.position = position
                logging.makeLogger(label: "ledger.mapping").info(
                    "mapping set", metadata: ["position": "\(position)", "remapped": "\(impact.remapped)"])
            }
            if json { return try printJSON(output) }
            print(MappingCommand.describe(impact, head: head, dryRun: dryRun))
            MappingCommand.printRules(mapping)
            if let position = output.position {
                print("\nrecorded at position \(position); `ledger project` (or the running server) applies it")
            } else {
                print("\ndry run: nothing appended")
            }
        }
    }

    static func describe(_ impact: MappingImpact, head: Int64, dryRun: Bool) -> String {
        let verb = dryRun ? "would re-map" : "re-maps"
        var text =
            "at the head (position \(head)) this mapping \(verb) \(impact.remapped) of \(impact.subscriptions) "
            + "subscriptions: \(impact.licenseChanged) change license_id, \(impact.planTypeChanged) change "
            + "plan_type, \(impact.gainRow) get a row, \(impact.loseRow) lose theirs (parked)"
        if !impact.examples.isEmpty { text += "\n  e.g. " + impact.examples.joined(separator: ", ") }
        return text
    }

    static func printRules(_ mapping: ProjectionMapping) {
        print("  license:   " + mapping.license.map(\.description).joined(separator: ", then "))
        print("  plan_type: " + mapping.planType.map(\.description).joined(separator: ", then "))
        for rule in mapping.planType {
            let entries: [String: PlanType]
            switch rule {
            case .priceID(let table), .lookupKey(let table), .productID(let table): entries = table
            case .metadata, .license: continue
            }
            let name = rule.description.prefix { $0 != " " }
            for (key, plan) in entries.sorted(by: { $0.key < $1.key }) {
                print("    \(name) \(key) → \(plan.rawValue)")
            }
        }
    }
}
