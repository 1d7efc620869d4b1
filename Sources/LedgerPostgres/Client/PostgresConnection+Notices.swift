import CLibPQ
import Logging

extension PostgresConnection {
    /// Where the server's notices and libpq's own asynchronous messages go: this logger, at debug level.
    ///
    /// libpq's default prints them raw on standard error, so a server restart put
    /// "FATAL: terminating connection due to administrator command" in the middle of a command's
    /// output, outside its log format. The loss itself still surfaces: the next statement on the
    /// connection fails with ``PostgresError/Kind-swift.enum/connectionLost``, which the caller reports.
    static let noticeLogger = Logger(label: "ledger.postgres.notice")

    /// Routes `connection`'s notices to ``noticeLogger`` instead of standard error.
    static func routeNotices(of connection: OpaquePointer) {
        PQsetNoticeProcessor(
            connection,
            { _, message in
                guard let message else { return }
                PostgresConnection.noticeLogger.debug("\(String(cString: message).trimmingTrailingNewlines())")
            }, nil)
    }
}
