import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// Everything `ledger serve` is told: where to listen, the database, credentials and bounds.
///
/// Built by the CLI from flags and the environment (see ``Credentials``); secrets and tokens never
/// come from flags, which other users of the machine could read in the process list.
public struct ServerConfiguration: Sendable {
    /// Address to bind; `127.0.0.1` unless the operator opens it up on purpose.
    public var host = "127.0.0.1"
    /// Port to bind; 0 picks a free one (printed on start).
    public var port = 8080
    /// libpq URL or keyword string; nil uses libpq's `PG*` environment.
    public var databaseURL: String?
    /// A streaming replica the read API and the console read from (docs/scale.md); nil reads the primary.
    public var readDatabaseURL: String?
    /// The longest a read API request waits for the position it asks for (`Ledger-Min-Position`).
    public var replicaWaitSeconds = Limits.replicaWaitSecondsDefault
    /// Stripe webhook signing secrets (`whsec_…`); any of them may sign (rotation).
    public var webhookSecrets: [String] = []
    /// Bearer tokens of the read API; empty turns the read API off.
    public var apiTokens: [String] = []
    /// Bearer tokens `/metrics` asks for; empty leaves it open to whoever reaches its listener.
    public var metricsTokens: [String] = []
    /// A listener of its own for `/metrics` (e.g. loopback only); nil serves it beside the rest.
    public var metricsAddress: ListenAddress?
    /// Largest webhook body accepted, in bytes.
    public var webhookBodyBytesMax = Limits.webhookBodyBytesDefault
    /// Longest a request body may take to arrive (408 and the connection closed past it).
    public var requestBodyReadSeconds = Limits.requestBodyReadSecondsDefault
    /// Webhook bodies read at once (503 with Retry-After past it).
    public var webhookBodyReadsInFlight = Limits.webhookBodyReadsInFlightMax
    /// How far a signature's timestamp may be from now, either way.
    public var signatureToleranceSeconds = StripeSignature.toleranceSecondsDefault
    /// Coalesce concurrent webhook appends into shared transactions (off only to measure it).
    public var groupCommit = true
    /// Run the catch-up projector in this process.
    public var projector = true
    /// How long the projector may keep failing with events waiting before `/readyz` answers 503.
    public var projectorStallSeconds = Limits.projectorStallSecondsDefault
    /// Where the projector restores its state from on start (and writes snapshots, if asked); nil
    /// replays from event 1.
    public var snapshots: SnapshotPolicy?
    /// `--sync-every`: the Stripe events catch-up on a schedule (``StripeSyncService``); nil: off.
    public var stripeSync: StripeSyncSchedule?
    /// Read API, readiness and metrics connections.
    public var databaseConnections = Limits.databasePoolConnectionsDefault
    /// The migrations `/readyz` compares the database with.
    public var migrations: MigrationSource?
    /// The OpenAPI document served at `/openapi.yaml`: `docs/openapi.yaml` as built into the binary.
    public var openAPIDocument = OpenAPIDocument.embedded

    public init() {}

    /// The problems that would stop the server from starting, in words for the operator.
    public func problems() -> [String] {
        var problems: [String] = []
        if !(0...65_535).contains(port) { problems.append("--port must be 0…65535") }
        if !(1...Limits.webhookBodyBytesMax).contains(webhookBodyBytesMax) {
            problems.append("--body-limit must be 1…\(Limits.webhookBodyBytesMax) bytes")
        }
        if !(1...Limits.signatureToleranceSecondsMax).contains(signatureToleranceSeconds) {
            problems.append("--signature-tolerance must be 1…\(Limits.signatureToleranceSecondsMax) seconds")
        }
        if !(1...Limits.requestBodyReadSecondsMax).contains(requestBodyReadSeconds) {
            problems.append("the body read timeout must be 1…\(Limits.requestBodyReadSecondsMax) seconds")
        }
        if !(1...Limits.webhookBodyReadsInFlightMax).contains(webhookBodyReadsInFlight) {
            problems.append("webhook body reads in flight must be 1…\(Limits.webhookBodyReadsInFlightMax)")
        }
        if !(1...Limits.projectorStallSecondsMax).contains(projectorStallSeconds) {
            problems.append("--projector-stall-seconds must be 1…\(Limits.projectorStallSecondsMax)")
        }
        if !(1...Limits.databasePoolConnectionsMax).contains(databaseConnections) {
            problems.append("--database-connections must be 1…\(Limits.databasePoolConnectionsMax)")
        }
        if !(0...Limits.replicaWaitSecondsMax).contains(replicaWaitSeconds) {
            problems.append("--replica-wait-seconds must be 0…\(Limits.replicaWaitSecondsMax)")
        }
        if let metricsAddress, !(0...65_535).contains(metricsAddress.port) {
            problems.append("the port of --metrics-address must be 0…65535")
        }
        return problems
    }

    /// True when `/metrics` answers anyone on a listener reachable from other machines.
    public var metricsArePublic: Bool {
        metricsTokens.isEmpty && !ListenAddress.isLoopback(metricsAddress?.host ?? host)
    }

    /// The database URL as logs may show it (password hidden).
    var redactedDatabaseURL: String {
        databaseURL.map(ConnectionString.redacted) ?? "libpq defaults (PG* environment)"
    }
}

/// Reads webhook secrets and API tokens from an environment variable or a file.
public enum Credentials {
    /// Why a credential list was refused; the message never contains a credential.
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Values of a comma-separated list (`STRIPE_WEBHOOK_SECRETS=whsec_a,whsec_b`), blanks dropped.
    public static func parse(commaSeparated text: String, origin: String) throws(Invalid) -> [String] {
        try checked(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }, origin: origin)
    }

    /// One value per line; blank lines and lines starting with `#` are skipped.
    public static func parse(lines text: String, origin: String) throws(Invalid) -> [String] {
        let values = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.hasPrefix("#") }
        return try checked(values, origin: origin)
    }

    /// Reads a file of one value per line.
    public static func read(file path: String) throws(Invalid) -> [String] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Invalid(description: "cannot read \(path): \(error.localizedDescription)")
        }
        return try parse(lines: text, origin: path)
    }

    private static func checked(_ values: [String], origin: String) throws(Invalid) -> [String] {
        let values = values.filter { !$0.isEmpty }
        guard values.count <= Limits.credentialsMax else {
            throw Invalid(description: "\(origin) has \(values.count) values; at most \(Limits.credentialsMax)")
        }
        for (index, value) in values.enumerated() {
            guard value.utf8.count <= Limits.credentialBytesMax else {
                throw Invalid(
                    description: "value \(index + 1) of \(origin) is longer than \(Limits.credentialBytesMax) bytes")
            }
            guard value.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }) else {
                throw Invalid(description: "value \(index + 1) of \(origin) has spaces or non-printable characters")
            }
        }
        return values
    }
}

/// The OpenAPI document `/openapi.yaml` serves.
public enum OpenAPIDocument {
    /// `docs/openapi.yaml`, compiled into this binary when it was built (the EmbedFiles build
    /// plugin), so the document always describes the server that serves it.
    public static var embedded: [UInt8] { Array(EmbeddedOpenAPI.files.first?.text.utf8 ?? "".utf8) }

    /// Why a document given to replace the built-in one cannot be read.
    public struct Unreadable: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The file given with `--openapi` (`explicit`) or `LEDGER_OPENAPI_PATH`, else the built-in document.
    public static func load(explicit: String?, environment: [String: String]) throws(Unreadable) -> [UInt8] {
        let path = [explicit, environment["LEDGER_OPENAPI_PATH"]].compactMap { $0 }.first { !$0.isEmpty }
        guard let path else { return embedded }
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw Unreadable(description: "cannot read the OpenAPI document \(path): \(error.localizedDescription)")
        }
    }
}

/// A `HOST:PORT` to listen on (`127.0.0.1:9090`, `[::1]:9090`, `0.0.0.0:9090`).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Reads `HOST:PORT`; nil when there is no port after the last `:`.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// True for an address only this machine can reach.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
