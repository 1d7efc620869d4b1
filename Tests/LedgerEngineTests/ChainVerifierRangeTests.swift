import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

@testable import LedgerEngine

/// The chain verified in position ranges (each from the stored hash before it, the seams checked where
/// the earlier range ends) names the same first failure as one pass from event 1.
@Suite("hash chain verification in ranges")
struct ChainVerifierRangeTests {
    static let eventCount = 60

    /// A column change that applied twice restores the event (`#` is XOR), so one log serves every sample.
    static let changes = [
        "body = set_byte(body, %d %% length(body), get_byte(body, %d %% length(body)) # 1)",
        "hash = set_byte(hash, %d %% 32, get_byte(hash, %d %% 32) # 1)",
        "metadata = CASE WHEN metadata = '{}' THEN '{\"x\":%d}' ELSE '{}' END",
        "type = CASE WHEN right(type, 2) = '.x' THEN left(type, -2) ELSE type || '.x' END",
    ]

    @Test func rangeSplitVerifyNamesTheSamePositionAsOnePass() async throws {
        try await TestDatabase.withMigrated { database in
            let store = EventStore(connection: try database.connect())
            for index in 0..<Self.eventCount {
                try store.append(
                    AppendBatch(events: [event(stream: "s:\(index % 4)")]),
                    recordedAt: EventTime(secondsSinceEpoch: 1_893_456_000 + Int64(index)))
            }
            let seed = TestSeed.value(default: 18)
            var random = SeededGenerator(seed: seed)
            let verifier = ChainVerifier(connect: { try database.connect() })
            for sample in 0..<25 {
                let positions = (0...random.below(2)).map { _ in Int64(1 + random.below(Self.eventCount)) }
                let change = random.pick(Self.changes)
                let byte = random.below(1000)
                let tamper = String(format: change, byte, byte)
                let boundaries = (0..<random.below(5)).map { _ in Int64(1 + random.below(Self.eventCount - 1)) }
                    .sorted()
                let context = "seed \(seed), sample \(sample): \(tamper) at \(positions), split at \(boundaries)"
                try toggle(database, tamper, at: positions)
                let whole = try verifier.verify(from: .genesis, recomputingAt: nil, progress: { _ in }) { _ in [] }
                let split = try verifier.verify(from: .genesis, recomputingAt: nil, progress: { _ in }) { _ in
                    boundaries
                }
                try toggle(database, tamper, at: positions)
                #expect(whole.failure?.position == positions.min(), "\(context)")
                #expect(split.failure == whole.failure, "\(context)")
                #expect(split.verifiedThrough == whole.verifiedThrough, "\(context)")
                let restored = try verifier.verify(from: .genesis, recomputingAt: nil, progress: { _ in }) { _ in
                    boundaries
                }
                #expect(restored.isValid && restored.eventsChecked == Int64(Self.eventCount), "\(context)")
            }
        }
    }

    /// Applies `change` to the events at `positions` as a tamperer would, append-only triggers disabled.
    func toggle(_ database: TestDatabase, _ change: String, at positions: [Int64]) throws {
        let connection = try database.connect()
        let list = Set(positions).map(String.init).joined(separator: ",")
        try connection.execute(
            "SET session_replication_role = replica; UPDATE ledger.events SET \(change) WHERE position IN (\(list)); "
                + "SET session_replication_role = origin")
    }
}
