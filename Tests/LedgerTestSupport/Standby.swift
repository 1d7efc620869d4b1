import Foundation
import LedgerPostgres

/// The physical streaming standby of the test cluster that `tools/test` starts (`tools/pg standby`), named by
/// `LEDGER_TEST_STANDBY_URL`. Without it a read-replica test fails: a missing standby is a failure, never a skip.
///
/// Every test database made on the primary reaches the standby by replay; ``caughtUp()`` waits for that.
/// Tests that use the standby run one at a time (``exclusive(_:)``), because one of them may pause its replay
/// (``pausingReplay(_:)``), which every reader of the standby would see.
public enum Standby {
    /// Key of the advisory lock on the primary that standby tests hold (arbitrary, fixed forever).
    static let exclusiveLock = AdvisoryLock(key: 0x6C65_6467_7374_6279)  // "ledgstby"

    /// The standby's admin URL.
    public static func clusterURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["LEDGER_TEST_STANDBY_URL"], !url.isEmpty else {
            throw TestSupportError(
                "LEDGER_TEST_STANDBY_URL is not set: run the tests with tools/test, which starts a streaming "
                    + "standby of its cluster (or start one with tools/pg standby start and point it there)")
        }
        return url
    }

    /// The URL of `database` on the standby.
    public static func url(of database: TestDatabase) throws -> String {
        try TestDatabase.url(try clusterURL(), database: database.name)
    }

    /// A connection to `database` on the standby.
    public static func connect(_ database: TestDatabase) throws -> PostgresConnection {
        try PostgresConnection(url: try url(of: database))
    }

    /// Returns once the standby has replayed everything the primary had written when this was called.
    public static func caughtUp() async throws {
        let primary = try PostgresConnection(url: try TestDatabase.clusterURL())
        // The insert position, not pg_current_wal_lsn() (the write position): with synchronous_commit=off (as
        // tools/test runs the cluster) a committed append may not be written yet, and the standby would look
        // caught up before it has the append at all.
        let written: String = try primary.query("SELECT pg_current_wal_insert_lsn()::text")[0].decode(at: 0)
        primary.close()
        let standby = try PostgresConnection(url: try clusterURL())
        defer { standby.close() }
        try await Poll.until("the standby replays through \(written)") {
            try standby.query("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", [written])[0].decode(Bool.self, at: 0)
        }
    }

    /// Runs `body` while no other standby test runs (an advisory lock on the primary, held by a connection
    /// of its own for as long as `body` runs, in this process or another).
    public static func exclusive<T>(_ body: () async throws -> T) async throws -> T {
        let holder = try PostgresConnection(url: try TestDatabase.clusterURL())
        defer { holder.close() }
        // Tried, not waited for in PostgreSQL: a blocked lock call would hold one of Swift concurrency's few
        // threads, which the test holding the lock may need to finish.
        try await Poll.until("no other standby test runs", timeout: .seconds(900), every: .milliseconds(50)) {
            try exclusiveLock.tryLock(on: holder)
        }
        defer { try? exclusiveLock.unlock(on: holder) }
        return try await body()
    }

    /// Runs `body` with the standby's replay paused (`pg_wal_replay_pause()`), and resumes it afterwards
    /// whether `body` threw or not. Call it inside ``exclusive(_:)``.
    public static func pausingReplay<T>(_ body: () async throws -> T) async throws -> T {
        let standby = try PostgresConnection(url: try clusterURL())
        defer { standby.close() }
        // Recovery checks for a pause request before it applies each record, so what the primary writes
        // from here on stays unreplayed, whether or not the state already reads "paused".
        try standby.execute("SELECT pg_wal_replay_pause()")
        do {
            let value = try await body()
            try resumeReplay(standby)
            return value
        } catch {
            try? resumeReplay(standby)
            throw error
        }
    }

    /// Resumes the standby's replay (also from inside ``pausingReplay(_:)``, to let a waiting read through).
    public static func resumeReplay() throws {
        let standby = try PostgresConnection(url: try clusterURL())
        defer { standby.close() }
        try resumeReplay(standby)
    }

    private static func resumeReplay(_ standby: PostgresConnection) throws {
        try standby.execute("SELECT pg_wal_replay_resume()")
    }

    /// The URL of `database` on the standby, for a session named `applicationName` in `pg_stat_activity`.
    public static func url(of database: TestDatabase, applicationName: String) throws -> String {
        try url(of: database) + "?application_name=" + applicationName
    }

    /// True once a session named `applicationName` on `database` at the standby is looking at the replay
    /// position (the query ``ReplicaLag`` runs): a read that asked for a position not yet replayed is then
    /// waiting.
    public static func isLookingAtReplay(_ database: TestDatabase, applicationName: String) throws -> Bool {
        let standby = try PostgresConnection(url: try clusterURL())
        defer { standby.close() }
        return try standby.query(
            """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = $1 AND application_name = $2 AND query LIKE '%pg_last_wal_replay_lsn()%'
            """, [database.name, applicationName])[0].decode(Int64.self, at: 0) > 0
    }
}
