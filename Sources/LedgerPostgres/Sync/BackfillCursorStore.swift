import Foundation
import LedgerCore

/// Where `ledger sync backfill` stands in each Stripe resource (`ledger.backfill_cursors`, migration 016).
public struct BackfillCursorStore {
    /// One resource's pass.
    public struct Cursor: Sendable, Equatable {
        public var resource: Observation.Resource
        /// The connected account ('' for the platform's own) and the key's mode the pass was made with.
        public var account: String
        public var mode: LedgerMode
        /// Stripe's clock when the pass listed its first page.
        public var passStartedAt: Int64
        /// The last object whose observation is committed; nil before the pass's first page.
        public var startingAfter: String?
        /// Stripe's clock when the pass listed its last page; nil while it runs.
        public var completedAt: Int64?
        public var objectsListed: Int64
        public var observationsAppended: Int64
    }

    static let selectCursors = """
        SELECT resource, account, mode, pass_started_at, starting_after, completed_at, objects_listed,
               observations_appended
        FROM ledger.backfill_cursors ORDER BY resource
        """
    /// `$1` resource, `$2` account, `$3` mode, `$4` pass start: a new pass (counts kept, position cleared).
    static let upsertPass = """
        INSERT INTO ledger.backfill_cursors (resource, account, mode, pass_started_at)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (resource) DO UPDATE
        SET pass_started_at = EXCLUDED.pass_started_at, starting_after = NULL, completed_at = NULL,
            updated_at = now()
        """
    /// `$1` resource, `$2` last object committed, `$3` objects listed, `$4` observations appended, `$5` completion
    /// time or NULL.
    static let updateProgress = """
        UPDATE ledger.backfill_cursors
        SET starting_after = coalesce($2, starting_after), objects_listed = objects_listed + $3,
            observations_appended = observations_appended + $4, completed_at = $5, updated_at = now()
        WHERE resource = $1
        """
    /// The accounts and modes of every sync cursor, events and backfill alike.
    static let selectAccounts = """
        SELECT account, mode FROM ledger.sync_cursors
        UNION SELECT account, mode FROM ledger.backfill_cursors
        ORDER BY 1, 2
        """

    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Every resource's cursor, by resource name.
    public func cursors() throws -> [Observation.Resource: Cursor] {
        var result: [Observation.Resource: Cursor] = [:]
        for row in try connection.query(Self.selectCursors) {
            let name: String = try row.decode(at: 0)
            let modeText: String = try row.decode(at: 2)
            guard let resource = Observation.Resource(rawValue: name), let mode = LedgerMode(rawValue: modeText)
            else {
                throw PostgresError(
                    .protocolViolation, message: "ledger.backfill_cursors holds resource \(name), mode \(modeText)")
            }
            result[resource] = Cursor(
                resource: resource, account: try row.decode(at: 1), mode: mode,
                passStartedAt: try row.decode(at: 3), startingAfter: try row.decode(String?.self, at: 4),
                completedAt: try row.decode(Int64?.self, at: 5), objectsListed: try row.decode(at: 6),
                observationsAppended: try row.decode(at: 7))
        }
        return result
    }

    /// Starts a new pass of `resource` at Stripe's time `startedAt`.
    public func startPass(_ resource: Observation.Resource, account: String, mode: LedgerMode, startedAt: Int64)
        throws
    {
        try connection.query(Self.upsertPass, [resource.rawValue, account, mode.rawValue, startedAt])
    }

    /// Records a committed page: the last object listed, the counts it adds, and the completion time once the
    /// page was the last.
    public func advance(
        _ resource: Observation.Resource, after lastObjectID: String?, listed: Int, appended: Int,
        completedAt: Int64?
    ) throws {
        try connection.query(
            Self.updateProgress,
            [resource.rawValue, lastObjectID, Int64(listed), Int64(appended), completedAt])
    }

    /// The (account, mode) pairs every sync so far was made with.
    public func accounts() throws -> [(account: String, mode: LedgerMode)] {
        var result: [(account: String, mode: LedgerMode)] = []
        for row in try connection.query(Self.selectAccounts) {
            let modeText: String = try row.decode(at: 1)
            guard let mode = LedgerMode(rawValue: modeText) else {
                throw PostgresError(.protocolViolation, message: "a sync cursor holds mode \(modeText)")
            }
            result.append((try row.decode(at: 0), mode))
        }
        return result
    }
}
