import Foundation
import LedgerCore
import LedgerEngine

/// A signed-in console user: the CSRF token its forms carry and when it ends.
struct ConsoleSession: Sendable, Equatable {
    /// Sent in every POST form of the session and compared with what comes back (synchroniser token).
    var csrfToken: String
    var expires: Date
}

/// The console's sessions, in memory, by an opaque random id (the cookie's value).
///
/// Nothing is persisted: a restart of `ledger serve` signs everyone out, and the id carries no
/// meaning (it is not derived from the token, so a leaked cookie does not leak the token). At most
/// ``Limits/consoleSessionsMax`` sessions: expired ones are dropped first, then the one that ends first.
final class ConsoleSessions: Sendable {
    private let sessions = Locked<[String: ConsoleSession]>([:])
    private let now: @Sendable () -> Date
    let lifetimeSeconds: Int

    init(lifetimeSeconds: Int = Limits.consoleSessionSeconds, now: @escaping @Sendable () -> Date = { Date() }) {
        precondition(lifetimeSeconds > 0, "a session must last")
        self.lifetimeSeconds = lifetimeSeconds
        self.now = now
    }

    /// Starts a session; returns its id and the session.
    func open() -> (id: String, session: ConsoleSession) {
        let id = Self.randomToken()
        let now = now()
        let session = ConsoleSession(
            csrfToken: Self.randomToken(), expires: now.addingTimeInterval(TimeInterval(lifetimeSeconds)))
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.expires > now }
            if sessions.count >= Limits.consoleSessionsMax,
                let first = sessions.min(by: { $0.value.expires < $1.value.expires })
            {
                sessions[first.key] = nil
            }
            sessions[id] = session
        }
        return (id, session)
    }

    /// The live session of `id`; nil when there is none or it has expired (then it is dropped).
    func session(id: String?) -> ConsoleSession? {
        guard let id, !id.isEmpty else { return nil }
        let now = now()
        return sessions.withLock { sessions in
            guard let session = sessions[id] else { return nil }
            guard session.expires > now else {
                sessions[id] = nil
                return nil
            }
            return session
        }
    }

    /// Ends the session of `id` (signing out); nothing when there is none.
    func close(id: String?) {
        guard let id else { return }
        sessions.withLock { sessions in sessions[id] = nil }
    }

    /// Sessions held, expired or not (for tests of the bound).
    var count: Int { sessions.withLock { $0.count } }

    /// 32 bytes from the system's cryptographic generator, as 64 hex digits.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return HexEncoding.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}
