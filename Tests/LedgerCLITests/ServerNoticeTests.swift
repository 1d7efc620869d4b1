import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// libpq's notices never reach a command's standard error raw: a server that ends the connection
/// ("FATAL: terminating connection due to administrator command") shows only as the command's own
/// logged outage, in its log format.
@Suite struct ServerNoticeTests {
    @Test func aTerminatedConnectionIsReportedByTheCommandNotByLibpq() async throws {
        try await TestDatabase.withMigrated { database in
            let follower = try LedgerProcess(
                ["project", "--follow", "--log-format", "json"], environment: ["DATABASE_URL": database.url])
            defer { if follower.isRunning { follower.send(SIGKILL) } }
            let admin = try database.connect()
            func backends() throws -> Set<Int32> {
                Set(
                    try admin.query(
                        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                        [database.name]
                    ).map { try $0.decode(Int32.self, at: 0) })
            }
            // Its following connection, idle for a second: not one it opens and closes while it starts.
            func settled() throws -> Set<Int32> {
                Set(
                    try admin.query(
                        """
                        SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()
                          AND state = 'idle' AND state_change < now() - interval '1 second'
                        """, [database.name]
                    ).map { try $0.decode(Int32.self, at: 0) })
            }
            try await Poll.until("the follower is connected and following") { try !settled().isEmpty }
            let first = try backends()
            for pid in first { try admin.query("SELECT pg_terminate_backend($1)", [pid]) }
            // The follower retries with backoff; under the whole suite's load a reconnect can take over a minute.
            try await Poll.until("the follower reconnected", timeout: .seconds(180)) {
                try !backends().subtracting(first).isEmpty
            }
            follower.send(SIGTERM)
            let output = follower.wait()
            #expect(output.status == 0, "\(output.standardError)")
            #expect(output.standardError.contains("retrying until the database is back"), "\(output.standardError)")
            #expect(!output.standardError.contains("FATAL:"), "\(output.standardError)")
            #expect(!output.standardError.contains("terminating connection"), "\(output.standardError)")
        }
    }
}
