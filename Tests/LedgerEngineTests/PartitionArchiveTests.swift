import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerTestSupport
import Testing

/// Detached partitions archived to files, checked against the chain (docs/0018-partitioned-log.md).
@Suite("partition archives")
struct PartitionArchiveTests {
    static let partitionEvents: Int64 = 5_000

    /// A log of `rounds` full batches in 5,000-event partitions, a snapshot recorded at its head, and
    /// its first `detached` partitions detached and archived into `directory`; returns the archives.
    func archivedLog(_ database: TestDatabase, rounds: Int, detached: Int, in directory: URL) throws -> [URL] {
        try partitionedLog(database, rounds: rounds)
        return try detachAndArchive(detached, database, in: directory)
    }

    /// A log of `rounds` full batches in 5,000-event partitions and a snapshot recorded at its head. Every
    /// hundredth event is an `invoice_payment` of one of seven invoices, so each partition holds payment links.
    func partitionedLog(_ database: TestDatabase, rounds: Int) throws {
        let connection = try database.connect()
        try connection.execute("SELECT ledger.set_events_per_partition(\(Self.partitionEvents))")
        let store = EventStore(connection: connection)
        for round in 0..<rounds {
            let events = (0..<Limits.appendBatchEventsMax).map { index in
                var event = event(
                    stream: "s:\(round):\(index % 17)", sourceID: index % 2 == 0 ? "evt_\(round)_\(index)" : nil)
                if index % 100 == 0 {
                    event.type = "invoice_payment.paid"
                    event.body = Array(#"{"data":{"object":{"invoice":"in_\#(index / 100 % 7)"}}}"#.utf8)
                }
                return event
            }
            try store.append(AppendBatch(events: events), recordedAt: EventTime(Date()))
        }
        let head = try store.head()
        _ = try store.recordSnapshot(
            SnapshotRecord(
                position: head.position, chainHash: HexEncoding.encode(head.hash), projectorVersion: 1,
                formatVersion: 1, contentDigest: String(repeating: "a", count: 64)))
    }

    /// Detaches the log's first `count` partitions and archives each into `directory`; returns the archives.
    func detachAndArchive(_ count: Int, _ database: TestDatabase, in directory: URL) throws -> [URL] {
        let connection = try database.connect()
        let partitions = EventPartitionStore(connection: connection)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try partitions.list().prefix(count).map { partition in
            try partitions.detach(partition.name)
            let url = directory.appendingPathComponent("\(partition.name).ledger")
            try PartitionArchiveFile.write(partition, from: connection, to: url)
            return url
        }
    }

    func verify(_ archives: [URL], _ database: TestDatabase) throws -> (
        archives: [ArchiveVerification], log: ChainVerification?
    ) {
        let store = EventStore(connection: try database.connect())
        let verifier = ArchiveVerifier()
        let verified = try verifier.verify(files: archives.map(\.path), ledgerID: try store.databaseID())
        guard let end = verified.end, case .joined(let trusted) = try verifier.link(end, to: store) else {
            return (verified.archives, nil)
        }
        return (verified.archives, try ChainVerifier(connect: { try database.connect() }).verify(from: trusted))
    }

    @Test func archivesVerifyFromEventOneAndTheLogGoesOnFromTheirEnd() async throws {
        try await TestDatabase.withMigrated { database in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archives-\(UUID())")
            defer { try? FileManager.default.removeItem(at: directory) }
            let archives = try archivedLog(database, rounds: 3, detached: 2, in: directory)
            let result = try verify(archives.reversed(), database)  // any order: sorted by position
            #expect(result.archives.map(\.eventsChecked) == [5_000, 5_000])
            #expect(result.archives.allSatisfy { $0.failure == nil })
            let log = try #require(result.log)
            #expect(log.isValid)
            #expect(log.trustedFrom == 10_001)
            // The log alone cannot start before its detached prefix; one archive alone is not from event 1.
            #expect(try verify([archives[1]], database).archives.first?.failure != nil)
        }
    }

    @Test func aChangedByteAnywhereInAnArchiveIsNamedByPosition() async throws {
        try await TestDatabase.withMigrated { database in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archives-\(UUID())")
            defer { try? FileManager.default.removeItem(at: directory) }
            let archives = try archivedLog(database, rounds: 2, detached: 1, in: directory)
            let original = try Data(contentsOf: archives[0])
            let header = original.firstIndex(of: 0x0A).map { $0 + 1 } ?? 0
            var random = SeededGenerator(seed: TestSeed.value(default: 18_0006))
            for _ in 0..<8 {
                var changed = original
                let offset = header + 19 + random.below(original.count - header - 21)  // inside the rows
                changed[offset] ^= UInt8(1 + random.below(255))
                try changed.write(to: archives[0])
                let result = try verify(archives, database)
                #expect(result.log == nil, "byte \(offset)")
                #expect(result.archives.first?.failure != nil, "byte \(offset)")
            }
            try original.write(to: archives[0])
            #expect(try verify(archives, database).log?.isValid == true)
        }
    }

    @Test func detachArchiveAndAttachLeaveTheLogAsItWas() async throws {
        try await TestDatabase.withMigrated { database in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archives-\(UUID())")
            defer { try? FileManager.default.removeItem(at: directory) }
            let connection = try database.connect()
            let store = EventStore(connection: connection)
            _ = try archivedLog(database, rounds: 2, detached: 0, in: directory)
            let before = try store.read(after: 0, limit: 10_000)
            let partitions = EventPartitionStore(connection: connection)
            let first = try #require(partitions.list().first)
            try partitions.detach(first.name)
            #expect(try store.read(after: 0, limit: 1).first?.position == 5_001)
            try partitions.attach(first.name)
            #expect(try store.read(after: 0, limit: 10_000) == before)
            #expect(try ChainVerifier(connect: { try database.connect() }).verify().isValid)
        }
    }

    @Test func aDroppedPartitionComesBackFromItsArchiveByteForByte() async throws {
        try await TestDatabase.withMigrated { database in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archives-\(UUID())")
            defer { try? FileManager.default.removeItem(at: directory) }
            let connection = try database.connect()
            let store = EventStore(connection: connection)
            let partitions = EventPartitionStore(connection: connection)
            try partitionedLog(database, rounds: 3)
            let before = try store.read(after: 0, limit: 20_000)
            let payments = try store.readInvoicePayments(invoices: ["in_3"], paymentIntents: [], through: .everything)
            let archives = try detachAndArchive(2, database, in: directory)
            // Detached, a partition's events are out of the audit reads.
            #expect(
                try store.readInvoicePayments(invoices: ["in_3"], paymentIntents: [], through: .everything)
                    == payments.filter { $0.position > 2 * Self.partitionEvents })
            let sizeBefore = try #require(partitions.list().first).bytes

            // Each archive drops its own partition only, and a detached one only.
            #expect(throws: EventPartitionRefusal.self) {
                try partitions.drop("events_p000001", archive: archives[1].path)
            }
            try partitions.attach("events_p000002")
            #expect(throws: EventPartitionRefusal.self) {
                try partitions.drop("events_p000002", archive: archives[1].path)
            }
            try partitions.detach("events_p000002")

            let dropped = try partitions.drop("events_p000001", archive: archives[0].path)
            #expect(!dropped.tableExists && !dropped.attached && sizeBefore > 0 && dropped.bytes == 0)
            #expect(
                try connection.query("SELECT to_regclass('ledger.events_p000001') IS NULL")[0].decode(Bool.self, at: 0))
            #expect(throws: EventPartitionRefusal.self) { try partitions.attach("events_p000001") }
            // Dropped, its events still deduplicate.
            let again = before[3]
            let outcomes = try store.append(
                AppendBatch(events: [
                    NewEvent(
                        eventID: again.eventID, streamID: again.streamID, type: again.type, source: again.source,
                        sourceEventID: again.sourceEventID, occurredAt: again.occurredAt, body: again.body)
                ]), recordedAt: EventTime(Date()))
            #expect(outcomes == [.duplicate(position: again.position, conflicting: false)])

            // As a partition dropped before migration 020 would be: its links not recorded.
            try connection.execute("DELETE FROM ledger.event_links WHERE position <= \(Self.partitionEvents)")
            let restored = try partitions.restore(from: archives[0].path)
            #expect(restored.tableExists && !restored.attached && restored.events == Self.partitionEvents)
            #expect(throws: EventPartitionRefusal.self) { try partitions.restore(from: archives[0].path) }
            // The restored table refuses changes as every partition does.
            #expect(throws: PostgresError.self) { try connection.execute("DELETE FROM ledger.events_p000001") }
            try partitions.attach("events_p000001")
            try partitions.attach("events_p000002")
            #expect(try store.read(after: 0, limit: 20_000) == before)
            #expect(
                try store.readInvoicePayments(invoices: ["in_3"], paymentIntents: [], through: .everything) == payments)
            #expect(try ChainVerifier(connect: { try database.connect() }).verify().isValid)
        }
    }

    @Test func anArchiveThatDiffersAnywhereFromItsTableDropsNothing() async throws {
        try await TestDatabase.withMigrated { database in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archives-\(UUID())")
            defer { try? FileManager.default.removeItem(at: directory) }
            let partitions = EventPartitionStore(connection: try database.connect())
            let archive = try archivedLog(database, rounds: 2, detached: 1, in: directory)[0]
            let original = try Data(contentsOf: archive)
            let header = original.firstIndex(of: 0x0A).map { $0 + 1 } ?? 0
            var random = SeededGenerator(seed: TestSeed.value(default: 18_0007))
            var variants = [original.dropLast(1), original + [0]]  // cut short, one byte more
            for _ in 0..<6 {
                var changed = original
                changed[header + random.below(original.count - header)] ^= UInt8(1 + random.below(255))
                variants.append(changed)
            }
            for variant in variants {
                try variant.write(to: archive)
                #expect(throws: EventPartitionRefusal.self) {
                    try partitions.drop("events_p000001", archive: archive.path)
                }
                #expect(try partitions.partition(named: "events_p000001").tableExists)
            }
            try original.write(to: archive)
            #expect(try !partitions.drop("events_p000001", archive: archive.path).tableExists)
        }
    }
}
