import Foundation
import LoopbackHTTPClient

#if canImport(Glibc)
    import Glibc
#endif

extension LoopbackHTTP {
    /// Sends one request on a fresh connection, off the cooperative pool.
    public static func request(
        port: Int, _ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) async throws -> LoopbackHTTPResponse {
        try await BackgroundThread("test.http") {
            let connection = try LoopbackHTTPConnection(port: port)
            return try connection.send(method, path, headers: headers, body: body)
        }.value
    }

    /// Sends raw bytes on a fresh connection and reads one response, off the cooperative pool.
    public static func raw(port: Int, _ bytes: [UInt8]) async throws -> LoopbackHTTPResponse {
        try await BackgroundThread("test.http") {
            try LoopbackHTTPConnection(port: port).sendRaw(bytes)
        }.value
    }
}

extension LoopbackHTTPConnection {
    /// Sends `bytes` one at a time from a thread of its own, pausing between them, until all are sent
    /// or the server stops taking them (it closed the connection); the thread's value is how many
    /// were sent. The slow-body attack: every byte is a decoded body part that resets an idle timer.
    ///
    /// Only the sending direction is used on that thread; keep this connection open until it ends.
    public func trickle(_ bytes: [UInt8], pauseMicroseconds: UInt32) -> BackgroundThread<Int> {
        let socket = socket
        return BackgroundThread("test.trickle") {
            var sent = 0
            for byte in bytes {
                guard (try? Sockets.sendAll(socket, [byte])) != nil else { break }
                sent += 1
                usleep(pauseMicroseconds)
            }
            return sent
        }
    }
}
