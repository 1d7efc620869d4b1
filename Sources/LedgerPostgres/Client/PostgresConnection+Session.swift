/// A PostgreSQL setting the ledger sets for a session, by its PostgreSQL name.
public enum SessionSetting: String, Sendable {
    /// Names the session in `pg_stat_activity`; PostgreSQL keeps the first 63 bytes.
    case applicationName = "application_name"
    /// The longest one statement may run, as PostgreSQL reads a duration (`30s`).
    case statementTimeout = "statement_timeout"
    /// `on`: every later transaction of the session is read-only.
    case defaultTransactionReadOnly = "default_transaction_read_only"
    /// `on`: a commit returns only once its WAL is flushed.
    case synchronousCommit = "synchronous_commit"
}

extension PostgresConnection {
    /// `$1` setting name, `$2` value: sets it until the session ends (`SET` without the value spliced into SQL).
    static let setSessionSetting = "SELECT set_config($1, $2, false)"
    /// `$1` setting name: its value in this session.
    static let selectSessionSetting = "SELECT current_setting($1)"
    /// The cheapest statement the server must answer.
    static let selectOne = "SELECT 1"

    /// Sets `setting` to `value` for the rest of this session.
    public func set(_ setting: SessionSetting, to value: String) throws {
        try query(Self.setSessionSetting, [setting.rawValue, value])
    }

    /// The value of `setting` in this session.
    public func current(_ setting: SessionSetting) throws -> String {
        try query(Self.selectSessionSetting, [setting.rawValue])[0].decode(at: 0)
    }

    /// Names this session in `pg_stat_activity`, so whoever waits for a lock it holds can be told who
    /// holds it. PostgreSQL keeps the first 63 bytes.
    public func setApplicationName(_ name: String) throws {
        try set(.applicationName, to: name)
    }

    /// Returns once the server answered a statement; throws when it cannot (the connection is lost).
    public func ping() throws {
        try query(Self.selectOne)
    }
}
