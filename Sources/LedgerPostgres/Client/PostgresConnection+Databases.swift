extension PostgresConnection {
    /// Drops the database `name` if it exists (ending its sessions) and creates it empty; for the
    /// benchmarks' scratch databases, through a connection to another database of the cluster.
    public func recreateDatabase(named name: String) throws {
        // A database name cannot be a bind parameter: it is quoted by libpq instead. One statement
        // each, as CREATE DATABASE cannot run inside a multi-statement query's implicit transaction.
        let quoted = try quoteIdentifier(name)
        try execute("DROP DATABASE IF EXISTS \(quoted) WITH (FORCE)")
        try execute("CREATE DATABASE \(quoted)")
    }
}
