import Foundation
import LedgerPostgres

/// A login role with a hostile password, for tests that prove the password is never printed.
///
/// The test cluster's `pg_hba.conf` is `trust` on loopback, so the server does not check the
/// password: a wrong one logs in too. That is fine here: what these tests prove is what the ledger
/// prints, not what PostgreSQL accepts. The role is a superuser of the throwaway cluster so it can
/// use any test database, and it is dropped afterwards (roles are cluster-wide).
public struct PasswordRole: Sendable {
    /// Every part of the password is a distinct marker, so a fragment that leaks is found too.
    public static let password = #"Qa1@Wb2:Ec3/Rd4?Tf5&Yg6 Uh7'Ij8"Ok9%41Pl0\Zm1=Xn2"#
    public static let markers = ["Qa1", "Wb2", "Ec3", "Rd4", "Tf5", "Yg6", "Uh7", "Ij8", "Ok9", "Pl0", "Zm1", "Xn2"]

    public let name: String

    /// The password the role was created with (the tests log in with ``password``, a wrong one).
    public let rightPassword: String

    /// Creates the role, runs `body`, drops the role.
    public static func with<T>(_ body: (PasswordRole) async throws -> T) async throws -> T {
        let hex = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let role = PasswordRole(name: "pw\(hex)", rightPassword: "Rt9\(hex)")
        let admin = try PostgresConnection(url: try TestDatabase.clusterURL())
        try admin.execute("CREATE ROLE \(role.name) LOGIN SUPERUSER PASSWORD '\(role.rightPassword)'")
        defer {
            _ = try? admin.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", [role.name])
            try? admin.execute("DROP ROLE IF EXISTS \(role.name)")
        }
        return try await body(role)
    }

    /// The fragments of ``password`` that `text` holds (none, when nothing leaked).
    public static func leaks(in text: String) -> [String] {
        markers.filter { text.contains($0) }
    }

    /// Every form libpq reads, each logging in as `user` with `password` to `host:port/database`.
    public static func forms(
        user: String, host: String, port: Int, database: String, password: String = PasswordRole.password
    ) -> [(name: String, url: String)] {
        let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let quoted = password.replacingOccurrences(of: #"\"#, with: #"\\"#).replacingOccurrences(of: "'", with: #"\'"#)
        return [
            ("URL user:password@", "postgresql://\(user):\(encoded)@\(host):\(port)/\(database)"),
            ("URL ?password=", "postgresql://\(user)@\(host):\(port)/\(database)?password=\(encoded)"),
            ("keywords, quoted", "host=\(host) port=\(port) user=\(user) password='\(quoted)' dbname=\(database)"),
            ("URL, raw password", "postgresql://\(user):\(password)@\(host):\(port)/\(database)"),
            (
                "keywords, raw password",
                "host=\(host) port=\(port) user=\(user) password=\(password) dbname=\(database)"
            ),
            ("URL without its scheme", "\(user):\(password)@\(host):\(port)/\(database)"),
        ]
    }
}
