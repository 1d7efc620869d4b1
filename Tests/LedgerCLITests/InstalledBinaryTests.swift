import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// A copy of `ledger` in a folder of its own, run from there: the binary alone must be enough.
///
/// The copy's folder holds no `db/migrations` and no `docs/openapi.yaml`, and the working directory
/// is that folder, so a binary that still looked for its files beside itself or in the checkout
/// that built it fails here.
@Suite("an installed ledger binary")
struct InstalledBinaryTests {
    /// An empty folder holding a copy of the built binary and one Stripe fixture; removed after `body`.
    func withInstalledCopy(_ body: (_ binary: URL, _ folder: URL) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("installed-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = folder.appendingPathComponent("ledger")
        try FileManager.default.copyItem(at: try Repository.ledgerBinary(), to: binary)
        try FileManager.default.copyItem(
            at: Repository.stripeFixtures.appendingPathComponent(
                "webhook-events-2020-08-27/customer.subscription.created.json"),
            to: folder.appendingPathComponent("event.json"))
        try await body(binary, folder)
    }

    @Test func aCopiedBinaryMigratesIngestsProjectsAndServesFromAnEmptyFolder() async throws {
        try await withInstalledCopy { binary, folder in
            try await TestDatabase.with { database in
                // The overrides unset: only what is built into the binary may be used.
                let environment = [
                    "DATABASE_URL": database.url, "LEDGER_MIGRATIONS_DIR": "", "LEDGER_OPENAPI_PATH": "",
                ]
                func run(_ arguments: [String]) throws -> ProcessOutput {
                    let output = try runLedger(
                        arguments, environment: environment, workingDirectory: folder, executable: binary)
                    #expect(output.status == 0, "ledger \(arguments.joined(separator: " ")): \(output.standardError)")
                    return output
                }
                let migrated = try run(["migrate", "up"])
                let files = try Repository.migrations().migrations.map(\.fileName)
                #expect(migrated.standardOutput.split(separator: "\n") == files.map { "applied \($0)"[...] })
                try expectChecksumsMatchTheRepository(database)
                _ = try run(["ingest", "stripe", "event.json"])
                _ = try run(["project"])
                let (head, checkpoint) = try positions(database)
                #expect(head == 1)
                #expect(checkpoint == head)
                try await expectServes(binary: binary, folder: folder, database: database)
            }
        }
    }

    /// Each recorded checksum is the repository file's: the built-in text is the file, byte for byte.
    func expectChecksumsMatchTheRepository(_ database: TestDatabase) throws {
        let rows = try database.connect().query("SELECT version, checksum FROM schema_migrations ORDER BY version")
        let recorded = try rows.map { "\(try $0.decode(Int.self, at: 0)) \(try $0.decode(String.self, at: 1))" }
        let expected = try Repository.migrations().migrations.map { "\($0.version) \($0.checksum)" }
        #expect(recorded == expected)
    }

    /// `serve` answers `/healthz`, `/readyz` and `/openapi.yaml` (the repository's document), and stops on SIGTERM.
    func expectServes(binary: URL, folder: URL, database: TestDatabase) async throws {
        let server = try await ServedLedger.start(
            databaseURL: database.url, environment: ["LEDGER_MIGRATIONS_DIR": "", "LEDGER_OPENAPI_PATH": ""],
            executable: binary, workingDirectory: folder)
        #expect(try await server.request("GET", "/healthz").status == 200)
        #expect(try await server.request("GET", "/readyz").status == 200)
        let document = try await server.request("GET", "/openapi.yaml")
        #expect(document.status == 200)
        let expected = try Data(contentsOf: Repository.root.appendingPathComponent("docs/openapi.yaml"))
        #expect(Data(document.body) == expected)
        let output = await server.stop(SIGTERM)
        #expect(output.status == 0, "\(output.standardError)")
        #expect(!output.standardError.contains("not found"), "\(output.standardError)")
    }
}
