import LedgerPostgres

/// Where a sync's database work runs: libpq blocks, so the server runs it on a pool thread of its own,
/// while the CLI, which has nothing else to run, uses its one connection in place.
///
/// Every step a sync takes in the database is one call of ``run(_:)``: its plan, each window's append
/// and cursor move, the final head. The catch-up never holds a connection across an `await` on Stripe.
public protocol SyncDatabase: Sendable {
    /// Runs `body` with a connection and returns its value.
    func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T
}

/// One connection used in place by the task that runs the sync (`ledger sync events`).
///
/// `@unchecked Sendable`: the catch-up awaits each call of ``run(_:)`` before it makes the next (one
/// window's append at a time, the plan before and the head after them), so the connection is never
/// used by two threads at once. A call blocks the cooperative thread it runs on, which the command,
/// listing the next window on another, can afford.
public final class SyncConnection: SyncDatabase, @unchecked Sendable {
    let connection: PostgresConnection

    public init(_ connection: PostgresConnection) {
        self.connection = connection
    }

    public func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try body(connection)
    }
}
