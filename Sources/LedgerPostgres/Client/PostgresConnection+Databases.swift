extension PostgresConnection {
    /// Drops the database `name` if it exists (ending its sessions) and creates it empty; for the
    /// benchmarks' scratch databases, through a connection to another database of the cluster.
    public func recreateDatabase(named name: String) throws {
        try dropDatabase(named: name)
        // CREATE DATABASE cannot run inside a multi-statement query's implicit transaction: one statement.
        try execute("CREATE DATABASE \(try quoteIdentifier(name))")
    }

    /// Drops the database `name` if it exists, ending its sessions; through a connection to another
    /// database of the cluster.
    public func dropDatabase(named name: String) throws {
        // A database name cannot be a bind parameter: it is quoted by libpq instead.
        try execute("DROP DATABASE IF EXISTS \(try quoteIdentifier(name)) WITH (FORCE)")
    }
}
