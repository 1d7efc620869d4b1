import Foundation
import LedgerTestSupport
import Testing

@testable import LedgerEngine

/// `WorkerThread.map`, which `verify`'s chain segments run on: outputs in input order, the first
/// failure in input order, and nothing returned or thrown before every thread has ended.
@Suite struct WorkerThreadMapTests {
    struct Refused: Error, Equatable { var input: Int }

    static let seed = TestSeed.value(default: 23)

    @Test func outputsComeInInputOrderAndTheFirstFailureInInputOrderIsThrownOnceAllHaveEnded() throws {
        var generator = SeededGenerator(seed: Self.seed)
        for round in 0..<40 {
            let count = 1 + generator.below(8)
            let failing = Set((0..<count).filter { _ in generator.chance(30) })
            let ended = Locked(0)
            let context = "seed \(Self.seed) round \(round): \(count) inputs, failing \(failing.sorted())"
            do {
                let outputs = try WorkerThread.map(Array(0..<count), name: "ledger.tmap") { input in
                    defer { ended.withLock { $0 += 1 } }
                    if failing.contains(input) { throw Refused(input: input) }
                    return input * 10
                }
                #expect(failing.isEmpty, "\(context)")
                #expect(outputs == (0..<count).map { $0 * 10 }, "\(context)")
            } catch let refused as Refused {
                #expect(refused.input == failing.min(), "\(context)")
            }
            #expect(ended.current == count, "\(context)")
        }
    }
}
