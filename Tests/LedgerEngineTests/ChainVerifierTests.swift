import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("hash chain verification")
struct ChainVerifierTests {
    func fill(_ database: TestDatabase, count: Int) throws -> EventStore {
        let store = EventStore(connection: try database.connect())
        for index in 0..<count {
            try store.append(AppendBatch(events: [event(stream: "s:\(index % 3)")]), recordedAt: EventTime(Date()))
        }
        return store
    }

    /// Runs SQL as the superuser with the append-only triggers disabled, as a tamperer would.
    func tamper(_ database: TestDatabase, _ sql: String) throws {
        let connection = try database.connect()
        try connection.execute("SET session_replication_role = replica; \(sql); SET session_replication_role = origin")
    }

    @Test func untouchedLogVerifiesFromGenesisAndFromATrustedDigest() async throws {
        try await TestDatabase.withMigrated { database in
            let store = try fill(database, count: 25)
            let full = try ChainVerifier(connect: { try database.connect() }).verify()
            #expect(full.isValid)
            #expect(full.eventsChecked == 25)
            let trusted = ChainHead(position: 10, hash: try #require(try store.hash(at: 10)))
            let partial = try ChainVerifier(connect: { try database.connect() }).verify(from: trusted)
            #expect(partial.isValid)
            #expect(partial.eventsChecked == 15)
            var wrong = trusted
            wrong.hash[0] ^= 1
            #expect(try ChainVerifier(connect: { try database.connect() }).verify(from: wrong).failure?.position == 10)
        }
    }

    @Test func oneChangedBodyByteIsNamedByPosition() async throws {
        try await TestDatabase.withMigrated { database in
            _ = try fill(database, count: 20)
            try tamper(
                database, "UPDATE ledger.events SET body = set_byte(body, 3, get_byte(body, 3) + 1) WHERE position = 13"
            )
            let result = try ChainVerifier(connect: { try database.connect() }).verify()
            #expect(result.failure?.position == 13)
            #expect(result.verifiedThrough == 12)
        }
    }

    @Test func changedMetadataTypeOrTimeIsDetected() async throws {
        for change in [
            "metadata = '{\"by\":\"someone else\"}'", "type = 'test.other'",
            "recorded_at = recorded_at + interval '1 microsecond'", "customer_id = 'cus_other'",
        ] {
            try await TestDatabase.withMigrated { database in
                _ = try fill(database, count: 8)
                try tamper(database, "UPDATE ledger.events SET \(change) WHERE position = 5")
                #expect(
                    try ChainVerifier(connect: { try database.connect() }).verify().failure?.position == 5, "\(change)")
            }
        }
    }

    @Test func deletedEventsAreNamedEvenAtTheEnd() async throws {
        try await TestDatabase.withMigrated { database in
            _ = try fill(database, count: 10)
            try tamper(database, "DELETE FROM ledger.events WHERE position = 4")
            #expect(try ChainVerifier(connect: { try database.connect() }).verify().failure?.position == 4)
        }
        try await TestDatabase.withMigrated { database in
            _ = try fill(database, count: 10)
            try tamper(database, "DELETE FROM ledger.events WHERE position = 10")
            let result = try ChainVerifier(connect: { try database.connect() }).verify()
            #expect(result.failure?.position == 10)
            #expect(result.failure?.reason.contains("ledger.head") == true)
        }
    }

    @Test func segmentsVerifiedInParallelFindTheSameFirstFailure() async throws {
        for (tampering, expected) in [
            ("UPDATE ledger.events SET type = 'x' WHERE position IN (22, 35)", Int64(22)),
            ("UPDATE ledger.events SET type = 'x' WHERE position = 10", 10),
            ("UPDATE ledger.events SET type = 'x' WHERE position = 11", 11),
            ("DELETE FROM ledger.events WHERE position = 20", 20),
            ("UPDATE ledger.events SET hash = set_byte(hash, 0, 7) WHERE position = 30", 30),
        ] {
            try await TestDatabase.withMigrated { database in
                _ = try fill(database, count: 40)
                let verifier = ChainVerifier(connect: { try database.connect() })
                let clean = try verifier.verify(segments: 4, segmentEventsMin: 5)
                #expect(clean.isValid)
                #expect(clean.eventsChecked == 40)
                try tamper(database, tampering)
                let result = try verifier.verify(segments: 4, segmentEventsMin: 5)
                #expect(result.failure?.position == expected, "\(tampering): \(String(describing: result.failure))")
            }
        }
    }
}
