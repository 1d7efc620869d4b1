import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

/// The partitioned log (migration 018, docs/0018-partitioned-log.md): same positions, hashes and
/// uniqueness as one table, partitions ready before any append needs them.
@Suite("event log: partitions")
struct EventPartitionTests {
    /// The smallest partition the schema allows, so a few batches cross several boundaries.
    static let partitionEvents: Int64 = 5_000

    func usePartitions(of size: Int64, _ connection: PostgresConnection) throws {
        try connection.execute("SELECT ledger.set_events_per_partition(\(size))")
    }

    /// Random batches (1…1,500 events, some streams shared, a few redeliveries by event id or by Stripe id,
    /// some payment links and refunds among them, see ``randomObject(_:)``) from one seed.
    func randomBatches(seed: UInt64, events total: Int) throws -> [AppendBatch] {
        var random = SeededGenerator(seed: seed)
        var batches: [AppendBatch] = []
        var sent: [NewEvent] = []
        var count = 0
        while count < total {
            var events: [NewEvent] = []
            for _ in 0..<(1 + random.below(1_500)) {
                if !sent.isEmpty, random.chance(3) {
                    events.append(random.pick(sent))
                    continue
                }
                let stripe = random.chance(50)
                let (type, body) = randomObject(&random)
                let event = NewEvent(
                    eventID: UUID(uuid: UUID.random(&random)), streamID: "s:\(random.below(300))",
                    type: type, source: stripe ? "stripe" : "ledger",
                    sourceEventID: stripe ? "evt_\(random.next())" : nil,
                    occurredAt: EventTime(secondsSinceEpoch: 1_700_000_000 + Int64(random.below(1_000_000))),
                    customerID: random.chance(80) ? "cus_\(random.below(50))" : nil,
                    body: Array(body.utf8), metadata: "{}")
                events.append(event)
                sent.append(event)
            }
            count += events.count
            batches.append(try AppendBatch(events: events))
        }
        return batches
    }

    /// A random event type and body: mostly plain, else an `invoice_payment`, refund or dispute object naming
    /// a few invoices, intents and charges (as ids or expanded objects, some missing), or a body no link can be
    /// read from.
    func randomObject(_ random: inout SeededGenerator) -> (type: String, body: String) {
        func id(_ prefix: String) -> String {
            let id = "\(prefix)_\(random.below(20))"
            return switch random.below(4) {
            case 0: #"{"id":"\#(id)"}"#
            case 1: "null"
            default: #""\#(id)""#
            }
        }
        return switch random.below(12) {
        case 0, 1:
            (
                "invoice_payment.paid",
                #"{"data":{"object":{"invoice":\#(id("in")),"payment":{"payment_intent":\#(id("pi"))}}}}"#
            )
        case 2: ("refund.created", #"{"data":{"object":{"payment_intent":\#(id("pi")),"charge":\#(id("ch"))}}}"#)
        case 3: ("charge.dispute.created", #"{"data":{"object":{"charge":\#(id("ch"))}}}"#)
        case 4:
            (
                ["invoice_payment.paid", "refund.updated"][random.below(2)],
                ["not json", "[1]", #"{"data":7}"#][random.below(3)]
            )
        default: ("test.happened", "{\"n\":\(random.next())}")
        }
    }

    /// Every stored event, in position order.
    func readAll(_ store: EventStore) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        while case let page = try store.read(after: events.last?.position ?? 0), !page.isEmpty {
            events += page
        }
        return events
    }

    /// A payment's events are found outside the partitions (migration 020): a payment read visits only the
    /// partitions that hold its events and fetches only those events, however many partitions the log has and
    /// however often it is read (prepared, past the runs after which PostgreSQL may settle on a generic plan).
    /// Counted by the server (`pg_stat_user_tables`): through the partitioned link indexes each read scanned an
    /// index of every partition, and 6d31a32's generic plans walked the partitions' primary keys and fetched
    /// every event of them (200,100 rows for 20 reads of a 20,000-event log).
    @Test func paymentReadsVisitOnlyThePartitionsHoldingTheirEvents() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            try usePartitions(of: Self.partitionEvents, connection)
            let store = EventStore(connection: connection)
            // Four full partitions; the payment's events lie in the first and the third: every third one links
            // invoice in_own to intent pi_own, every third one refunds pi_own's charge ch_own.
            for round in 0..<4 {
                let events = (0..<Limits.appendBatchEventsMax).map { index in
                    let n = round * Limits.appendBatchEventsMax + index
                    let own = round % 2 == 0 && n % 1_000 == 0
                    let (type, object) =
                        switch own ? n / 1_000 % 3 : 0 {
                        case 1: ("invoice_payment.paid", #"{"invoice":"in_own","payment":{"payment_intent":"pi_own"}}"#)
                        case 2: ("refund.created", #"{"payment_intent":"pi_own","charge":"ch_own"}"#)
                        default:
                            ("invoice_payment.paid", #"{"invoice":"in_\#(n)","payment":{"payment_intent":"pi_\#(n)"}}"#)
                        }
                    return NewEvent(
                        eventID: UUID(), streamID: "s:\(n % 37)", type: type, source: "ledger", sourceEventID: nil,
                        occurredAt: EventTime(secondsSinceEpoch: 1_700_000_000),
                        body: Array(#"{"data":{"object":\#(object)}}"#.utf8))
                }
                try store.append(AppendBatch(events: events), recordedAt: testTime)
            }
            try connection.execute("ANALYZE ledger.events, ledger.event_links")
            /// Index scans and rows handed out (to sequential and index scans) so far, by partition.
            func partitionStats() throws -> [String: (scans: Int64, rows: Int64)] {
                _ = try connection.query("SELECT pg_stat_force_next_flush(), pg_stat_clear_snapshot()")
                let rows = try connection.query(
                    """
                    SELECT relname, coalesce(idx_scan, 0), seq_tup_read + coalesce(idx_tup_fetch, 0)
                    FROM pg_stat_user_tables WHERE schemaname = 'ledger' AND relname LIKE 'events\\_p%'
                    """)
                return try Dictionary(
                    uniqueKeysWithValues: rows.map {
                        (
                            try $0.decode(String.self, at: 0),
                            (try $0.decode(Int64.self, at: 1), try $0.decode(Int64.self, at: 2))
                        )
                    })
            }
            #expect(try partitionStats().count >= 4, "four full partitions")
            /// The partitions whose indexes `read` scanned, once PostgreSQL has settled on a generic plan for it
            /// (after five runs planned for their parameters), as on a long-lived connection (`ledger serve`, the
            /// console).
            func visited(_ read: () throws -> Void) throws -> (partitions: [String], rows: Int64) {
                for _ in 0..<5 { try read() }
                let before = try partitionStats()
                for _ in 0..<5 { try read() }
                let after = try partitionStats()
                let scanned = after.filter { $0.value.scans > before[$0.key]?.scans ?? 0 }.keys.sorted()
                return (scanned, after.reduce(0) { $0 + $1.value.rows - (before[$1.key]?.rows ?? 0) })
            }
            let reads: [(name: String, answer: [Int64], read: () throws -> [Int64])] = [
                (
                    "invoice payments, found by either end, each read once", [1_001, 4_001, 10_001, 13_001],
                    {
                        try store.readInvoicePayments(
                            invoices: ["in_own"], paymentIntents: ["pi_own"], through: .everything
                        ).map(\.position)
                    }
                ),
                (
                    "invoice payments through a cut", [1_001, 4_001],
                    {
                        try store.readInvoicePayments(
                            invoices: ["in_own"], paymentIntents: [], through: AuditCut(position: 10_000)
                        ).map(\.position)
                    }
                ),
                (
                    "adjustments", [2_001, 11_001, 14_001],
                    {
                        try store.readAdjustments(paymentIntents: ["pi_own"], charges: ["ch_own"], through: .everything)
                            .map(\.position)
                    }
                ),
                (
                    "no such payment", [],
                    {
                        try store.readAdjustments(paymentIntents: ["pi_none"], charges: [], through: .everything)
                            .map(\.position)
                    }
                ),
            ]
            for (name, answer, read) in reads {
                var answers: [[Int64]] = []
                let (scanned, rows) = try visited { answers.append(try read()) }
                #expect(answers.allSatisfy { $0 == answer }, "\(name): \(answers.first ?? [])")
                let holding = Set(answer.map { String(format: "events_p%06d", ($0 - 1) / Self.partitionEvents + 1) })
                #expect(Set(scanned) == holding, "\(name) scanned \(scanned)")
                #expect(rows == 5 * Int64(answer.count), "\(name): \(rows) rows fetched for 5 reads")
            }
        }
    }

    /// Migration 020 fills `ledger.event_links` from a log already stored, attached partitions and detached ones
    /// alike, with the rows appends record from then on; and the payment reads through it answer what 019's
    /// reads of the log itself answered, at any cut, seeing attached partitions only.
    @Test func theLinksCoverTheStoredLogAndReadsAnswerAsTheLogsOwnFilter() async throws {
        let seed = TestSeed.value(default: 20_001)
        let batches = try randomBatches(seed: seed, events: 16_000)
        try await TestDatabase.with { database in
            let connection = try database.connect()
            let runner = try database.migrationRunner(connection)
            try runner.up(to: 19)
            try usePartitions(of: Self.partitionEvents, connection)
            let store = EventStore(connection: connection)
            for batch in batches.prefix(batches.count / 2) { _ = try store.append(batch, recordedAt: testTime) }
            let head = try store.head()  // a snapshot covers the partition: it may detach
            _ = try store.recordSnapshot(
                SnapshotRecord(
                    position: head.position, chainHash: HexEncoding.encode(head.hash), projectorVersion: 1,
                    formatVersion: 1, contentDigest: String(repeating: "a", count: 64)))
            let partitions = EventPartitionStore(connection: connection)
            try partitions.detach("events_p000001")
            try runner.up()
            for batch in batches.suffix(from: batches.count / 2) { _ = try store.append(batch, recordedAt: testTime) }
            try partitions.attach("events_p000001")
            let indexes = try connection.query(
                "SELECT count(*) FROM pg_indexes WHERE schemaname = 'ledger' AND indexdef LIKE '%\\_link(%'")
            #expect(try indexes[0].decode(Int64.self, at: 0) == 0, "no link index left, detached tables' included")

            let events = try readAll(store)
            /// 019's reads of a payment's events, straight from the log: what 020's must answer.
            func linked(_ query: String, _ first: [String], _ second: [String], through cut: Int64) throws -> [Int64] {
                try connection.query(
                    query, [PostgresArrayLiteral.make(first), PostgresArrayLiteral.make(second), cut]
                ).map { try $0.decode(Int64.self, at: 0) }
            }
            let invoicePaymentsBefore020 = """
                SELECT position FROM ledger.events
                WHERE type LIKE 'invoice\\_payment.%'
                  AND (ledger.invoice_payment_link(body, 'invoice') = ANY($1::text[])
                       OR ledger.invoice_payment_link(body, 'payment_intent') = ANY($2::text[]))
                  AND position <= $3 ORDER BY position
                """
            let adjustmentsBefore020 = """
                SELECT position FROM ledger.events
                WHERE (type LIKE 'refund.%' OR type LIKE 'charge.refund.%' OR type LIKE 'charge.dispute.%')
                  AND (ledger.adjustment_link(body, 'payment_intent') = ANY($1::text[])
                       OR ledger.adjustment_link(body, 'charge') = ANY($2::text[]))
                  AND position <= $3 ORDER BY position
                """
            let links = try connection.query("SELECT count(*) FROM ledger.event_links")[0].decode(Int64.self, at: 0)
            #expect(links > 1_000, "seed \(seed): the batches link payments")

            var random = SeededGenerator(seed: seed)
            let last = try #require(events.last?.position)
            try partitions.detach("events_p000001")
            for detached in [true, false] {
                for _ in 0..<40 {
                    let cut = AuditCut(position: Int64(random.below(Int(last) + 1)))
                    let invoices = (0..<random.below(3)).map { _ in "in_\(random.below(21))" }
                    let intents = (0..<random.below(3)).map { _ in "pi_\(random.below(21))" }
                    let charges = (0..<random.below(3)).map { _ in "ch_\(random.below(21))" }
                    #expect(
                        try store.readInvoicePayments(invoices: invoices, paymentIntents: intents, through: cut)
                            .map(\.position)
                            == (invoices.isEmpty && intents.isEmpty
                                ? [] : linked(invoicePaymentsBefore020, invoices, intents, through: cut.position)),
                        "seed \(seed), \(invoices) \(intents) through \(cut.position), detached \(detached)")
                    #expect(
                        try store.readAdjustments(paymentIntents: intents, charges: charges, through: cut)
                            .map(\.position)
                            == (intents.isEmpty && charges.isEmpty
                                ? [] : linked(adjustmentsBefore020, intents, charges, through: cut.position)),
                        "seed \(seed), \(intents) \(charges) through \(cut.position), detached \(detached)")
                }
                if detached { try partitions.attach("events_p000001") }
            }
        }
    }

    /// The mode lookup (read by position ranges since it stopped reading open-ended) answers what the rule,
    /// ``FixedMode/stated(by:)``, finds first among the attached events read in order: wherever the first event
    /// stating a mode lies (on the first page, past it, past a partition's end, nowhere), whether it is a Stripe
    /// event's `livemode` or a `ledger mode set`, with the oldest partition attached or detached.
    @Test func theModeLookupFindsTheFirstAttachedEventStatingAMode() async throws {
        let seed = TestSeed.value(default: 21_001)
        var random = SeededGenerator(seed: seed)
        for trial in 0..<6 {
            try await TestDatabase.withMigrated { database in
                let connection = try database.connect()
                try usePartitions(of: Self.partitionEvents, connection)
                let store = EventStore(connection: connection)
                // Large logs span three partitions and state a mode past the first, small ones maybe nowhere.
                let first = Int(Self.partitionEvents)
                let total = trial.isMultiple(of: 2) ? first + 1 + random.below(2 * first) : 1 + random.below(40)
                let stating = Set(
                    (0..<random.below(4)).map { _ in random.below(total) }
                        + (total > first ? [first + random.below(total - first)] : []))
                let events = (0..<total).map { index in
                    guard stating.contains(index) else { return makeEvent(stream: "s:\(index % 7)") }
                    return random.chance(50)
                        ? makeEvent(
                            stream: "subscription:sub_\(index)", type: "customer.subscription.updated",
                            source: "stripe",
                            sourceID: "evt_\(index)", body: #"{"livemode":\#(random.chance(50)),"data":{}}"#)
                        : makeEvent(
                            stream: ModeSetting.streamID, type: ModeSetting.type,
                            body: #"{"mode":"\#(random.chance(50) ? "live" : "test")","reason":"r","actor":"a"}"#)
                }
                for start in stride(from: 0, to: events.count, by: Limits.appendBatchEventsMax) {
                    let batch = events[start..<min(start + Limits.appendBatchEventsMax, events.count)]
                    try store.append(AppendBatch(events: Array(batch)), recordedAt: testTime)
                }
                /// The first attached event the rule says states a mode.
                func expected() throws -> FixedMode? {
                    try readAll(store).lazy.compactMap { event in
                        FixedMode.stated(by: event).map { FixedMode(mode: $0, position: event.position) }
                    }.first
                }
                let answer = try store.fixedMode()
                #expect(
                    answer == (try expected()), "seed \(seed), trial \(trial): \(total) events, \(stating.sorted())")
                guard Int64(total) > Self.partitionEvents else { return }
                let head = try store.head()
                try connection.execute(
                    "SELECT ledger.record_snapshot(\(head.position), '\\x\(HexEncoding.encode(head.hash))', 1, 1, "
                        + "repeat('a', 64))")
                let partitions = EventPartitionStore(connection: connection)
                try partitions.detach("events_p000001")
                let detached = try store.fixedMode()
                #expect(
                    detached == (try expected()),
                    "seed \(seed), trial \(trial), first partition detached: \(total) events, \(stating.sorted())")
                try partitions.attach("events_p000001")
                #expect(try store.fixedMode() == answer)
            }
        }
    }

    /// The reads a connection repeats — the log's first events, a position range, a stream — are prepared once
    /// and, on this small log, settle on generic plans, which prune partitions at run time: planned at each call,
    /// they planned every partition. (On a 3.9M-event log the open-ended read never settles, its LIMIT unseen:
    /// the mode lookup reads ranges instead, ``theModeLookupFindsTheFirstAttachedEventStatingAMode()``.)
    @Test func repeatedReadsArePreparedOnceAndSettleOnGenericPlans() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            try usePartitions(of: Self.partitionEvents, connection)
            let store = EventStore(connection: connection)
            for batch in try randomBatches(seed: 1_809, events: 20_000) {
                try store.append(batch, recordedAt: EventTime(secondsSinceEpoch: 1_800_000_000))
            }
            let all = try readAll(store)
            let stream = try #require(all.last?.streamID)
            for round in 0..<10 {  // more than the five runs after which PostgreSQL may settle on a generic plan
                #expect(try store.read(after: 0, limit: 8).map(\.position) == Array(1...8))
                let from = Int64(round * 1_000)
                #expect(
                    try store.read(after: from, through: from + 7_000, limit: 5_000).map(\.position)
                        == Array(from + 1...from + 5_000))
                #expect(try store.readStream(stream) == all.filter { $0.streamID == stream })
            }
            let plans = try connection.query(
                """
                SELECT statement, generic_plans FROM pg_prepared_statements
                WHERE statement LIKE '%FROM ledger.events WHERE position > $1%'
                   OR statement LIKE '%WHERE stream_id = $1 AND stream_version >= $2%'
                """
            ).map { (try $0.decode(String.self, at: 0), try $0.decode(Int64.self, at: 1)) }
            #expect(plans.count == 3, "each read prepared once: \(plans.map(\.0))")
            for (statement, generic) in plans {
                #expect(generic >= 1, "not settled on a generic plan: \(statement)")
            }
        }
    }

    @Test func appendsAcrossPartitionBoundariesGiveOnePartitionsPositionsAndHashes() async throws {
        let seed = TestSeed.value(default: 18_006)
        let batches = try randomBatches(seed: seed, events: 16_000)
        let (partitioned, partitions) = try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            try usePartitions(of: Self.partitionEvents, connection)
            let store = EventStore(connection: connection)
            let outcomes = try batches.map { try store.append($0, recordedAt: testTime) }
            return (
                (outcomes, try readAll(store)),
                try EventPartitionStore(connection: connection).list()
            )
        }
        // The reference: the same appends into one partition (the default size, 1M), which is how the
        // migration leaves an existing log; the current binary appends only to a migrated (018) log.
        let unpartitioned = try await TestDatabase.withMigrated { database in
            let store = EventStore(connection: try database.connect())
            let outcomes = try batches.map { try store.append($0, recordedAt: testTime) }
            return (outcomes, try readAll(store))
        }
        #expect(partitioned.0 == unpartitioned.0, "seed \(seed)")
        #expect(partitioned.1 == unpartitioned.1, "seed \(seed)")
        var previous = ChainHead.genesis.hash
        for event in partitioned.1 {
            #expect(EventHash.compute(previous: previous, event: event) == event.hash, "seed \(seed)")
            previous = event.hash
        }
        let head = try #require(partitioned.1.last?.position)
        // Several partitions hold events, and the next ones are ready beyond the head.
        #expect(partitions.filter { $0.events > 0 }.count >= 3, "seed \(seed)")
        #expect(partitions.allSatisfy { $0.attached })
        #expect(try #require(partitions.last?.lastPosition) >= head)
        #expect(partitions.map(\.events).reduce(0, +) == head)
    }

    @Test func concurrentAppendersOfTheSameIDsStoreEachOnce() async throws {
        try await TestDatabase.withMigrated { database in
            try usePartitions(of: Self.partitionEvents, try database.connect())
            // Every appender sends the same 40 Stripe events (same ids), each under its own event id too:
            // exactly one copy of each is stored, whichever appender wins, and every answer names it.
            let shared = (0..<40).map { index in
                makeEvent(stream: "s:\(index % 7)", source: "stripe", sourceID: "evt_shared_\(index)")
            }
            let appenders = 6
            let answers = try await withThrowingTaskGroup(of: [AppendOutcome].self) { group in
                for appender in 0..<appenders {
                    group.addTask {
                        let store = EventStore(connection: try database.connect())
                        var events = shared.map { event in
                            var copy = event
                            if appender % 2 == 1 { copy.eventID = UUID() }  // same Stripe id, other event id
                            return copy
                        }
                        events.append(makeEvent(stream: "s:own\(appender)"))
                        return try store.append(AppendBatch(events: events), recordedAt: testTime)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let connection = try database.connect()
            let stored = try connection.query(
                "SELECT count(*), count(DISTINCT source_event_id) FROM ledger.events WHERE source_event_id LIKE 'evt_shared_%'"
            )[0]
            #expect(try stored.decode(Int64.self, at: 0) == 40)
            #expect(try stored.decode(Int64.self, at: 1) == 40)
            let positions = answers.map { $0.prefix(40).map(\.position) }
            #expect(Set(positions).count == 1, "every appender is answered the stored positions")
            #expect(try EventStore(connection: connection).head().position == 40 + Int64(appenders))
        }
    }

    @Test func theDatabaseRefusesASecondCopyOfAnyKeyWhateverTableItNames() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            let store = EventStore(connection: connection)
            let event = makeEvent(stream: "s:a", source: "stripe", sourceID: "evt_once")
            try store.append(AppendBatch(events: [event]), recordedAt: testTime)
            let partition = try #require(EventPartitionStore(connection: connection).list().first)
            // Inserted by hand, past the append path's look-up: same event id, same Stripe id, same stream version.
            let copies = [
                "'\(event.eventID.uuidString)', 's:b', 1, 'stripe', 'evt_other'",
                "gen_random_uuid(), 's:b', 1, 'stripe', 'evt_once'",
                "gen_random_uuid(), 's:a', 1, 'ledger', NULL",
            ]
            for table in ["ledger.events", "ledger.\(partition.name)"] {
                for copy in copies {
                    let error = try #require(throws: PostgresError.self) {
                        try connection.execute(
                            """
                            INSERT INTO \(table) (position, event_id, stream_id, stream_version, source, source_event_id,
                                                  type, occurred_at, recorded_at, body, hash)
                            SELECT 2, \(copy), 't', now(), now(), '\\x7b7d', sha256(hash) FROM ledger.head
                            """)
                    }
                    #expect(error.isUniqueViolation, "\(table) \(copy): \(error)")
                }
            }
            #expect(try store.head().position == 1)
        }
    }

    @Test func partitionsAreAppendOnlyAndReadyBeforeEveryAppend() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            try usePartitions(of: Self.partitionEvents, connection)
            let store = EventStore(connection: connection)
            let partitions = EventPartitionStore(connection: connection)
            for round in 0..<12 {
                let events = (0..<Limits.appendBatchEventsMax).map { _ in makeEvent(stream: "s:\(round)") }
                try store.append(AppendBatch(events: events), recordedAt: testTime)
                // The append lock made room before the append; taken again, it makes room for the next one.
                let head = try store.head().position
                #expect(try #require(partitions.list().last).lastPosition >= head)
                try connection.execute("BEGIN; SELECT ledger.lock_head(); COMMIT")
                #expect(try #require(partitions.list().last).lastPosition >= head + Self.partitionEvents)
            }
            for partition in try partitions.list() {
                for statement in [
                    "UPDATE ledger.\(partition.name) SET type = 'x'", "DELETE FROM ledger.\(partition.name)",
                    "TRUNCATE ledger.\(partition.name)",
                ] {
                    let error = try #require(throws: PostgresError.self) { try connection.execute(statement) }
                    #expect(error.sqlState == "23001", "\(statement): \(error)")
                }
            }
        }
    }

    @Test func onlyTheOldestFullPartitionCoveredByASnapshotDetaches() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            try usePartitions(of: Self.partitionEvents, connection)
            let store = EventStore(connection: connection)
            for round in 0..<3 {
                let events = (0..<Limits.appendBatchEventsMax).map { _ in makeEvent(stream: "s:\(round)") }
                try store.append(AppendBatch(events: events), recordedAt: testTime)
            }
            let partitions = EventPartitionStore(connection: connection)
            let all = try partitions.list()
            #expect(throws: EventPartitionRefusal.self) { try partitions.detach(all[0].name) }  // no snapshot
            let head = try store.head()
            try connection.execute(
                "SELECT ledger.record_snapshot(\(head.position), '\\x\(HexEncoding.encode(head.hash))', 1, 1, "
                    + "repeat('a', 64))")
            #expect(throws: EventPartitionRefusal.self) { try partitions.detach(all[1].name) }  // not the oldest
            #expect(throws: EventPartitionRefusal.self) { try partitions.detach(all[3].name) }  // beyond the head
            let detached = try partitions.detach(all[0].name)
            #expect(!detached.attached && detached.tableExists)
            #expect(try partitions.detachedPrefix() == 1...all[0].lastPosition)
            #expect(try store.read(after: 0, limit: 1).first?.position == all[0].lastPosition + 1)
            // A redelivery of an event in the detached partition is still a duplicate.
            let first = try #require(
                try connection.query(
                    "SELECT event_id FROM ledger.\(all[0].name) WHERE position = 1", resultFormat: .binary
                ).first?.decode(UUID.self, at: 0))
            var again = makeEvent(stream: "s:0")
            again.eventID = first
            #expect(try store.append(AppendBatch(events: [again]), recordedAt: testTime) == [.duplicate(position: 1)])
            let attached = try partitions.attach(all[0].name)
            #expect(attached.attached)
            #expect(try partitions.detachedPrefix() == nil)
            #expect(try store.read(after: 0, limit: 1).first?.position == 1)
        }
    }
}

extension UUID {
    /// A version 4 UUID from `random`, so seeded tests make the same ids every run.
    static func random(_ random: inout SeededGenerator) -> uuid_t {
        var bytes = (0..<16).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
            bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
        )
    }
}
