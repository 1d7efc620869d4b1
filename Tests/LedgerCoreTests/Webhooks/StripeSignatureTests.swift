import Foundation
import LedgerCore
import Testing

@Suite("Stripe webhook signatures")
struct StripeSignatureTests {
    let body = Array(#"{"id":"evt_1","object":"event","type":"customer.subscription.updated"}"#.utf8)
    let secret = "whsec_test_5ecret"
    let now: Int64 = 1_732_000_000

    /// HMAC computed by Python's standard library: an implementation independent of ours.
    func pythonSignature(payload: [UInt8], secret: String, timestamp: Int64) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import hmac,hashlib,sys; d=sys.stdin.buffer.read(); "
                + "print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode()+b'.'+d, hashlib.sha256).hexdigest())",
            secret, String(timestamp),
        ]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(payload))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func signatureFromAnIndependentImplementationVerifies() throws {
        let v1 = try pythonSignature(payload: body, secret: secret, timestamp: now - 10)
        #expect(v1.count == 64)
        #expect(StripeSignature.header(payload: body, secret: secret, timestamp: now - 10) == "t=\(now - 10),v1=\(v1)")
        let result = StripeSignature.verify(
            header: "t=\(now - 10),v1=\(v1)", payload: body, secrets: [secret], now: now)
        #expect(result == .success(now - 10))
    }

    @Test func rotatedSecretsAndSeveralSignaturesPassWhenAnyMatches() {
        let old = "whsec_old"
        let signedWithOld = StripeSignature.header(payload: body, secret: old, timestamp: now)
        let v1 = signedWithOld.split(separator: ",")[1]
        let header = "t=\(now),v1=\(String(repeating: "0", count: 64)),v0=abc,\(v1)"
        #expect(
            StripeSignature.verify(header: header, payload: body, secrets: [secret, old], now: now) == .success(now))
        #expect(
            StripeSignature.verify(header: header, payload: body, secrets: [secret], now: now)
                == .failure(.noMatchingSignature))
    }

    @Test func everyWrongInputIsRefusedWithItsReason() {
        let good = StripeSignature.header(payload: body, secret: secret, timestamp: now)
        var tampered = body
        tampered[10] ^= 1
        let cases: [(String?, [UInt8], [String], Int64, StripeSignature.Failure)] = [
            (nil, body, [secret], now, .missingHeader),
            ("", body, [secret], now, .missingHeader),
            ("garbage", body, [secret], now, .malformedHeader),
            ("t=abc,v1=00", body, [secret], now, .malformedHeader),
            ("v1=" + String(repeating: "a", count: 64), body, [secret], now, .malformedHeader),
            (good, body, [], now, .noSecretsConfigured),
            (good, body, ["whsec_wrong"], now, .noMatchingSignature),
            (good, tampered, [secret], now, .noMatchingSignature),
            (good, body, [secret], now + 301, .timestampOutsideTolerance(ageSeconds: 301)),
            (good, body, [secret], now - 301, .timestampOutsideTolerance(ageSeconds: -301)),
            (String(repeating: "t=1,", count: 2000), body, [secret], now, .malformedHeader),
        ]
        for (header, payload, secrets, at, expected) in cases {
            #expect(
                StripeSignature.verify(header: header, payload: payload, secrets: secrets, now: at)
                    == .failure(expected),
                "\(String(describing: header?.prefix(40)))")
        }
        #expect(StripeSignature.verify(header: good, payload: body, secrets: [secret], now: now + 300) == .success(now))
    }

    /// `t` comes from an unauthenticated client and is checked before the HMAC, so no secret is
    /// needed to reach the arithmetic: every timestamp, at and beyond Int64's bounds, is refused
    /// with a reason and never traps (`t=-9223372036854775808` once killed `ledger serve`).
    @Test func timestampsAtAndBeyondInt64BoundsAreRefusedNeverTrap() {
        let zeros = String(repeating: "0", count: 64)
        let cases: [(String, StripeSignature.Failure)] = [
            ("-9223372036854775808", .timestampOutOfRange),
            ("9223372036854775807", .timestampOutsideTolerance(ageSeconds: now - Int64.max)),
            ("-9223372036854775807", .timestampOutOfRange),
            ("-1", .timestampOutsideTolerance(ageSeconds: now + 1)),
            ("-\(now)", .timestampOutsideTolerance(ageSeconds: 2 * now)),
            ("0", .timestampOutsideTolerance(ageSeconds: now)),
            ("9223372036854775808", .malformedHeader),
            ("-9223372036854775809", .malformedHeader),
            (String(repeating: "9", count: 400), .malformedHeader),
            ("-" + String(repeating: "9", count: 400), .malformedHeader),
            ("1e10", .malformedHeader),
            ("1732000000.5", .malformedHeader),
        ]
        for (timestamp, expected) in cases {
            let header = "t=\(timestamp),v1=\(zeros)"
            #expect(
                StripeSignature.verify(header: header, payload: body, secrets: [secret], now: now)
                    == .failure(expected), "t=\(timestamp.prefix(40))")
        }
        // The far ends of `now` itself (a broken clock) do not trap either.
        for clock in [Int64.min, Int64.max, 0, -1] {
            for timestamp: Int64 in [.min, .max, 0, -1, 1] {
                let header = "t=\(timestamp),v1=\(zeros)"
                let result = StripeSignature.verify(header: header, payload: body, secrets: [secret], now: clock)
                #expect(result != .success(timestamp), "now \(clock), t \(timestamp)")
            }
        }
        // Every refusal has words a caller can act on.
        #expect(StripeSignature.Failure.timestampOutOfRange.description.contains("Unix seconds"))
        #expect(
            StripeSignature.Failure.timestampOutsideTolerance(ageSeconds: .min).description.hasSuffix("in the future"))
    }
}
