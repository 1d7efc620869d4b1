import LedgerServer
import Testing

@Suite("projector retry: backoff and one warning per outage")
struct ProjectorRetryTests {
    @Test func waitsDoubleUpToTheLongestAndASuccessEndsTheOutage() {
        var retry = ProjectorRetry(first: .milliseconds(250), longest: .seconds(5))
        var waits: [Duration] = []
        var failures: [ProjectorRetry.Failure] = []
        for _ in 0..<8 {
            let (wait, failure) = retry.failed()
            waits.append(wait)
            failures.append(failure)
        }
        #expect(
            waits == [
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5),
                .seconds(5),
            ])
        #expect(failures == [.outageBegan] + Array(repeating: .outageContinues, count: 7))
        #expect(retry.succeeded() == 8)
        #expect(retry.succeeded() == nil)
        let (wait, failure) = retry.failed()
        #expect(wait == .milliseconds(250))
        #expect(failure == .outageBegan)
    }

    @Test func waitingForAnotherWriterIsNoOutage() {
        var retry = ProjectorRetry(first: .milliseconds(250), longest: .seconds(1))
        #expect(retry.waitForWriter() == .milliseconds(250))
        #expect(retry.waitForWriter() == .milliseconds(500))
        #expect(retry.waitForWriter() == .seconds(1))
        #expect(retry.waitForWriter() == .seconds(1))
        #expect(retry.succeeded() == nil)
    }
}
