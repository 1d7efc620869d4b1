import Foundation
import LedgerPostgres
import Testing

@Suite("connection strings: secrets never printed")
struct RedactionTests {
    /// Every form libpq reads, and hostile passwords in each: what logs and messages show.
    static let table: [(given: String, shown: String)] = [
        // URIs
        ("postgresql://bob:s3cret@db.example:5432/ledger", "postgresql://bob:***@db.example:5432/ledger"),
        ("postgres://bob:s3cret@db/ledger", "postgres://bob:***@db/ledger"),
        ("POSTGRESQL://bob:s3cret@db/x", "POSTGRESQL://bob:***@db/x"),
        ("  postgresql://bob:s3cret@db/x", "  postgresql://bob:***@db/x"),
        ("postgresql://bob:s3cret@[::1]:5432/x", "postgresql://bob:***@[::1]:5432/x"),
        ("postgresql://bob:p%40ss%3Aw%2Frd%20x@db/ledger", "postgresql://bob:***@db/ledger"),
        ("postgresql://bob:p%zzss@db/x", "postgresql://bob:***@db/x"),
        ("postgresql://bob:p@ss@db/ledger", "postgresql://bob:***@db/ledger"),
        ("postgresql://bob:pa/ss@db/ledger", "postgresql://bob:***@db/ledger"),
        ("postgresql://bob:pa?ss@db/ledger", "postgresql://bob:***@db/ledger"),
        ("postgresql://bob:pa:ss@db/ledger", "postgresql://bob:***@db/ledger"),
        (
            "postgresql://bob@db/ledger?password=s3cret&sslmode=require",
            "postgresql://bob@db/ledger?password=***&sslmode=require"
        ),
        ("postgresql://db/ledger?password=a&b&sslmode=require", "postgresql://db/ledger?password=***&sslmode=require"),
        ("postgresql://db/ledger?pass%77ord=s3cret", "postgresql://db/ledger?pass%77ord=***"),
        ("postgresql://db/ledger?sslpassword=k3y", "postgresql://db/ledger?sslpassword=***"),
        ("postgresql://bob:one@db/x?password=two", "postgresql://bob:***@db/x?password=***"),
        (
            "postgresql://db:5432/ledger?user=me@corp&password=s3cret",
            "postgresql://db:5432/ledger?user=me@corp&password=***"
        ),
        ("postgresql://db:5432/ledger?password=x@y", "postgresql://db:5432/ledger?password=***"),
        ("postgresql://bob:p@s?s&x=y@db/ledger", "postgresql://bob:***@db/ledger"),
        ("postgresql://bob:pw@db/ledger?user=me@corp", "postgresql://bob:***@db/ledger?user=me@corp"),
        // Keyword/value pairs
        (
            "host=db port=5432 user=bob password=s3cret dbname=ledger",
            "host=db port=5432 user=bob password=*** dbname=ledger"
        ),
        (#"host=db password='a b\'c' dbname=ledger"#, "host=db password=*** dbname=ledger"),
        ("host=db password = s3cret dbname=x", "host=db password = *** dbname=x"),
        ("host=db password=a b dbname=x", "host=db password=*** dbname=x"),
        ("password=a b=c dbname=x", "password=*** dbname=x"),
        ("host=db password='a b dbname=x", "host=db password=***"),
        (#"password=a\ b host=db"#, "password=*** host=db"),
        ("password='p@ss:w/rd%41' host=db", "password=*** host=db"),
        ("password=pässwörd host=db", "password=*** host=db"),
        ("PASSWORD=s3cret host=db", "PASSWORD=*** host=db"),
        ("host=db\tpassword=s3cret\nuser=bob", "host=db\tpassword=***\nuser=bob"),
        ("sslpassword=k3y sslkey=/keys/client.key", "sslpassword=*** sslkey=/keys/client.key"),
        // A URL typed without its scheme is a database name to libpq, quoted back whole.
        ("bob:s3cret@db/ledger", "bob:***@db/ledger"),
        ("bob:pa?ss@db/ledger", "bob:***@db/ledger"),
        // With an `=` it is a keyword string that libpq refuses: any word could be a secret.
        ("bob:pa=ss@db/ledger", "***"),
        ("host=db hots=x password=s3cret", "***"),
        ("host=db stray password=s3cret", "***"),
        // Nothing secret: unchanged.
        ("ledger", "ledger"),
        ("postgresql://bob@db/ledger", "postgresql://bob@db/ledger"),
        ("postgresql://db:5432/ledger?user=me@corp", "postgresql://db:5432/ledger?user=me@corp"),
        ("host=db user=bob dbname=ledger", "host=db user=bob dbname=ledger"),
        ("", ""),
    ]

    @Test(arguments: table.indices)
    func everyFormHidesItsPassword(_ index: Int) {
        let (given, shown) = Self.table[index]
        #expect(ConnectionString.redacted(given) == shown, "\(given)")
    }

    @Test func libpqWordsAreKeptWhenItReadTheStringAsWeDo() {
        let message = #"connection to server at "127.0.0.1", port 1 failed: Connection refused"#
        let scrubbed = ConnectionString.scrubbed(
            message, connectionString: "host=127.0.0.1 port=1 password=s3cret", environment: [:])
        #expect(scrubbed == message)
    }

    @Test func quotedValuesAreDroppedWhenLibpqMisreadsTheString() {
        // libpq reads `password=a b` as password `a` and a keyword `b`, then quotes `b` back.
        let scrubbed = ConnectionString.scrubbed(
            #"missing "=" after "b" in connection info string"#, connectionString: "host=db password=a b",
            environment: [:])
        #expect(scrubbed == #"missing "…" in connection info string"#)
    }

    @Test func secretsAreMaskedWhereverTheyAppear() {
        let scrubbed = ConnectionString.scrubbed(
            "could not use s3cret or fr0m-env", connectionString: "host=db password=s3cret",
            environment: ["PGPASSWORD": "fr0m-env"])
        #expect(scrubbed == "could not use *** or ***")
    }

    /// A password whose every part is a distinct marker, so a fragment that leaks is found.
    static let hostilePassword = #"Qa1@Wb2:Ec3/Rd4?Tf5&Yg6 Uh7'Ij8"Ok9%41Pl0\Zm1=Xn2"#
    static let markers = ["Qa1", "Wb2", "Ec3", "Rd4", "Tf5", "Yg6", "Uh7", "Ij8", "Ok9", "Pl0", "Zm1", "Xn2"]

    /// The same hostile password in every form, through libpq itself, to a port nothing listens on.
    static func hostileForms() -> [String] {
        let password = hostilePassword
        let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let quoted = password.replacingOccurrences(of: #"\"#, with: #"\\"#).replacingOccurrences(of: "'", with: #"\'"#)
        return [
            "postgresql://bob:\(encoded)@127.0.0.1:1/x",
            "postgresql://bob:\(password)@127.0.0.1:1/x",
            "postgresql://bob@127.0.0.1:1/x?password=\(encoded)",
            "postgresql://bob@127.0.0.1:1/x?password=\(password)",
            "postgresql://bob@127.0.0.1:1/x?connect_timeout=5&password=\(password)&sslmode=disable",
            "host=127.0.0.1 port=1 user=bob password='\(quoted)' dbname=x",
            "host=127.0.0.1 port=1 user=bob password=\(password) dbname=x",
            "password=\(password) host=127.0.0.1 port=1",
            "bob:\(password)@127.0.0.1:1/x",
        ]
    }

    @Test(arguments: hostileForms())
    func connectionErrorsNeverCarryAPasswordFragment(_ url: String) throws {
        let error = try #require(throws: PostgresError.self) { try PostgresConnection(url: url) }
        let text = error.description
        for marker in Self.markers {
            #expect(!text.contains(marker), "\(marker) leaked: \(text)")
        }
        #expect(text.contains("could not connect"), "\(text)")
    }
}
