import Foundation
import HTTPTypes
import Hummingbird
import LedgerCore
import LedgerPostgres

/// Where the read API and the console read: a streaming replica's pool (`--read-database-url`), or
/// the primary's read-only pool when there is none; and how they wait for a position and measure lag.
struct ReadReplica: Sendable {
    /// The pool the read API and the console read with.
    let reads: DatabasePool
    /// The primary's read-only pool, to measure the replica's lag against; nil when `reads` is the primary.
    let primary: DatabasePool?
    /// The longest a read waits for the position it asks for (`--replica-wait-seconds`).
    let waitTimeout: Duration

    /// Waits, without holding a pool thread between looks, until the read database has replayed
    /// `position`; throws ``ReplicaBehind`` when the wait runs out.
    func waitForReplay(of position: Int64) async throws -> ReplicaLag.ReplicaSide {
        let wait = ReplicaWait(position: position, timeout: waitTimeout)
        let clock = ContinuousClock()
        let start = clock.now
        while true {
            let side = try await reads.withConnection { try ReplicaLag.readReplicaSide($0) }
            switch wait.step(replayed: side.position, waited: start.duration(to: clock.now)) {
            case .ready: return side
            case .poll(let pause): try await Task.sleep(for: pause)
            case .refuse(let behind): throw behind
            }
        }
    }

    /// The replica's lag after `side` was read; the primary's figures are left out when it cannot be asked.
    func lag(after side: ReplicaLag.ReplicaSide) async -> ReplicaLag? {
        guard let primary else { return nil }
        if let lag = try? await primary.withConnection({ try ReplicaLag.measure(side, primary: $0) }) { return lag }
        return try? ReplicaLag.measure(side, primary: nil)
    }
}

/// Read consistency for the read API (`/v1`, authenticated requests only): a `Ledger-Min-Position: N`
/// request waits until the read database has replayed position N (503 `replica_behind` when it does
/// not within the wait), and on a replica every answer carries its lag in `Ledger-Replica-*` headers.
///
/// It runs before the routes' own bearer check, so it checks the token itself: an unauthenticated
/// request is passed on untouched (and refused there), never made to wait nor told the log's head.
struct ReadConsistencyMiddleware<Context: RequestContext>: RouterMiddleware {
    let replica: ReadReplica
    let authentication: BearerAuthentication<Context>

    init(replica: ReadReplica, apiTokens: [String]) {
        self.replica = replica
        authentication = BearerAuthentication(tokens: apiTokens)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard request.uri.path.hasPrefix("/v1/"),
            let token = BearerAuthentication<Context>.token(in: request.headers[.authorization]),
            authentication.matches(token)
        else { return try await next(request, context) }
        let minimum = try Self.minimumPosition(request.headers[ReplicaHeaders.minPosition])
        guard minimum != nil || replica.primary != nil else { return try await next(request, context) }
        let side: ReplicaLag.ReplicaSide
        do {
            side = try await replica.waitForReplay(of: minimum ?? 0)
        } catch let behind as ReplicaBehind {
            throw APIError.unavailable(behind.description, code: "replica_behind")
        } catch {
            throw APIError.from(database: error)
        }
        async let measured = replica.lag(after: side)
        do {
            var response = try await next(request, context)
            ReplicaHeaders.add(await measured, to: &response.headers)
            return response
        } catch var error as APIError {
            ReplicaHeaders.add(await measured, to: &error.headers)
            throw error
        }
    }

    /// The `Ledger-Min-Position` header's position; a value that is not a decimal integer ≥ 0 is a 400.
    static func minimumPosition(_ value: String?) throws(APIError) -> Int64? {
        guard let value else { return nil }
        guard value.utf8.count <= 20, let position = Int64(value), position >= 0 else {
            throw APIError.badRequest("Ledger-Min-Position must be a log position: a decimal integer, 0 or more")
        }
        return position
    }
}

/// The headers of read consistency: what a client asks for, and the lag an answer read on a replica had.
enum ReplicaHeaders {
    /// Request: answer only from a state that includes this position.
    static var minPosition: HTTPField.Name { HTTPField.Name("Ledger-Min-Position") ?? .contentType }
    /// The log's head on the replica when the request was served: the answer includes at least this.
    static var replicaPosition: HTTPField.Name { HTTPField.Name("Ledger-Replica-Position") ?? .contentType }
    /// The log's head on the primary, read just after.
    static var primaryPosition: HTTPField.Name { HTTPField.Name("Ledger-Primary-Position") ?? .contentType }
    /// Events the replica had not replayed.
    static var lagEvents: HTTPField.Name { HTTPField.Name("Ledger-Replica-Lag-Events") ?? .contentType }
    /// WAL bytes the replica had not replayed.
    static var lagBytes: HTTPField.Name { HTTPField.Name("Ledger-Replica-Lag-Bytes") ?? .contentType }
    /// Seconds since the replica replayed its last transaction (0 when it had replayed all it received).
    static var replaySeconds: HTTPField.Name { HTTPField.Name("Ledger-Replica-Replay-Seconds") ?? .contentType }

    static func add(_ lag: ReplicaLag?, to headers: inout HTTPFields) {
        guard let lag else { return }
        headers[replicaPosition] = "\(lag.replicaPosition)"
        if let position = lag.primaryPosition { headers[primaryPosition] = "\(position)" }
        if let events = lag.events { headers[lagEvents] = "\(events)" }
        if let bytes = lag.walBytes { headers[lagBytes] = "\(bytes)" }
        if let seconds = lag.replaySeconds { headers[replaySeconds] = String(format: "%.3f", seconds) }
    }
}
