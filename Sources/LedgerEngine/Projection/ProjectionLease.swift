import Foundation
import LedgerPostgres
import Logging

/// The right to write the projection, held by one PostgreSQL session at a time.
///
/// Two session advisory locks, so it needs nothing but PostgreSQL and dies with its session: the
/// writer lock, held by whoever writes the tables (a projector for its life, a rebuild for its run),
/// and the rebuild lock, held by a `ledger rebuild` from the moment it asks for the projection until
/// it is done. A follower (`ledger serve`'s live projector, `ledger project --follow`) that is asked
/// to pause on ``channel`` steps aside at a batch boundary and takes the writer lock back only once
/// the rebuild lock is free, so it never races the rebuild it made way for.
///
/// The session's `application_name` names the process (command, pid, host), so whoever is refused
/// the projection can be told who holds it.
public final class ProjectionLease {
    /// Advisory lock held by whoever writes the projection (arbitrary, fixed forever).
    public static let writerLockKey: Int64 = 0x6C65_6467_7072_6A  // "ledgprj"
    /// Advisory lock held by a rebuild while it waits for, and then holds, the writer lock.
    public static let rebuildLockKey: Int64 = 0x6C65_6467_7262_64  // "ledgrbd"
    static let writerLock = AdvisoryLock(key: writerLockKey)
    static let rebuildLock = AdvisoryLock(key: rebuildLockKey)
    /// The channel a rebuild asks followers to pause on, and says it is done on.
    public static let channel = "ledger_projection"
    static let pausePayload = "pause"
    static let resumePayload = "resume"

    let connection: PostgresConnection
    /// True while this session holds the writer lock.
    public private(set) var isHeld = false
    private var holdsRebuildLock = false

    /// Wraps `connection` (which the lease then owns the locks of) and names it `role` in `pg_stat_activity`.
    public init(connection: PostgresConnection, role: String) throws {
        self.connection = connection
        try connection.setApplicationName(Self.applicationName(role))
    }

    /// `role (pid N on host)`: what an operator needs to find the process; PostgreSQL keeps 63 bytes.
    static func applicationName(_ role: String) -> String {
        // gethostname, not ProcessInfo.hostName, which may wait for a DNS lookup of the canonical name.
        var host = [CChar](repeating: 0, count: 256)
        let name =
            gethostname(&host, host.count - 1) == 0
            ? String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown host"
        return "\(role) (pid \(ProcessInfo.processInfo.processIdentifier) on \(name))"
    }

    /// Takes the writer lock unless another session holds it or a rebuild is waiting for it.
    public func tryAcquire() throws -> Bool {
        // Advisory locks stack within a session: taking it twice would need two releases.
        if isHeld { return true }
        isHeld = try Self.writerLock.tryLock(on: connection, unlessHeldElsewhere: Self.rebuildLock)
        return isHeld
    }

    /// Takes the writer lock, or throws ``ProjectionBusy`` naming who holds it.
    public func acquire() throws {
        if try tryAcquire() { return }
        if let rebuild = try Self.rebuildLock.holder(on: connection) {
            throw ProjectionBusy(holder: rebuild, situation: .rebuildRunning)
        }
        throw ProjectionBusy(holder: try Self.writerLock.holder(on: connection), situation: .held)
    }

    /// Gives the writer lock (and a rebuild's own lock) back; nothing when not held.
    public func release() throws {
        if isHeld {
            try Self.writerLock.unlock(on: connection)
            isHeld = false
        }
        if holdsRebuildLock {
            try Self.rebuildLock.unlock(on: connection)
            holdsRebuildLock = false
            try connection.notify(Self.channel, payload: Self.resumePayload)
        }
    }

    /// True while another session holds the rebuild lock: a rebuild is waiting or running.
    public func rebuildIsWaiting() throws -> Bool {
        try Self.rebuildLock.holder(on: connection) != nil
    }

    /// Takes the writer lock for a rebuild: announces it (rebuild lock), asks followers to pause, and
    /// waits up to `wait` for the writer lock, asking again every second (a follower may have been
    /// reconnecting). Throws ``ProjectionBusy`` naming the holder when it does not step aside.
    public func acquireForRebuild(waiting wait: Duration, logger: Logger) throws {
        guard try Self.rebuildLock.tryLock(on: connection) else {
            throw ProjectionBusy(holder: try Self.rebuildLock.holder(on: connection), situation: .rebuildRunning)
        }
        holdsRebuildLock = true
        do {
            try waitForWriter(wait, logger: logger)
        } catch {
            try? release()
            throw error
        }
    }

    private func waitForWriter(_ wait: Duration, logger: Logger) throws {
        let deadline = ContinuousClock.now + wait
        var asked: ContinuousClock.Instant?
        while true {
            isHeld = try Self.writerLock.tryLock(on: connection)
            if isHeld { return }
            let now = ContinuousClock.now
            guard now < deadline else {
                throw ProjectionBusy(
                    holder: try Self.writerLock.holder(on: connection), situation: .didNotStepAside(waited: wait))
            }
            if asked.map({ now - $0 >= Self.askInterval }) ?? true {
                if asked == nil { logger.info("asking the projector that holds the projection to pause") }
                try connection.notify(Self.channel, payload: Self.pausePayload)
                asked = now
            }
            Thread.sleep(forTimeInterval: Self.lockPollInterval)
        }
    }

    /// How often a waiting rebuild tries the writer lock and a paused follower looks for its end.
    static let lockPollInterval = 0.05
    /// How often a waiting rebuild repeats its pause request.
    static let askInterval = Duration.seconds(1)
}
