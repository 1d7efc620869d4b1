import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("incremental projector")
struct ProjectorTests {
    @Test(arguments: [1, 7, 1000])
    func catchUpInBatchesGivesTheRebuildsRows(batchSize: Int) async throws {
        // Batches of one cost a transaction per event: a smaller history keeps that test short.
        let ledger =
            batchSize == 1
            ? GeneratedLedger(customers: 12, months: 6, duplicates: 0.2, shuffle: 0.2)
            : GeneratedLedger(duplicates: 0.2, shuffle: 0.2)
        try await TestDatabase.withMigrated { database in
            try ledger.load(database)
            let report = try project(database, batchSize: batchSize)
            let head = try EventStore(connection: try database.connect()).head().position
            #expect(report.position == head)
            #expect(report.eventsApplied == head)
            #expect(report.batches == Int((head + Int64(batchSize) - 1) / Int64(batchSize)))
            let incremental = try digests(database)
            // A rebuild from scratch finds nothing to change.
            let rebuilt = try rebuild(database)
            #expect(rebuilt.drift.allSatisfy { $0.total == 0 })
            #expect(try digests(database) == incremental)
        }
    }

    @Test func catchingUpInSlicesAcrossRunsGivesTheSameRowsAsOneRebuild() async throws {
        let ledger = GeneratedLedger(duplicates: 0.3, shuffle: 0.3)
        let count = try ledger.eventCount
        try await TestDatabase.withMigrated { sliced in
            try await TestDatabase.withMigrated { whole in
                try ledger.insertLicenses(sliced)
                // Each slice is appended, then projected by a new projector that restores its state by replay.
                var start = 0
                for end in [count / 5, count / 2, count / 2 + 1, count] {
                    try ledger.ingest(sliced, slice: start..<end)
                    let report = try project(sliced, batchSize: 13)
                    #expect(report.eventsReplayed == (start == 0 ? 0 : report.position - report.eventsApplied))
                    start = end
                }
                try ledger.load(whole)
                _ = try rebuild(whole)
                #expect(try digests(sliced) == digests(whole))
            }
        }
    }

    @Test func runningAgainWithNothingNewChangesNothing() async throws {
        try await TestDatabase.withMigrated { database in
            try GeneratedLedger().load(database)
            _ = try project(database)
            let before = try digests(database)
            let again = try project(database)
            #expect(again.eventsApplied == 0)
            #expect(again.batches == 0)
            #expect(try digests(database) == before)
        }
    }

    @Test func aParkedSubscriptionAppearsOnTheFirstRunAfterItsLicenseExists() async throws {
        try await TestDatabase.withMigrated { database in
            let ledger = GeneratedLedger()
            try ledger.load(database, withLicenses: false)
            let first = try project(database)
            #expect(first.drift[0].inserted == 0)
            // Each live customer's subscription (39 of 40 at seed 11; one customer is in test mode, ignored).
            #expect(first.parked >= 39)
            let connection = try database.connect()
            let linked = try connection.query(
                "SELECT count(*) FROM payment_transactions WHERE subscription_id IS NOT NULL")[0]
            #expect(try linked.decode(Int.self, at: 0) == 0)

            // No new event, only the licenses: the next run retries the parked subscriptions.
            try ledger.insertLicenses(database)
            let second = try project(database)
            #expect(second.eventsApplied == 0)
            #expect(second.drift[0].inserted >= 39)
            #expect(second.parked == 0)
            let relinked = try connection.query(
                "SELECT count(*) FROM payment_transactions WHERE subscription_id IS NOT NULL")[0]
            #expect(try relinked.decode(Int.self, at: 0) > 0)
            #expect(try rebuild(database).drift.allSatisfy { $0.total == 0 })
        }
    }

    @Test func aProjectorAndARebuildNeverWriteAtOnce() async throws {
        try await TestDatabase.withMigrated { database in
            let holder = try Projector(connect: database.connect)
            #expect(throws: ProjectionBusy.self) { try rebuild(database) }
            #expect(throws: ProjectionBusy.self) { try Projector(connect: database.connect) }
            _ = holder
        }
    }

    @Test func followingAppliesNewEventsAsTheyAreAppended() async throws {
        let ledger = GeneratedLedger()
        let count = try ledger.eventCount
        try await TestDatabase.withMigrated { database in
            try ledger.insertLicenses(database)
            try ledger.ingest(database, slice: 0..<count / 2)
            let stop = StopFlag()
            let following = BackgroundThread {
                let projector = try Projector(connect: database.connect, batchSize: 100)
                try projector.follow(pollInterval: .milliseconds(50), shouldStop: { stop.isSet }) { _ in }
                return projector.checkpoint
            }
            try ledger.ingest(database, slice: count / 2..<count)
            let head = try EventStore(connection: try database.connect()).head().position
            let connection = try database.connect()
            try await Poll.until("the follower reached the head") {
                let rows = try connection.query("SELECT position FROM ledger.checkpoints")
                return try rows.first?.decode(Int64.self, at: 0) == head
            }
            stop.set()
            #expect(try await following.value == head)
            let followed = try digests(database)
            #expect(try rebuild(database).drift.allSatisfy { $0.total == 0 })
            #expect(try digests(database) == followed)
        }
    }
}

/// A stop request shared with a following projector.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
