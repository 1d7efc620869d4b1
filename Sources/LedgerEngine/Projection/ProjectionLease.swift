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
        try connection.query(SQL.setApplicationName, [Self.applicationName(role)])
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
        isHeld = try connection.query(SQL.tryAcquire, [Self.writerLockKey, Self.rebuildLockKey])[0].decode(at: 0)
        return isHeld
    }

    /// Takes the writer lock, or throws ``ProjectionBusy`` naming who holds it.
    public func acquire() throws {
        if try tryAcquire() { return }
        if let rebuild = try holder(of: Self.rebuildLockKey) {
            throw ProjectionBusy(holder: rebuild, situation: .rebuildRunning)
        }
        throw ProjectionBusy(holder: try holder(of: Self.writerLockKey), situation: .held)
    }

    /// Gives the writer lock (and a rebuild's own lock) back; nothing when not held.
    public func release() throws {
        if isHeld {
            try connection.query(SQL.unlock, [Self.writerLockKey])
            isHeld = false
        }
        if holdsRebuildLock {
            try connection.query(SQL.unlock, [Self.rebuildLockKey])
            holdsRebuildLock = false
            try connection.notify(Self.channel, payload: Self.resumePayload)
        }
    }

    /// True while another session holds the rebuild lock: a rebuild is waiting or running.
    public func rebuildIsWaiting() throws -> Bool {
        try holder(of: Self.rebuildLockKey) != nil
    }

    /// The session other than this one that holds `key`, when there is one.
    public func holder(of key: Int64) throws -> ProjectionHolder? {
        let rows = try connection.query(SQL.holder, [key])
        guard !rows.isEmpty else { return nil }
        let row = rows[0]
        return ProjectionHolder(
            backendPID: try row.decode(at: 0), applicationName: try row.decode(at: 1), user: try row.decode(at: 2),
            client: try row.decode(at: 3), connectedSince: try row.decode(at: 4))
    }

    /// Takes the writer lock for a rebuild: announces it (rebuild lock), asks followers to pause, and
    /// waits up to `wait` for the writer lock, asking again every second (a follower may have been
    /// reconnecting). Throws ``ProjectionBusy`` naming the holder when it does not step aside.
    public func acquireForRebuild(waiting wait: Duration, logger: Logger) throws {
        let announced: Bool = try connection.query(SQL.tryLock, [Self.rebuildLockKey])[0].decode(at: 0)
        guard announced else {
            throw ProjectionBusy(holder: try holder(of: Self.rebuildLockKey), situation: .rebuildRunning)
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
            isHeld = try connection.query(SQL.tryLock, [Self.writerLockKey])[0].decode(at: 0)
            if isHeld { return }
            let now = ContinuousClock.now
            guard now < deadline else {
                throw ProjectionBusy(
                    holder: try holder(of: Self.writerLockKey), situation: .didNotStepAside(waited: wait))
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

extension ProjectionLease {
    enum SQL {
        /// $1 application name.
        static let setApplicationName = "SELECT set_config('application_name', $1, false)"
        /// $1 key. True when taken.
        static let tryLock = "SELECT pg_try_advisory_lock($1)"
        /// $1 key.
        static let unlock = "SELECT pg_advisory_unlock($1)"
        /// $1 writer key, $2 rebuild key. Takes the writer lock only while no rebuild waits for it
        /// (CASE evaluates the lock function only in its branch). True when taken.
        static let tryAcquire = """
            SELECT CASE WHEN EXISTS (\(heldBySomeoneElse)) THEN false ELSE pg_try_advisory_lock($1) END
            """
        /// $1 key. Who else holds it in this database: backend pid, application name, user, client, since when.
        /// Another role's client and start time read NULL without pg_read_all_stats.
        static let holder = """
            SELECT l.pid, nullif(a.application_name, ''), a.usename::text,
                   coalesce(a.client_hostname, host(a.client_addr)),
                   to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE \(lockMatches("$1")) LIMIT 1
            """
        /// Rows of pg_locks for key $2 held by another session (a bigint key is split across classid and objid,
        /// objsubid 1).
        static let heldBySomeoneElse = "SELECT 1 FROM pg_locks l WHERE \(lockMatches("$2"))"

        static func lockMatches(_ key: String) -> String {
            """
            l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.pid <> pg_backend_pid()
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND (l.classid::bigint << 32) | l.objid::bigint = \(key)::bigint
            """
        }
    }
}
