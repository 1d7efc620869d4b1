import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking HTTP/1.1 client over one keep-alive TCP connection on loopback, for tests and
/// benchmarks of `ledger serve`: no dependency, full control of the bytes sent (garbage, huge
/// headers), and a status code for every answer.
///
/// Not thread-safe: one owner at a time. Blocking, so never call it on Swift's cooperative pool in
/// a loop (the tests' `LoopbackHTTP.request` runs one request on a thread of its own).
///
/// A Sources target, not test support, because `ledger-bench serve` measures the server with it too.
public final class LoopbackHTTPConnection {
    /// The connected socket, -1 once closed; the tests' slow-body sender writes to it from a thread of its own.
    package private(set) var socket: Int32
    private var buffer: [UInt8] = []

    /// Connects to `127.0.0.1:port`; every send and receive gives up after `timeoutSeconds`.
    public init(port: Int, timeoutSeconds: Int = 30) throws {
        socket = try Sockets.connect(port: port)
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var noDelay: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close() }

    public func close() {
        if socket >= 0 { Glibc.close(socket) }
        socket = -1
    }

    /// Sends one request and reads its response.
    public func send(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) throws -> LoopbackHTTPResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return try sendRaw(Array(head.utf8) + body)
    }

    /// Sends `bytes` as they are (they should form a request) and reads one response.
    public func sendRaw(_ bytes: [UInt8]) throws -> LoopbackHTTPResponse {
        do {
            try Sockets.sendAll(socket, bytes)
        } catch {
            // The server may answer (400, 413) and close before reading everything sent: read that answer.
            if let response = try? readResponse() { return response }
            throw error
        }
        return try readResponse()
    }

    /// Sends `bytes` and reads nothing (a request's head, part of a body, a held connection).
    public func sendWithoutReading(_ bytes: [UInt8]) throws {
        try Sockets.sendAll(socket, bytes)
    }

    /// Closes the sending direction (the server reads end-of-file after what was sent), so a request
    /// whose announced body is longer than what was sent ends at once instead of waiting for more.
    public func finishSending() {
        if socket >= 0 { shutdown(socket, Int32(SHUT_WR)) }
    }

    /// Reads until the server closes the connection: true when it did, false when the receive
    /// timeout passed first or the server sent more bytes.
    public func closedByServer() -> Bool {
        guard buffer.isEmpty else { return false }
        do {
            try fill()
            return false
        } catch {
            return "\(error)".contains("closed by the server") || "\(error)".contains("reset")
        }
    }

    /// Reads one response to what was sent before.
    public func readResponse() throws -> LoopbackHTTPResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            headEnd = buffer.firstRange(of: separator)?.lowerBound
            if headEnd == nil { try fill() }
        }
        guard let end = headEnd else { throw Sockets.Failure("no response head") }
        let head = String(decoding: buffer[..<end], as: UTF8.self)
        buffer.removeFirst(end + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw Sockets.Failure("bad status line: \(head.prefix(80))")
        }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (
                String(line[..<colon]).lowercased(),
                line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            )
        }
        let response = LoopbackHTTPResponse(status: status, headers: headers, body: [])
        var body: [UInt8]
        if let length = response.header("content-length").flatMap(Int.init) {
            while buffer.count < length { try fill() }
            body = Array(buffer[..<length])
            buffer.removeFirst(length)
        } else if response.header("transfer-encoding")?.lowercased() == "chunked" {
            body = try readChunks()
        } else {
            body = []
        }
        return LoopbackHTTPResponse(status: status, headers: headers, body: body)
    }

    private func readChunks() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            var lineEnd = buffer.firstRange(of: [13, 10])?.lowerBound
            while lineEnd == nil {
                try fill()
                lineEnd = buffer.firstRange(of: [13, 10])?.lowerBound
            }
            guard let end = lineEnd,
                let size = Int(String(decoding: buffer[..<end], as: UTF8.self).split(separator: ";")[0], radix: 16)
            else { throw Sockets.Failure("bad chunk size") }
            buffer.removeFirst(end + 2)
            while buffer.count < size + 2 { try fill() }
            body += buffer[..<size]
            buffer.removeFirst(size + 2)
            if size == 0 { return body }
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        if count == 0 { throw Sockets.Failure("connection closed by the server") }
        if count < 0 { throw Sockets.Failure("receive failed: \(String(cString: strerror(errno)))") }
        buffer += chunk[..<count]
    }
}

/// One HTTP response.
public struct LoopbackHTTPResponse: Sendable {
    public var status: Int
    /// Header names in lower case, in the order received.
    public var headers: [(String, String)]
    public var body: [UInt8]

    /// A response from elsewhere (the server tests' in-process application) with the same accessors.
    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        (self.status, self.headers, self.body) = (status, headers, body)
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0 == name.lowercased() }?.1
    }

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object (nil when it is not one).
    public var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
}

/// Loopback helpers that need no connection.
public enum LoopbackHTTP {
    /// A port that was free a moment ago (bound to 0 and released).
    public static func freePort() throws -> Int {
        let listener = try Sockets.listen(port: 0)
        defer { Glibc.close(listener.socket) }
        return listener.port
    }
}

/// Thin POSIX socket helpers, shared with the tests' TCP proxy.
package enum Sockets {
    /// A socket call that failed, with the reason from `strerror`.
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
        package init(_ description: String) { self.description = description }
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        return address
    }

    package static func connect(port: Int) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure("socket failed") }
        var address = loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(socket)
            throw Failure("connect to 127.0.0.1:\(port) failed: \(reason)")
        }
        return socket
    }

    package static func listen(port: Int) throws -> (socket: Int32, port: Int) {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure("socket failed") }
        var reuse: Int32 = 1
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, Glibc.listen(socket, 128) == 0 else {
            Glibc.close(socket)
            throw Failure("cannot listen on 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return (socket, Int(UInt16(bigEndian: actual.sin_port)))
    }

    /// Writes every byte; MSG_NOSIGNAL so a peer that closed gives an error, not SIGPIPE.
    package static func sendAll(_ socket: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { throw Failure("send failed: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }
}
