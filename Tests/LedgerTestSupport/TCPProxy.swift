import Foundation
import LoopbackHTTPClient

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP forwarder on loopback that a test can cut and restore, to make a database unreachable for
/// one server under test without touching the shared test cluster or other tests.
///
/// `cut()` closes every forwarded connection (both ends see the connection drop, as when the
/// database host goes away) and answers new connections by closing them at once; `restore()`
/// forwards again, on the same port.
public final class TCPProxy: @unchecked Sendable {
    /// The port to connect to instead of the target's.
    public let port: Int
    private let targetPort: Int
    private let listener: Int32
    // Guarded by `lock`.
    private let lock = NSLock()
    private var isCut = false
    private var isClosed = false
    private var open: [Int32] = []

    /// Starts forwarding `127.0.0.1:port` → `127.0.0.1:targetPort`.
    public init(targetPort: Int) throws {
        let (socket, port) = try Sockets.listen(port: 0)
        listener = socket
        self.port = port
        self.targetPort = targetPort
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "test.tcp-proxy"
        thread.start()
    }

    /// Drops every forwarded connection and refuses new ones until ``restore()``.
    public func cut() {
        // Under the lock: a socket still in `open` is not closed yet, so its number is not reused.
        lock.withLock {
            isCut = true
            for socket in open { shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    /// Forwards new connections again.
    public func restore() { lock.withLock { isCut = false } }

    /// Stops listening and drops everything.
    public func close() {
        cut()
        lock.withLock { isClosed = true }
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if lock.withLock({ isClosed }) { return }
                continue
            }
            guard !lock.withLock({ isCut }), let upstream = try? Sockets.connect(port: targetPort) else {
                Glibc.close(client)
                continue
            }
            lock.withLock { open += [client, upstream] }
            let pair = SocketPair { [self] in
                // Under the lock, so `cut` never shuts down a socket number already reused.
                lock.withLock {
                    open.removeAll { $0 == client || $0 == upstream }
                    Glibc.close(client)
                    Glibc.close(upstream)
                }
            }
            pump(from: client, to: upstream, pair)
            pump(from: upstream, to: client, pair)
        }
    }

    /// Copies bytes one way until either side closes, then shuts both sockets down so the other
    /// direction ends too.
    private func pump(from source: Int32, to destination: Int32, _ pair: SocketPair) {
        let thread = Thread {
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = chunk.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
                if count <= 0 { break }
                if (try? Sockets.sendAll(destination, Array(chunk[..<count]))) == nil { break }
            }
            shutdown(source, Int32(SHUT_RDWR))
            shutdown(destination, Int32(SHUT_RDWR))
            pair.pumpEnded()
        }
        thread.name = "test.tcp-proxy.pump"
        thread.start()
    }
}

/// The two sockets of one forwarded connection: closed once both pumps have ended (a socket number
/// closed early could be reused by the next accepted connection while the other pump still writes).
private final class SocketPair: @unchecked Sendable {
    private let lock = NSLock()
    private var running = 2
    private let close: () -> Void

    init(close: @escaping () -> Void) {
        self.close = close
    }

    func pumpEnded() {
        let last = lock.withLock {
            running -= 1
            return running == 0
        }
        if last { close() }
    }
}
