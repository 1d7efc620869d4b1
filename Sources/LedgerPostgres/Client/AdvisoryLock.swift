/// A session advisory lock named by a fixed 64-bit key: the one place its SQL is written, for the
/// migration runner and the projection lease.
///
/// It needs nothing but PostgreSQL and dies with its session. Locks stack within a session: each
/// successful take needs its own ``unlock(on:)``.
public struct AdvisoryLock: Sendable, Hashable {
    /// The key every holder agrees on (arbitrary, fixed forever).
    public let key: Int64

    public init(key: Int64) {
        self.key = key
    }

    /// Waits for the lock, as long as the session's `lock_timeout` allows.
    public func lock(on connection: PostgresConnection) throws {
        try connection.query(SQL.lock, [key])
    }

    /// Takes the lock when it is free; true when taken.
    public func tryLock(on connection: PostgresConnection) throws -> Bool {
        try connection.query(SQL.tryLock, [key])[0].decode(at: 0)
    }

    /// Takes the lock when it is free and no other session holds `other`; true when taken.
    public func tryLock(on connection: PostgresConnection, unlessHeldElsewhere other: AdvisoryLock) throws -> Bool {
        try connection.query(SQL.tryLockUnlessHeldElsewhere, [key, other.key])[0].decode(at: 0)
    }

    /// Gives one take of the lock back.
    public func unlock(on connection: PostgresConnection) throws {
        try connection.query(SQL.unlock, [key])
    }

    /// The session other than `connection`'s that holds the lock in this database, when there is one.
    public func holder(on connection: PostgresConnection) throws -> AdvisoryLockHolder? {
        let rows = try connection.query(SQL.holder, [key])
        guard let row = rows.first else { return nil }
        return AdvisoryLockHolder(
            backendPID: try row.decode(at: 0), applicationName: try row.decode(at: 1), user: try row.decode(at: 2),
            client: try row.decode(at: 3), connectedSince: try row.decode(at: 4))
    }

    enum SQL {
        /// $1 key.
        static let lock = "SELECT pg_advisory_lock($1)"
        /// $1 key. True when taken.
        static let tryLock = "SELECT pg_try_advisory_lock($1)"
        /// $1 key.
        static let unlock = "SELECT pg_advisory_unlock($1)"
        /// $1 key to take, $2 key no other session may hold. CASE evaluates the lock function only in its
        /// branch, so the lock is not taken when $2 is held. True when taken.
        static let tryLockUnlessHeldElsewhere = """
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
        /// Rows of pg_locks for key $2 held by another session.
        static let heldBySomeoneElse = "SELECT 1 FROM pg_locks l WHERE \(lockMatches("$2"))"

        /// A bigint key is split across classid (high half) and objid (low half), objsubid 1.
        static func lockMatches(_ key: String) -> String {
            """
            l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.pid <> pg_backend_pid()
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND (l.classid::bigint << 32) | l.objid::bigint = \(key)::bigint
            """
        }
    }
}

/// The PostgreSQL session holding an advisory lock, as `pg_stat_activity` shows it.
public struct AdvisoryLockHolder: Sendable, Equatable, CustomStringConvertible {
    /// The server process serving the session (`pg_terminate_backend` takes it).
    public var backendPID: Int32
    /// A ledger names itself `command (pid N on host)`; psql says `psql`; nil when unset.
    public var applicationName: String?
    public var user: String?
    /// Client host name or address; nil over a local socket or without `pg_read_all_stats`.
    public var client: String?
    /// When the session connected (UTC, ISO 8601); nil without `pg_read_all_stats`.
    public var connectedSince: String?

    public init(
        backendPID: Int32, applicationName: String?, user: String?, client: String?, connectedSince: String?
    ) {
        self.backendPID = backendPID
        self.applicationName = applicationName
        self.user = user
        self.client = client
        self.connectedSince = connectedSince
    }

    public var description: String {
        var details = ["PostgreSQL backend pid \(backendPID)"]
        if let user { details.append("user \(user)") }
        if let client { details.append("from \(client)") }
        if let connectedSince { details.append("connected since \(connectedSince)") }
        let name = applicationName.map { "\"\($0)\"" } ?? "a session without an application name"
        return "\(name) (\(details.joined(separator: ", ")))"
    }
}
