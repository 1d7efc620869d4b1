import Foundation

/// Threads of the tests' own for test bodies that block: libpq calls, a `ledger` child waited for,
/// a server started and polled.
///
/// Swift concurrency's pool is as wide as the machine has cores (2 here), and a test that blocks holds
/// one of those threads: two blocked tests stop every other test of the run, while the CPU waits on
/// child processes and PostgreSQL. ``TestDatabase/with(_:)`` and ``TestDatabase/withMigrated(_:)``
/// run their body with this executor preferred (SE-0417), so that many tests can wait at once.
public final class BlockingWorkExecutor: TaskExecutor, @unchecked Sendable {
    /// The tests' one pool. Wide enough for the run's blocked tests, narrow enough not to open more
    /// database sessions than the test cluster allows.
    public static let shared = BlockingWorkExecutor(threads: 8)
    /// Threads for what a blocked test waits on in process (a fake Stripe server, a readiness poll): on
    /// `shared`, or on Swift's 2 threads, they could wait behind the very tests that wait for them.
    public static let servers = BlockingWorkExecutor(threads: 2)

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    init(threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [self] in runJobs() }
            thread.name = "test.blocking-work-\(index)"
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.withLock {
            jobs.append(job)
            condition.signal()
        }
    }

    private func runJobs() {
        while true {
            let job = condition.withLock {
                while jobs.isEmpty { condition.wait() }
                return jobs.removeFirst()
            }
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
