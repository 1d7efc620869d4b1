import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// No command prints a database password, in any form libpq reads, whatever goes wrong.
@Suite("secrets: the CLI never prints a password")
struct SecretsCLITests {
    /// Commands that open the database first, each a different path to the error printer.
    static let commands: [[String]] = [["status"], ["head"], ["verify"], ["migrate", "status"], ["consumers"]]

    @Test func anUnreachableDatabaseInEveryFormIsNamedWithoutItsPassword() throws {
        for form in PasswordRole.forms(user: "bob", host: "127.0.0.1", port: 1, database: "nowhere") {
            for command in Self.commands {
                let output = try runLedger(command + ["--database-url", form.url])
                let printed = output.standardOutput + output.standardError
                #expect(output.status == 1, "\(form.name), \(command): \(printed)")
                #expect(PasswordRole.leaks(in: printed).isEmpty, "\(form.name), \(command) printed: \(printed)")
                #expect(printed.contains("could not connect"), "\(form.name), \(command): \(printed)")
            }
            // The same through DATABASE_URL.
            let output = try runLedger(["status"], environment: ["DATABASE_URL": form.url])
            #expect(output.status == 1)
            #expect(PasswordRole.leaks(in: output.standardError).isEmpty, "\(form.name): \(output.standardError)")
        }
    }

    @Test func aPasswordFromPGPASSWORDIsNeverEchoed() throws {
        let output = try runLedger(
            ["status"],
            environment: ["PGHOST": "127.0.0.1", "PGPORT": "1", "PGUSER": "bob", "PGPASSWORD": PasswordRole.password])
        #expect(output.status == 1)
        #expect(output.standardError.contains("could not connect"), "\(output.standardError)")
        #expect(PasswordRole.leaks(in: output.standardError).isEmpty, "\(output.standardError)")
    }

    /// A reachable server, a role with a password, and a wrong one given: whatever the server
    /// answers (the test cluster trusts loopback, so it logs in; the schema is then missing),
    /// neither password is printed.
    @Test func aReachableServerWithAWrongPasswordNeverShowsEitherPassword() async throws {
        let cluster = try #require(URLComponents(string: try TestDatabase.clusterURL()))
        let host = cluster.host ?? "127.0.0.1"
        let port = cluster.port ?? 5432
        try await TestDatabase.with { database in
            try await PasswordRole.with { role in
                // libpq reads a URL without its scheme as a database name, on PGHOST and PGPORT.
                let environment = ["PGHOST": host, "PGPORT": "\(port)"]
                for form in PasswordRole.forms(user: role.name, host: host, port: port, database: database.name) {
                    for command in Self.commands {
                        let output = try runLedger(command + ["--database-url", form.url], environment: environment)
                        let printed = output.standardOutput + output.standardError
                        #expect(PasswordRole.leaks(in: printed).isEmpty, "\(form.name), \(command) printed: \(printed)")
                        #expect(!printed.contains(role.rightPassword), "\(form.name), \(command): \(printed)")
                    }
                }
            }
        }
    }
}
