import CLibPQ
import Foundation

/// A NOTIFY received on a channel this connection listens to.
public struct PostgresNotification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    /// Process id of the server backend that sent it.
    public var senderPID: Int32
}

extension PostgresConnection {
    /// Starts listening on `channel` (any name; it is quoted).
    public func listen(_ channel: String) throws {
        try execute("LISTEN \(try quoteIdentifier(channel))")
    }

    /// Stops listening on `channel`.
    public func unlisten(_ channel: String) throws {
        try execute("UNLISTEN \(try quoteIdentifier(channel))")
    }

    /// Sends `payload` to every listener of `channel`, delivered when the current transaction commits.
    public func notify(_ channel: String, payload: String) throws {
        try query("SELECT pg_notify($1, $2)", [channel, payload])
    }

    /// Returns the next pending notification, waiting up to `timeout` for one; nil when none came.
    public func nextNotification(timeout: Duration) throws -> PostgresNotification? {
        let handle = try liveHandle()
        if let pending = try takeNotification(handle) { return pending }
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw PostgresError.fromConnection(handle) }
        let (seconds, attoseconds) = timeout.components
        let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, milliseconds)
        if ready < 0 && errno != EINTR {
            throw PostgresError(.connectionLost, message: "poll failed: \(String(cString: strerror(errno)))")
        }
        return try takeNotification(handle)
    }

    private func takeNotification(_ handle: OpaquePointer) throws -> PostgresNotification? {
        guard PQconsumeInput(handle) == 1 else { throw PostgresError.fromConnection(handle) }
        guard let notify = PQnotifies(handle) else { return nil }
        defer { PQfreemem(notify) }
        return PostgresNotification(
            channel: String(cString: notify.pointee.relname),
            payload: String(cString: notify.pointee.extra),
            senderPID: notify.pointee.be_pid)
    }
}
