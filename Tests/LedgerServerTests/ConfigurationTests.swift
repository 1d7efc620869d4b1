import Foundation
import Hummingbird
import LedgerCore
import Testing

@testable import LedgerServer

@Suite("configuration and credentials")
struct ConfigurationTests {
    @Test func secretsAndTokensParseFromAListOrAFile() throws {
        #expect(try Credentials.parse(commaSeparated: " whsec_a, whsec_b ,,", origin: "X") == ["whsec_a", "whsec_b"])
        #expect(try Credentials.parse(commaSeparated: "", origin: "X").isEmpty)
        #expect(
            try Credentials.parse(lines: "# comment\nwhsec_a\n\n  whsec_b  \r\n", origin: "f") == [
                "whsec_a", "whsec_b",
            ])
        #expect(throws: Credentials.Invalid.self) { try Credentials.parse(commaSeparated: "has space", origin: "X") }
        #expect(throws: Credentials.Invalid.self) {
            try Credentials.parse(commaSeparated: String(repeating: "a", count: 5000), origin: "X")
        }
        // The message never repeats the value.
        do {
            _ = try Credentials.parse(commaSeparated: "sec ret", origin: "STRIPE_WEBHOOK_SECRETS")
        } catch {
            #expect(!error.description.contains("sec ret"))
        }
    }

    @Test func bearerTokensMatchExactlyAndOnlyAsBearer() {
        let guardian = BearerAuthentication<BasicRequestContext>(tokens: ["alpha-1", "beta-2"])
        #expect(guardian.matches("alpha-1"))
        #expect(guardian.matches("beta-2"))
        #expect(!guardian.matches("alpha-"))
        #expect(!guardian.matches("alpha-11"))
        #expect(!guardian.matches(""))
        #expect(BearerAuthentication<BasicRequestContext>.token(in: "Bearer abc") == "abc")
        #expect(BearerAuthentication<BasicRequestContext>.token(in: "bearer   abc ") == "abc")
        #expect(BearerAuthentication<BasicRequestContext>.token(in: "Basic abc") == nil)
        #expect(BearerAuthentication<BasicRequestContext>.token(in: "Bearer") == nil)
        #expect(BearerAuthentication<BasicRequestContext>.token(in: nil) == nil)
    }

    @Test func configurationBoundsAreChecked() {
        var configuration = ServerConfiguration()
        #expect(configuration.problems().isEmpty)
        configuration.webhookBodyBytesMax = 0
        configuration.signatureToleranceSeconds = 0
        configuration.port = 70_000
        #expect(configuration.problems().count == 3)

        // The body bounds of issue 13 may be tightened, never loosened past their Limits.
        var bodies = ServerConfiguration()
        #expect(bodies.requestBodyReadSeconds == Limits.requestBodyReadSecondsDefault)
        #expect(bodies.webhookBodyReadsInFlight == Limits.webhookBodyReadsInFlightMax)
        bodies.requestBodyReadSeconds = 1
        bodies.webhookBodyReadsInFlight = 1
        #expect(bodies.problems().isEmpty)
        bodies.requestBodyReadSeconds = Limits.requestBodyReadSecondsMax + 1
        bodies.webhookBodyReadsInFlight = 0
        #expect(bodies.problems().count == 2)
    }

    /// The permits never hand out more than their limit, and every one given back is taken again.
    @Test func bodyReadPermitsStopAtTheirLimit() {
        let permits = BodyReadPermits(limit: 3)
        #expect((0..<5).map { _ in permits.acquire() } == [true, true, true, false, false])
        #expect(permits.inFlight == 3)
        permits.release()
        #expect(permits.acquire())
        #expect(!permits.acquire())
        for _ in 0..<3 { permits.release() }
        #expect(permits.inFlight == 0)
    }
}
