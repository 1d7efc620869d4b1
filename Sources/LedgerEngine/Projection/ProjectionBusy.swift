import Foundation

/// The PostgreSQL session holding the projection, as `pg_stat_activity` shows it.
public struct ProjectionHolder: Sendable, Equatable, CustomStringConvertible {
    /// The server process serving the session (`pg_terminate_backend` takes it).
    public var backendPID: Int32
    /// A ledger names itself `command (pid N on host)`; psql says `psql`; nil when unset.
    public var applicationName: String?
    public var user: String?
    /// Client host name or address; nil over a local socket or without `pg_read_all_stats`.
    public var client: String?
    /// When the session connected (UTC, ISO 8601); nil without `pg_read_all_stats`.
    public var connectedSince: String?

    public init(
        backendPID: Int32, applicationName: String?, user: String?, client: String?, connectedSince: String?
    ) {
        self.backendPID = backendPID
        self.applicationName = applicationName
        self.user = user
        self.client = client
        self.connectedSince = connectedSince
    }

    public var description: String {
        var details = ["PostgreSQL backend pid \(backendPID)"]
        if let user { details.append("user \(user)") }
        if let client { details.append("from \(client)") }
        if let connectedSince { details.append("connected since \(connectedSince)") }
        let name = applicationName.map { "\"\($0)\"" } ?? "a session without an application name"
        return "\(name) (\(details.joined(separator: ", ")))"
    }
}

/// Another session holds the projection: only one writes at a time (exit status 3).
public struct ProjectionBusy: Error, CustomStringConvertible, Sendable {
    /// Why the projection could not be had.
    public enum Situation: Sendable, Equatable {
        /// Another projector or a rebuild writes it.
        case held
        /// A `ledger rebuild` is waiting for it or running.
        case rebuildRunning
        /// A rebuild asked the holder to pause and it did not within `waited`.
        case didNotStepAside(waited: Duration)
    }

    /// Who holds it; nil when it was released before it could be looked up.
    public var holder: ProjectionHolder?
    public var situation: Situation

    public init(holder: ProjectionHolder?, situation: Situation) {
        self.holder = holder
        self.situation = situation
    }

    public var description: String {
        let who = holder?.description ?? "another session"
        switch situation {
        case .held:
            return "the projection is being written by \(who); only one projector writes at a time. Wait for it "
                + "to finish, or stop it (a `ledger serve` projects unless started with --no-projector)"
        case .rebuildRunning:
            return "a `ledger rebuild` is running (\(who)); try again when it has finished"
        case .didNotStepAside(let waited):
            return "the projection is held by \(who), which did not pause within "
                + "\(waited.components.seconds) s (a one-shot `ledger project`, an older ledger, or another "
                + "client). Wait for it to finish and rebuild again, stop it, or give it longer with --wait; "
                + "a `ledger serve` that cannot pause can be restarted with --no-projector while you rebuild"
        }
    }
}
