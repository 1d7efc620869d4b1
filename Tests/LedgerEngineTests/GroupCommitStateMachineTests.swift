import Foundation
import LedgerCore
import LedgerPostgres
import Testing

@testable import LedgerEngine

/// The group-commit state machine without threads or a database: each caller is answered by its number.
@Suite("group commit state machine: rounds, limits, close and failure without threads")
struct GroupCommitStateMachineTests {
    typealias Machine = GroupCommitStateMachine<Int>

    @Test func anIdleWriterWaitsAndAQueuedRequestWakesIt() throws {
        var machine = Machine()
        #expect(machine.writerReady().isWait)
        #expect(try machine.appendRequested(request(1)).isWakeWriter)
        #expect(machine.writerReady().round == [1])
        #expect(machine.batchCommitted([.success([])]).map(\.reply) == [1])
        #expect(machine.writerReady().isWait)
    }

    @Test func aRoundTakesEverythingQueuedInOrderAndAnswersItInOrder() throws {
        var machine = Machine()
        for caller in 1...5 { _ = try machine.appendRequested(request(caller)) }
        #expect(machine.writerReady().round == [1, 2, 3, 4, 5])
        // Callers arriving while a round is in flight wait for the next one.
        _ = try machine.appendRequested(request(6))
        #expect(machine.queuedRequests == 1)
        let answered = machine.batchCommitted(Array(repeating: .success([]), count: 5))
        #expect(answered.map(\.reply) == [1, 2, 3, 4, 5])
        #expect(machine.writerReady().round == [6])
    }

    @Test func aRoundStopsBeforeTheEventLimit() throws {
        var machine = Machine()
        let half = Limits.appendBatchEventsMax / 2
        _ = try machine.appendRequested(request(1, events: half))
        _ = try machine.appendRequested(request(2, events: half))
        _ = try machine.appendRequested(request(3, events: 1))
        #expect(machine.writerReady().round == [1, 2])
        _ = machine.batchCommitted([.success([]), .success([])])
        #expect(machine.writerReady().round == [3])
    }

    @Test func aRoundStopsBeforeTheByteLimit() throws {
        var machine = Machine()
        let big = Limits.appendBatchBytesMax / 2 + 1
        _ = try machine.appendRequested(request(1, bodyBytes: big))
        _ = try machine.appendRequested(request(2, bodyBytes: big))
        #expect(machine.writerReady().round == [1])
        _ = machine.batchCommitted([.success([])])
        #expect(machine.writerReady().round == [2])
    }

    @Test func aRequestOverTheLimitsIsTakenAloneSoNoneStarves() throws {
        var machine = Machine()
        _ = try machine.appendRequested(request(1, events: Limits.appendBatchEventsMax + 1))
        _ = try machine.appendRequested(request(2))
        #expect(machine.writerReady().round == [1])
        _ = machine.batchCommitted([.success([])])
        #expect(machine.writerReady().round == [2])
    }

    @Test func aFullQueueRejectsTheNextCallerAndTakesOneAgainOnceARoundLeaves() throws {
        var machine = Machine()
        for caller in 0..<Limits.appendQueueRequestsMax {
            #expect(try machine.appendRequested(request(caller, events: 0)).isWakeWriter)
        }
        #expect(try machine.appendRequested(request(-1)).rejected == "-1: append queue is full; retry later")
        #expect(machine.writerReady().round?.count == Limits.appendQueueRequestsMax)
        #expect(try machine.appendRequested(request(-2)).isWakeWriter)
    }

    @Test func aFailedRoundFailsEveryRequestInItAndNoOther() throws {
        var machine = Machine()
        for caller in 1...3 { _ = try machine.appendRequested(request(caller)) }
        #expect(machine.writerReady().round == [1, 2, 3])
        _ = try machine.appendRequested(request(4))
        #expect(machine.batchFailed().map(\.reply) == [1, 2, 3])
        #expect(machine.statistics == .init())
        #expect(machine.writerReady().round == [4])
    }

    @Test func closingRefusesNewCallersButWritesThoseQueuedThenStops() throws {
        var machine = Machine()
        _ = try machine.appendRequested(request(1))
        _ = try machine.appendRequested(request(2))
        #expect(machine.close().isWakeWriter)
        #expect(machine.close().isNone)
        #expect(try machine.appendRequested(request(3)).rejected == "3: the appender is shut down")
        #expect(machine.writerReady().round == [1, 2])
        #expect(!machine.isFinished)
        _ = machine.batchCommitted([.success([]), .success([])])
        #expect(machine.writerReady().isStop)
        machine.writerStopped()
        #expect(machine.isFinished)
    }

    @Test func closingAnIdleAppenderStopsTheWriterAtOnce() {
        var machine = Machine()
        #expect(machine.close().isWakeWriter)
        #expect(machine.writerReady().isStop)
    }

    @Test func statisticsCountTransactionsAnsweredRequestsAndAppendedEventsOnly() throws {
        var machine = Machine()
        for caller in 1...3 { _ = try machine.appendRequested(request(caller, events: 2)) }
        _ = machine.writerReady()
        let conflict = VersionConflict(streamID: "s", expected: .noStream, actual: 1)
        _ = machine.batchCommitted([
            .success([.appended(position: 1, streamVersion: 1), .appended(position: 2, streamVersion: 2)]),
            .success([.duplicate(position: 1), .appended(position: 3, streamVersion: 1)]),
            .failure(conflict),
        ])
        _ = try machine.appendRequested(request(4))
        _ = machine.writerReady()
        _ = machine.batchCommitted([.success([.appended(position: 4, streamVersion: 1)])])
        #expect(
            machine.statistics
                == .init(transactions: 2, eventsWritten: 4, requestsAnswered: 4, largestRequestsPerTransaction: 3))
    }

    /// A caller numbered `reply` with `events` events of `bodyBytes` bytes each.
    private func request(_ reply: Int, events: Int = 1, bodyBytes: Int = 1) throws -> Machine.Request {
        let body = [UInt8](repeating: 0x20, count: bodyBytes)
        let batch = try AppendBatch(
            events: (0..<events).map { index in
                NewEvent(
                    eventID: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, UInt8(index % 256))),
                    streamID: "s", type: "test.appended", source: "ledger",
                    occurredAt: EventTime(secondsSinceEpoch: 1_700_000_000), body: index == 0 ? body : [])
            })
        return Machine.Request(batch: batch, reply: reply)
    }
}

extension GroupCommitStateMachine.AppendAction {
    fileprivate var isWakeWriter: Bool { if case .wakeWriter = self { true } else { false } }
    /// The rejected caller and why, as "caller: reason".
    fileprivate var rejected: String? {
        if case .reject(let reply, let error) = self { "\(reply): \(error)" } else { nil }
    }
}

extension GroupCommitStateMachine.WriterAction where Reply == Int {
    fileprivate var round: [Int]? { if case .write(let round) = self { round.map(\.reply) } else { nil } }
    fileprivate var isWait: Bool { if case .wait = self { true } else { false } }
    fileprivate var isStop: Bool { if case .stop = self { true } else { false } }
}

extension GroupCommitStateMachine.CloseAction {
    fileprivate var isWakeWriter: Bool { if case .wakeWriter = self { true } else { false } }
    fileprivate var isNone: Bool { if case .none = self { true } else { false } }
}
