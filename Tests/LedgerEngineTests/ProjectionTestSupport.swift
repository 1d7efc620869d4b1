import Foundation
import LedgerCore
import LedgerEngine
import LedgerGenerator
import LedgerPostgres
import LedgerTestSupport

/// A generated history to load into a test database, in slices if wanted.
struct GeneratedLedger {
    var customers = 40
    var months = 8
    var seed: UInt64 = 11
    var duplicates = 0.0
    var shuffle = 0.0
    var apiVersion = HistoryGenerator.APIVersion.v2026_07_29

    var generator: HistoryGenerator {
        get throws {
            try HistoryGenerator(
                .init(
                    customers: customers, months: months, seed: seed, apiVersion: apiVersion,
                    duplicateProbability: duplicates, shuffleProbability: shuffle))
        }
    }

    /// The users, teams and licenses the subscriptions' metadata names.
    func insertLicenses(_ database: TestDatabase) throws {
        try database.connect().execute(try generator.fixturesSQL().joined(separator: "\n"))
    }

    /// Ingests the generated events (or those in `slice` of the delivery order) through the Stripe ingestor,
    /// recorded at the time `clock` tells.
    func ingest(
        _ database: TestDatabase, slice: Range<Int>? = nil, clock: @escaping () -> EventTime = { EventTime(Date()) }
    ) throws {
        var events = try generator.events().enumerated().lazy
            .filter { slice?.contains($0.offset) ?? true }.map(\.element).makeIterator()
        let ingestor = StripeIngestor(connection: try database.connect(), clock: clock)
        try ingestor.ingest(origin: "generated") {
            var chunk: [UInt8] = []
            while chunk.count < 1 << 16, let event = events.next() { chunk += event.json + [0x0A] }
            return chunk.isEmpty ? nil : chunk
        }
        _ = try ingestor.finish()
    }

    /// Licenses (unless told otherwise) and every event.
    func load(_ database: TestDatabase, withLicenses: Bool = true) throws {
        if withLicenses { try insertLicenses(database) }
        try ingest(database)
    }

    /// Number of generated events (in delivery order, duplicates included).
    var eventCount: Int {
        get throws { try generator.events().reduce(0) { count, _ in count + 1 } }
    }
}

func rebuild(_ database: TestDatabase) throws -> RebuildReport {
    try ProjectionRebuilder(connect: database.connect).rebuildFromScratch()
}

func project(_ database: TestDatabase, batchSize: Int = Projector.defaultBatchSize) throws -> CatchUpReport {
    try Projector(connect: database.connect, batchSize: batchSize).catchUp()
}

func digests(_ database: TestDatabase) throws -> [TableDigest] {
    let digester = TableDigester(connection: try database.connect())
    return try TableDigester.projectedTables.map { try digester.digest(table: $0) }
}
