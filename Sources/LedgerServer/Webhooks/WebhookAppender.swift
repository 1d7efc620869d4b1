import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// Appends one webhook's event and answers only after its transaction committed.
protocol WebhookAppender: Sendable {
    /// The event's outcome (new position, or the original one for a redelivery).
    func append(_ event: ValidatedEvent) async throws -> AppendOutcome
    /// Stops taking appends after those in flight have committed.
    func shutdown()
    /// Counters for `/v1/status`, when the appender keeps them.
    var statistics: GroupCommitAppender.Statistics? { get }
}

/// The default: concurrent webhooks share transactions (and WAL flushes) through ``GroupCommitAppender``.
struct GroupCommitWebhookAppender: WebhookAppender {
    let appender: GroupCommitAppender

    func append(_ event: ValidatedEvent) async throws -> AppendOutcome {
        let outcomes = try await appender.append(AppendBatch(validated: [event], origins: ["webhook"]))
        guard let outcome = outcomes.first else {
            throw DatabaseUnavailable(description: "the appender answered no outcome")
        }
        return outcome
    }

    func shutdown() { appender.shutdown() }

    var statistics: GroupCommitAppender.Statistics? { appender.currentStatistics }
}

/// The baseline group commit is measured against (`--no-group-commit`): every webhook appended in a
/// transaction of its own, on a pool of writer connections.
struct TransactionPerRequestAppender: WebhookAppender {
    let pool: DatabasePool

    func append(_ event: ValidatedEvent) async throws -> AppendOutcome {
        let outcomes = try await pool.withConnection(retryOnLostConnection: false) { connection in
            try EventStore(connection: connection).append(
                AppendBatch(validated: [event], origins: ["webhook"]), recordedAt: EventTime(Date()))
        }
        guard let outcome = outcomes.first else {
            throw DatabaseUnavailable(description: "the append answered no outcome")
        }
        return outcome
    }

    func shutdown() { pool.shutdown() }

    var statistics: GroupCommitAppender.Statistics? { nil }
}
