import Foundation
import NIOCore

/// The server could not listen on its address; the message names the address and what to do.
///
/// NIO reports this as `bind(descriptor:ptr:bytes:): Address already in use (errno: 98)`.
public struct ListenFailed: Error, CustomStringConvertible, Sendable {
    public var host: String
    public var port: Int
    public var errno: Int32
    /// The options that set the host and the port, named in the advice (`--host`/`--port` for the main
    /// listener, `--metrics-address` for the metrics one).
    var hostOption = "--host"
    var portOption = "--port"

    /// The bind failure `error` describes, if it is one.
    init?(_ error: any Error, host: String, port: Int) {
        guard let error = error as? IOError, [EADDRINUSE, EACCES, EADDRNOTAVAIL].contains(error.errnoCode) else {
            return nil
        }
        self.host = host
        self.port = port
        self.errno = error.errnoCode
    }

    public var description: String {
        switch errno {
        case EADDRINUSE:
            return "port \(port) on \(host) is already in use: stop the program using it, "
                + "or pass another \(portOption)"
        case EACCES:
            return "not allowed to listen on port \(port) on \(host) (ports below 1024 need privileges): "
                + "pass a \(portOption) of 1024 or more"
        default:
            return "cannot listen on \(host): it is not an address of this machine; pass \(hostOption) 127.0.0.1 "
                + "or 0.0.0.0"
        }
    }
}
