import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import Logging

/// The database cannot be reached or is overloaded right now; the request may be retried (HTTP 503).
public struct DatabaseUnavailable: Error, CustomStringConvertible, Sendable {
    /// What a client may be told: never host, port, user or libpq's text.
    public var description: String
    /// What went wrong underneath (libpq's words, password already removed), for the server log only.
    public var detail: String?

    public init(description: String, detail: String? = nil) {
        self.description = description
        self.detail = detail
    }
}

/// A small, bounded pool of PostgreSQL connections, each owned by a thread of its own.
///
/// libpq calls block, so they never run on the NIO event loops or Swift's cooperative pool (two
/// threads on this machine): a request hands its work to the queue and suspends; one of the pool's
/// threads runs it with its connection and resumes the request. A connection that broke is dropped
/// and opened again for the next job, so the pool recovers by itself when the database comes back.
/// The queue is bounded (``Limits/databasePoolQueueRequestsMax``): past it, callers get
/// ``DatabaseUnavailable`` at once instead of waiting without end.
public final class DatabasePool: Sendable {
    private typealias Job = @Sendable (PostgresConnection?, (any Error)?) -> Void

    private let queue: BoundedQueue<Job>
    private let workers: [WorkerThread]

    /// Starts `size` threads; each connects on its first job.
    ///
    /// - Parameter readOnly: open every transaction read-only (the read API's pool), so a bug in a
    ///   query can never write.
    public init(
        size: Int, readOnly: Bool, connect: @escaping @Sendable () throws -> PostgresConnection, logger: Logger
    ) {
        precondition((1...Limits.databasePoolConnectionsMax).contains(size), "pool size out of range")
        let queue = BoundedQueue<Job>(capacity: Limits.databasePoolQueueRequestsMax)
        self.queue = queue
        workers = (0..<size).map { index in
            WorkerThread(name: "ledger.db-pool.\(index)") {
                Self.serve(queue, connect: connect, readOnly: readOnly, logger: logger)
            }
        }
    }

    /// Runs `body` with a pooled connection on a pool thread and returns its value.
    ///
    /// A connection lost during `body` is replaced and `body` run once more when `retryOnLostConnection`
    /// (for reads, which can safely repeat: a connection that died while idle is only noticed on use).
    /// Throws ``DatabaseUnavailable`` when the database cannot be reached or the queue is full, else
    /// what `body` throws.
    public func withConnection<T: Sendable>(
        retryOnLostConnection: Bool = true, _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        do {
            return try await submit(body)
        } catch let error as PostgresError where error.kind == .connectionLost && retryOnLostConnection {
            return try await submit(body)
        }
    }

    /// Stops the threads after the queued jobs; later calls get ``DatabaseUnavailable``.
    public func shutdown() {
        queue.finish()
        for worker in workers { _ = worker.result() }
    }

    private func submit<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (reply: CheckedContinuation<T, any Error>) in
            let job: Job = { connection, connectError in
                guard let connection else {
                    reply.resume(throwing: Self.unavailable(connectError))
                    return
                }
                reply.resume(with: Result { try body(connection) })
            }
            switch queue.offer(job) {
            case .accepted:
                break
            case .full:
                reply.resume(
                    throwing: DatabaseUnavailable(description: "too many database requests queued; retry later"))
            case .closed:
                reply.resume(throwing: DatabaseUnavailable(description: "the server is shutting down"))
            }
        }
    }

    /// One pool thread: runs jobs with its own connection until the queue is finished.
    private static func serve(
        _ queue: BoundedQueue<Job>, connect: () throws -> PostgresConnection, readOnly: Bool, logger: Logger
    ) {
        var connection: PostgresConnection?
        // Nothing fails the queue, so `receive` ends only with nil, once it is finished and empty.
        while let job = try? queue.receive() {
            if connection?.isOpen != true {
                connection?.close()
                connection = nil
                do {
                    connection = try openConnection(connect, readOnly: readOnly)
                } catch {
                    logger.warning("database connection failed", metadata: ["error": "\(error)"])
                    job(nil, error)
                    continue
                }
            }
            job(connection, nil)
            // A job must leave no transaction open; one that did is not trusted with the next job.
            if let open = connection, open.isInTransaction {
                open.close()
                connection = nil
            }
        }
        connection?.close()
    }

    private static func openConnection(_ connect: () throws -> PostgresConnection, readOnly: Bool) throws
        -> PostgresConnection
    {
        let connection = try connect()
        // Bounded statements: a slow audit query must not hold a pool thread without end.
        try connection.set(.statementTimeout, to: "\(Limits.readStatementTimeoutSecondsMax)s")
        if readOnly { try connection.set(.defaultTransactionReadOnly, to: "on") }
        return connection
    }

    static func unavailable(_ error: (any Error)?) -> DatabaseUnavailable {
        DatabaseUnavailable(
            description: APIError.databaseUnavailableMessage, detail: error.map { "\($0)" } ?? "unknown error")
    }
}
