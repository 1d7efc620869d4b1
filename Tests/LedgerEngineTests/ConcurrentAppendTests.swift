import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerTestSupport
import Logging
import Testing

func event(stream: String, sourceID: String? = nil) -> NewEvent {
    NewEvent(
        eventID: UUID(), streamID: stream, type: "test.appended", source: sourceID == nil ? "ledger" : "stripe",
        sourceEventID: sourceID, occurredAt: EventTime(secondsSinceEpoch: 1_700_000_000),
        body: Array(#"{"ok":true}"#.utf8))
}

/// Runs `body(index)` on `count` real threads at once and waits for all; rethrows the first error.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Void) throws {
    let group = DispatchGroup()
    let errors = ErrorBox()
    for index in 0..<count {
        group.enter()
        Thread {
            do { try body(index) } catch { errors.record(error) }
            group.leave()
        }.start()
    }
    group.wait()
    if let error = errors.first { throw error }
}

final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var first: (any Error)?
    func record(_ error: any Error) {
        lock.lock()
        defer { lock.unlock() }
        if first == nil { first = error }
    }
}

@Suite("concurrent appends")
struct ConcurrentAppendTests {
    @Test func eightWritersNeverLeaveAGapOrReorderWhileAReaderPolls() async throws {
        try await TestDatabase.withMigrated { database in
            let writers = 8
            // 2,000 appends in all: enough for every writer to interleave with every other on the same
            // streams many times over; 16,000 proved nothing more and took 43 s.
            let appendsPerWriter = 250
            let acknowledged = PositionLog()
            let done = DoneFlag()
            let observed = PositionLog()
            let readerFailure = ErrorBox()
            let reader = Thread {
                do {
                    let store = EventStore(connection: try database.connect())
                    var last: Int64 = 0
                    while true {
                        let finished = done.isSet
                        let batch = try store.read(after: last, limit: 500)
                        for event in batch {
                            if event.position != last + 1 {
                                throw TestSupportError("reader saw \(event.position) right after \(last)")
                            }
                            last = event.position
                            observed.append(event.position, eventID: event.eventID)
                        }
                        if finished && batch.isEmpty { break }
                        // Polling the log, the thing under test (not a wait for a signal).
                        if batch.isEmpty { Thread.sleep(forTimeInterval: 0.002) }
                    }
                } catch {
                    readerFailure.record(error)
                }
                done.readerFinished()
            }
            reader.start()
            try onThreads(writers) { writer in
                let store = EventStore(connection: try database.connect())
                for index in 0..<appendsPerWriter {
                    // Overlapping streams: every writer touches the same 10 streams.
                    let newEvent = event(stream: "stream:\(index % 10)")
                    let outcome = try store.append(
                        AppendBatch(events: [newEvent]), recordedAt: EventTime(Date()))
                    acknowledged.append(outcome[0].position, eventID: newEvent.eventID)
                    _ = writer
                }
            }
            done.set()
            done.waitForReader()
            if let error = readerFailure.first { throw error }

            let total = writers * appendsPerWriter
            #expect(acknowledged.count == total)
            #expect(observed.count == total)
            #expect(observed.positions == Array(1...Int64(total)))
            #expect(acknowledged.byEventID == observed.byEventID)
            let verification = try ChainVerifier(connect: { try database.connect() }).verify()
            #expect(verification.isValid, "\(String(describing: verification.failure))")
            #expect(verification.eventsChecked == Int64(total))
        }
    }

    @Test func groupCommitAnswersEveryCallerAfterItsCommitAndCoalesces() async throws {
        try await TestDatabase.withMigrated { database in
            let appender = GroupCommitAppender(connect: { try database.connect() }, logger: .quiet)
            let callers = 64
            let perCaller = 50
            let positions = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for caller in 0..<callers {
                    group.addTask {
                        var positions: [Int64] = []
                        for index in 0..<perCaller {
                            let outcome = try await appender.append(
                                AppendBatch(events: [
                                    event(stream: "caller:\(caller % 8)", sourceID: "evt_\(caller)_\(index)")
                                ]))
                            positions.append(outcome[0].position)
                        }
                        return positions
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(positions.sorted() == Array(1...Int64(callers * perCaller)))
            // Redelivery through the appender is answered with the original position.
            let again = try await appender.append(AppendBatch(events: [event(stream: "caller:0", sourceID: "evt_0_0")]))
            #expect(again.count == 1)
            if case .duplicate = again[0] {} else { Issue.record("expected a duplicate, got \(again[0])") }
            let statistics = appender.currentStatistics
            appender.shutdown()
            #expect(statistics.eventsWritten == callers * perCaller)
            #expect(statistics.transactions < callers * perCaller)
            let conflict = GroupCommitAppender(connect: { try database.connect() }, logger: .quiet)
            await #expect(throws: VersionConflict.self) {
                try await conflict.append(
                    AppendBatch(events: [event(stream: "caller:0")], expectations: ["caller:0": .noStream]))
            }
            conflict.shutdown()
            await #expect(throws: GroupCommitAppender.Unavailable.self) {
                try await conflict.append(AppendBatch(events: [event(stream: "late")]))
            }
        }
    }
}

final class PositionLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(Int64, UUID)] = []
    func append(_ position: Int64, eventID: UUID) {
        lock.lock()
        defer { lock.unlock() }
        entries.append((position, eventID))
    }
    var count: Int { lock.withLock { entries.count } }
    var positions: [Int64] { lock.withLock { entries.map(\.0) } }
    var byEventID: [UUID: Int64] {
        lock.withLock { Dictionary(entries.map { ($0.1, $0.0) }, uniquingKeysWith: { first, _ in first }) }
    }
}

final class DoneFlag: @unchecked Sendable {
    private let condition = NSCondition()
    private var flag = false
    private var readerDone = false
    var isSet: Bool { condition.withLock { flag } }
    func set() { condition.withLock { flag = true } }
    func readerFinished() {
        condition.withLock {
            readerDone = true
            condition.broadcast()
        }
    }
    func waitForReader() {
        condition.lock()
        while !readerDone { condition.wait() }
        condition.unlock()
    }
}
