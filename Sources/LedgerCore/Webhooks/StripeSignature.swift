import Crypto
import Foundation

/// Stripe's webhook signature: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`.
///
/// `v1` is HMAC-SHA256 keyed with the whole `whsec_…` secret (its UTF-8 bytes)
/// over `"<t>." + the raw request body`. Any `v1` matching any configured
/// secret passes (secrets rotate), compared in constant time; a timestamp
/// further than the tolerance from now, in either direction, is refused so a
/// captured request cannot be replayed later. Pure: the caller passes `now`.
public enum StripeSignature {
    /// Stripe's SDKs refuse signatures older than this by default.
    public static let toleranceSecondsDefault: Int64 = 300
    /// Longest `Stripe-Signature` header considered; longer is refused unread.
    public static let headerBytesMax = 4096

    /// Why a signature was refused, in words fit for a 400 response and a log line.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case missingHeader
        case malformedHeader
        case noSecretsConfigured
        case timestampOutsideTolerance(ageSeconds: Int64)
        /// `t` is so far from now that the distance does not fit in 64 bits (e.g. `t=-9223372036854775808`).
        case timestampOutOfRange
        case noMatchingSignature

        public var description: String {
            switch self {
            case .missingHeader: "no Stripe-Signature header"
            case .malformedHeader: "Stripe-Signature header is not t=<seconds>,v1=<hex>"
            case .noSecretsConfigured: "no webhook signing secret is configured"
            case .timestampOutsideTolerance(let age):
                // `magnitude`, not `-age`: negation of Int64.min traps.
                age >= 0
                    ? "signature timestamp is \(age) s old" : "signature timestamp is \(age.magnitude) s in the future"
            case .timestampOutOfRange: "signature timestamp is not a time near now (Unix seconds expected)"
            case .noMatchingSignature: "no v1 signature matches the payload with any configured secret"
            }
        }
    }

    /// Checks `header` against `payload`; returns the signed timestamp when it passes.
    public static func verify(
        header: String?, payload: some DataProtocol, secrets: [String], now: Int64,
        toleranceSeconds: Int64 = toleranceSecondsDefault
    ) -> Result<Int64, Failure> {
        guard let header, !header.isEmpty else { return .failure(.missingHeader) }
        guard !secrets.isEmpty else { return .failure(.noSecretsConfigured) }
        guard header.utf8.count <= headerBytesMax, let parsed = parse(header) else {
            return .failure(.malformedHeader)
        }
        // `t` comes from an unauthenticated client and this runs before the HMAC: the distance is
        // computed with overflow reported, never trapping (`t=-9223372036854775808` once killed the
        // server). `age` can still be Int64.min, whose `abs` traps, so the range is checked both ways.
        let (age, overflowed) = now.subtractingReportingOverflow(parsed.timestamp)
        guard !overflowed else { return .failure(.timestampOutOfRange) }
        guard age >= -toleranceSeconds, age <= toleranceSeconds else {
            return .failure(.timestampOutsideTolerance(ageSeconds: age))
        }
        var signed = Data("\(parsed.timestamp).".utf8)
        signed.append(contentsOf: payload)
        for secret in secrets {
            let key = SymmetricKey(data: Data(secret.utf8))
            for signature in parsed.signatures
            where HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signed, using: key) {
                return .success(parsed.timestamp)
            }
        }
        return .failure(.noMatchingSignature)
    }

    /// The header value Stripe would send for `payload` signed with `secret` at `timestamp`.
    public static func header(payload: some DataProtocol, secret: String, timestamp: Int64) -> String {
        var signed = Data("\(timestamp).".utf8)
        signed.append(contentsOf: payload)
        let code = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(timestamp),v1=\(HexEncoding.encode(code))"
    }

    /// `t` and every `v1` of a header; other schemes (`v0`, future ones) are ignored, as Stripe's SDKs do.
    static func parse(_ header: String) -> (timestamp: Int64, signatures: [[UInt8]])? {
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        for item in header.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { return nil }
            let key = pair[0].trimmingCharacters(in: .whitespaces)
            let value = pair[1].trimmingCharacters(in: .whitespaces)
            switch key {
            case "t":
                guard timestamp == nil, let seconds = Int64(value) else { return nil }
                timestamp = seconds
            case "v1":
                // A v1 that is not 32 bytes of hex can never match; skip it rather than fail the rest.
                if let bytes = HexEncoding.decode(value), bytes.count == 32 { signatures.append(bytes) }
            default:
                continue
            }
        }
        guard let timestamp, !signatures.isEmpty else { return nil }
        return (timestamp, signatures)
    }
}
