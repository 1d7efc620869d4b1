extension PostgresConnection {
    /// $1 application name.
    static let setApplicationNameStatement = "SELECT set_config('application_name', $1, false)"

    /// Names this session in `pg_stat_activity`, so whoever waits for a lock it holds can be told who
    /// holds it. PostgreSQL keeps the first 63 bytes.
    public func setApplicationName(_ name: String) throws {
        try query(Self.setApplicationNameStatement, [name])
    }
}
