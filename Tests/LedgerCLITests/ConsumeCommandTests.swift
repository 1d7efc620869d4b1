import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// A consumer group driven through the `ledger` binary, as a job would drive it.
struct ConsumerGroupClient: Sendable {
    var group: String
    var environment: [String: String]

    /// The positions of the next batch (JSON Lines on standard output), and what was printed.
    func consume(max: Int) throws -> (positions: [Int64], output: ProcessOutput) {
        let (positions, output, _) = try consumeSeeingHead(max: max)
        return (positions, output)
    }

    /// Also the log's head when the batch was chosen, as the note on standard error says.
    func consumeSeeingHead(max: Int) throws -> (positions: [Int64], output: ProcessOutput, head: Int64?) {
        let output = try runLedger(["consume", "--group", group, "--max", "\(max)"], environment: environment)
        #expect(output.status == 0, "\(output.standardError)")
        let positions = try output.standardOutput.split(separator: "\n").map { line -> Int64 in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return Int64(object?["position"] as? Int ?? -1)
        }
        let head = output.standardError.components(separatedBy: "head ").last?.prefix { $0.isNumber }
        return (positions, output, head.flatMap { Int64($0) })
    }

    func ack(_ position: Int64) throws -> ProcessOutput {
        try runLedger(["consume", "--group", group, "--ack", "\(position)"], environment: environment)
    }

    func reset(to position: Int64) throws -> ProcessOutput {
        try runLedger(["consume", "--group", group, "--reset-to", "\(position)"], environment: environment)
    }

    /// The group's row of `ledger consumers --json`.
    func status() throws -> [String: Any]? {
        let output = try runLedger(["consumers", "--json"], environment: environment)
        #expect(output.status == 0, "\(output.standardError)")
        let listing = try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any]
        let groups = listing?["groups"] as? [[String: Any]] ?? []
        return groups.first { $0["group"] as? String == group }
    }

    func cursor() throws -> (cursor: Int?, delivered: Int?) {
        let status = try self.status()
        return (status?["cursor"] as? Int, status?["delivered"] as? Int)
    }
}

@Suite("ledger consume and consumers")
struct ConsumeCommandTests {
    @Test func unacknowledgedBatchesComeAgainAndAcksMoveOnlyForwardWithinWhatWasDelivered() async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 8, months: 4)
            defer { loaded.remove() }
            try ingest(loaded.files[0], loaded.environment)
            let head = try positions(database).head
            let jobs = ConsumerGroupClient(group: "warehouse.daily", environment: loaded.environment)

            #expect(try jobs.consume(max: 10).positions == Array(1...10))
            let beyond = try jobs.ack(15)
            #expect(beyond.status == 1 && beyond.standardError.contains("only positions through 10"))
            #expect(try jobs.cursor() == (0, 10))
            // Not acknowledged: the same batch again, from after the cursor.
            let again = try jobs.consume(max: 10)
            #expect(again.positions == Array(1...10))
            #expect(again.output.standardError.contains("--ack 10"))
            let moved = try jobs.ack(10)
            #expect(moved.status == 0 && moved.standardOutput.contains("cursor moved from 0 to 10"))
            for late in [Int64(4), 10] {
                let noop = try jobs.ack(late)
                #expect(noop.status == 0 && noop.standardOutput.contains("already acknowledged, nothing changed"))
            }
            #expect(try jobs.cursor() == (10, 10))
            #expect(try jobs.consume(max: 5).positions == Array(11...15))

            // A consumer killed between reading and acknowledging: the batch comes again.
            let killed = try LedgerProcess(
                ["consume", "--group", jobs.group, "--max", "100000"], environment: jobs.environment)
            // Killed at a chosen moment (the delay is the behaviour under test); any moment must do.
            var generator = SeededGenerator(seed: TestSeed.value(default: 82))
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...150, using: &generator)))
            killed.send(SIGKILL)
            _ = killed.wait()
            #expect(try jobs.cursor().cursor == 10)
            #expect(try jobs.consume(max: 5).positions == Array(11...15))

            // Reset for a replay: backwards, and what was delivered before is forgotten.
            let reset = try jobs.reset(to: 3)
            #expect(reset.status == 0 && reset.standardOutput.contains("from 10 to 3"))
            #expect(try jobs.consume(max: 4).positions == Array(4...7))
            #expect(try jobs.ack(15).standardError.contains("only positions through 7"))
            #expect(try jobs.ack(7).status == 0)
            let tooFar = try jobs.reset(to: head + 1)
            #expect(tooFar.status == 2 && tooFar.standardError.contains("beyond the log's head"))
            #expect(try jobs.reset(to: head).status == 0)
            let caughtUp = try jobs.consume(max: 10)
            #expect(
                caughtUp.positions.isEmpty && caughtUp.output.standardError.contains("no events after position \(head)")
            )
            #expect(try jobs.status()?["lag"] as? Int == 0)
        }
    }

    @Test func groupsAreIndependentAndNamesAreChecked() async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 4, months: 3)
            defer { loaded.remove() }
            try ingest(loaded.files[0], loaded.environment)
            let head = try positions(database).head
            let first = ConsumerGroupClient(group: "first", environment: loaded.environment)
            let second = ConsumerGroupClient(group: "second-2", environment: loaded.environment)
            #expect(try first.consume(max: 6).positions == Array(1...6))
            #expect(try first.ack(6).status == 0)
            #expect(try second.consume(max: 3).positions == Array(1...3))
            #expect(try first.consume(max: 2).positions == [7, 8])
            #expect(try second.ack(3).status == 0)
            #expect(try first.cursor() == (6, 8))
            #expect(try second.cursor() == (3, 3))
            #expect(try second.status()?["lag"] as? Int == Int(head - 3))
            #expect(try first.status()?["pending"] as? Int == 2)
            let table = try runLedger(["consumers"], environment: loaded.environment)
            #expect(table.standardOutput.contains("first") && table.standardOutput.contains("second-2"))

            let unknown = try ConsumerGroupClient(group: "never", environment: loaded.environment).ack(1)
            #expect(unknown.status == 1 && unknown.standardError.contains("no consumer group never"))
            for name in ["Upper", "-dash-first", "with space", String(repeating: "a", count: 65)] {
                let refused = try runLedger(["consume", "--group=\(name)"], environment: loaded.environment)
                #expect(refused.status == 2 && refused.standardError.contains("invalid consumer group name"), "\(name)")
            }
            #expect(try runLedger(["consume", "--group="], environment: loaded.environment).status == 2)
            #expect(
                try runLedger(["consume", "--group", "a", "--max", "0"], environment: loaded.environment).status == 2)
            #expect(
                try runLedger(
                    ["consume", "--group", String(repeating: "a", count: 64)], environment: loaded.environment
                ).status == 0)
        }
    }

    @Test func aConsumeAckLoopOverAGrowingLogDeliversEveryEventExactlyOnce() async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 12, months: 4, firstPart: 0.3)
            defer { loaded.remove() }
            let environment = loaded.environment
            try ingest(loaded.files[0], environment)
            // The rest arrives in slices while the job runs.
            let rest = try String(contentsOf: loaded.files[1], encoding: .utf8).split(separator: "\n")
            let slices = try stride(from: 0, to: rest.count, by: max(rest.count / 6, 1)).map { start in
                let file = loaded.directory.appendingPathComponent("slice-\(start).jsonl")
                try Data(
                    (rest[start..<min(start + max(rest.count / 6, 1), rest.count)].joined(separator: "\n") + "\n").utf8
                )
                .write(to: file)
                return file
            }
            let appendsDone = Flag()
            let appender = BackgroundThread("test.appender") {
                defer { appendsDone.raise() }
                for slice in slices {
                    let output = try runLedger(["ingest", "stripe", slice.path], environment: environment)
                    guard output.status == 0 else { throw TestSupportError(output.standardError) }
                    usleep(50_000)
                }
            }
            let job = ConsumerGroupClient(group: "loop", environment: environment)
            let (delivered, headsSeen) = try await BackgroundThread("test.job") { () -> ([Int64], Set<Int64>) in
                var delivered: [Int64] = []
                var headsSeen: Set<Int64> = []
                while true {
                    // Read before the consume: nothing found after the last append means the job is done.
                    let appendsFinished = appendsDone.isRaised
                    let (batch, _, head) = try job.consumeSeeingHead(max: 37)
                    if let head { headsSeen.insert(head) }
                    guard let last = batch.last else {
                        if appendsFinished { return (delivered, headsSeen) }
                        usleep(20_000)
                        continue
                    }
                    delivered += batch
                    let acked = try job.ack(last)
                    guard acked.status == 0 else { throw TestSupportError(acked.standardError) }
                }
            }.value
            try await appender.value
            let head = try positions(database).head
            #expect(headsSeen.count >= 3, "the log did not grow while the job ran: \(headsSeen)")
            #expect(delivered == Array(1...head))
            #expect(try job.cursor() == (Int(head), Int(head)))
        }
    }

    @Test func twoProcessesOfOneGroupNeverMoveTheCursorBackOrPastWhatWasDelivered() async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 10, months: 4)
            defer { loaded.remove() }
            try ingest(loaded.files[0], loaded.environment)
            let head = try positions(database).head
            let client = ConsumerGroupClient(group: "shared", environment: loaded.environment)
            /// One worker: consume, acknowledge the batch's end, until a consume finds nothing.
            @Sendable func work() throws -> (delivered: [Int64], moves: [(Int64, Int64)]) {
                var delivered: [Int64] = []
                var moves: [(Int64, Int64)] = []
                while true {
                    let batch = try client.consume(max: 25).positions
                    guard let last = batch.last else { return (delivered, moves) }
                    // Each batch is contiguous: it starts right after the cursor some ack left.
                    guard batch == Array((batch[0])...last) else { throw TestSupportError("batch \(batch)") }
                    delivered += batch
                    let acked = try client.ack(last)
                    guard acked.status == 0 else { throw TestSupportError(acked.standardError) }
                    let words = acked.standardOutput.split(separator: " ")
                    if let from = words.firstIndex(of: "from"), let to = words.firstIndex(of: "to"),
                        let old = Int64(words[from + 1]),
                        let new = Int64(words[to + 1].trimmingCharacters(in: .newlines))
                    {
                        moves.append((old, new))
                    }
                }
            }
            let workers = [BackgroundThread("test.worker-1", work), BackgroundThread("test.worker-2", work)]
            var delivered: Set<Int64> = []
            var moves: [(Int64, Int64)] = []
            for worker in workers {
                let result = try await worker.value
                delivered.formUnion(result.delivered)
                moves += result.moves
            }
            #expect(delivered == Set(1...head))
            #expect(moves.allSatisfy { $0.0 < $0.1 }, "\(moves)")
            // The moves chain from 0 to the head: no position was skipped, none acknowledged twice.
            let chain = moves.sorted { $0.0 < $1.0 }
            #expect(chain.first?.0 == 0 && chain.last?.1 == head)
            #expect(zip(chain, chain.dropFirst()).allSatisfy { $0.1 == $1.0 }, "\(chain)")
            #expect(try client.cursor() == (Int(head), Int(head)))
        }
    }
}

/// A one-way signal between test threads.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false

    var isRaised: Bool { lock.withLock { raised } }

    func raise() { lock.withLock { raised = true } }
}
