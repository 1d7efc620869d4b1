import Foundation
import LedgerTestSupport
import Testing

@testable import LedgerEngine

/// The hand-off every worker thread uses: order, backpressure, both directions of failure,
/// cancellation, and threads that end. No sleeps: each step waits on the queue or polls with a deadline.
@Suite struct BoundedQueueTests {
    struct Refused: Error, Equatable { var at: Int }

    @Test func batchesArriveInOrderAndTheProducerNeverRunsMoreThanCapacityAhead() throws {
        var random = SeededGenerator(seed: 19)
        let sizes = (0..<300).map { _ in Int(random.next() % 50) + 1 }
        let queue = BoundedQueue<[Int]>(capacity: 3)
        let sent = Counter()
        let producer = WorkerThread(name: "ledger.tq-order") {
            var next = 0
            for size in sizes {
                try queue.send(Array(next..<next + size))
                next += size
                sent.add(1)
            }
            queue.finish()
        }
        var received: [Int] = []
        var batches = 0
        while true {
            // Sent but not received are at most the queued ones: the producer waited for room.
            #expect(sent.value - batches <= queue.capacity, "seed 19, batch \(batches)")
            guard let batch = try queue.receive() else { break }
            received += batch
            batches += 1
        }
        try producer.join()
        #expect(batches == sizes.count)
        #expect(received == Array(0..<sizes.reduce(0, +)), "seed 19")
    }

    @Test func aFullQueueRefusesAnOfferAndAFinishedOneIsClosed() throws {
        let queue = BoundedQueue<Int>(capacity: 2)
        #expect(queue.offer(1) == .accepted)
        #expect(queue.offer(2) == .accepted)
        #expect(queue.offer(3) == .full)
        #expect(try queue.receive() == 1)
        #expect(queue.offer(3) == .accepted)
        queue.finish()
        #expect(queue.offer(4) == .closed)
        #expect(try queue.receive() == 2)
        #expect(try queue.receive() == 3)
        #expect(try queue.receive() == nil)
    }

    @Test func aRoundTakesTheFirstElementAndThenWhatTheConsumerAccepts() throws {
        let queue = BoundedQueue<Int>(capacity: 8)
        for value in [5, 1, 2, 9, 1] { #expect(queue.offer(value) == .accepted) }
        var total = 0
        let round = try queue.receive { value in
            total += value
            return total <= 4
        }
        #expect(round == [5, 1, 2])
        #expect(try queue.receive { _ in true } == [9, 1])
    }

    @Test func aProducerFailureReachesTheConsumerAndTheJoin() throws {
        let queue = BoundedQueue<Int>(capacity: 2)
        let producer = WorkerThread(name: "ledger.tq-pfail") {
            do {
                for value in 0..<5 { try queue.send(value) }
                throw Refused(at: 5)
            } catch {
                queue.fail(error)
                throw error
            }
        }
        var received: [Int] = []
        #expect(throws: Refused(at: 5)) {
            while let value = try queue.receive() { received.append(value) }
        }
        #expect(received == Array(received.indices), "what arrived arrived in order")
        #expect(throws: Refused(at: 5)) { try producer.join() }
    }

    @Test func aWorkerFailureReachesTheProducerAtItsNextSend() throws {
        let queue = BoundedQueue<Int>(capacity: 1)
        let worker = WorkerThread(name: "ledger.tq-wfail") {
            do {
                while let value = try queue.receive() {
                    if value == 3 { throw Refused(at: value) }
                }
            } catch {
                queue.fail(error)
                throw error
            }
        }
        var sent = 0
        #expect(throws: Refused(at: 3)) {
            while true {
                try queue.send(sent)
                sent += 1
            }
        }
        // The worker refused element 3; the producer got at most one element further (the capacity).
        #expect((4...5).contains(sent))
        #expect(throws: Refused(at: 3)) { try worker.join() }
        #expect(queue.offer(0) == .closed)
    }

    @Test func aConsumerThatCancelsStopsAProducerThatWouldNeverEnd() throws {
        let queue = BoundedQueue<Int>(capacity: 2)
        let producer = WorkerThread(name: "ledger.tq-cancel") {
            var value = 0
            while true {
                try queue.send(value)
                value += 1
            }
        }
        #expect(try queue.receive() == 0)
        queue.cancel()
        #expect(throws: CancellationError.self) { try producer.join() }
        #expect(producer.hasEnded)
        #expect(throws: CancellationError.self) { try queue.receive() }
    }

    @Test func joinedThreadsLeaveNoThreadBehind() throws {
        let name = "ledger.tq-leak"
        let queues = (0..<16).map { _ in BoundedQueue<Int>(capacity: 1) }
        let workers = queues.map { queue in
            WorkerThread(name: name) {
                while try queue.receive() != nil {}
            }
        }
        // Seen while they wait (so the check below can fail), gone once joined. (Linux's Foundation now
        // and then leaves a thread's kernel name unset, so not every one need be seen.)
        if FileManager.default.fileExists(atPath: "/proc/self/task") {
            #expect(try poll(until: { $0 > 0 }, threads(named: name)) > 0)
        }
        for (index, queue) in queues.enumerated() {
            if index.isMultiple(of: 2) { queue.finish() } else { queue.cancel() }
        }
        for worker in workers { _ = worker.result() }
        #expect(workers.allSatisfy { $0.hasEnded })
        #expect(try poll(until: { $0 == 0 }, threads(named: name)) == 0)
    }

    /// Evaluates `value` until `done` accepts it or 30 s have passed; the last value.
    private func poll(until done: (Int) -> Bool, _ value: @autoclosure () throws -> Int) throws -> Int {
        let deadline = ContinuousClock.now + .seconds(30)
        var current = try value()
        while !done(current) && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
            current = try value()
        }
        return current
    }

    /// Threads of this process whose kernel name is `name` (Linux's /proc; elsewhere, none are seen).
    private func threads(named name: String) throws -> Int {
        let tasks = "/proc/self/task"
        guard let ids = try? FileManager.default.contentsOfDirectory(atPath: tasks) else { return 0 }
        return ids.filter { id in
            let comm = try? String(contentsOfFile: "\(tasks)/\(id)/comm", encoding: .utf8)
            return comm?.trimmingCharacters(in: .whitespacesAndNewlines) == name
        }.count
    }
}

/// A count shared between a test and the thread it starts.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add(_ amount: Int) { lock.withLock { count += amount } }
    var value: Int { lock.withLock { count } }
}
