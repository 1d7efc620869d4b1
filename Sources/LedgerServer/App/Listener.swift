import Hummingbird
import HummingbirdCore
import LedgerCore
import Logging
import NIOCore
import ServiceLifecycle

/// What both of `ledger serve`'s listeners (the main one and `--metrics-address`) share, so that
/// neither can be opened without the bounds of the other.
enum Listener {
    typealias App = Application<RouterResponder<BasicRequestContext>>

    /// An application serving `router` on `address`, with the request-head limits, the idle timeout
    /// and the body deadline of ``Limits``: a request's own bytes (a huge header, a trickled body, an
    /// idle connection) bound what it holds on either listener.
    ///
    /// `message` and `metadata` go to `logger` once the listener accepts connections, with the bound
    /// address; `onListening` is then handed the bound port (the one the system chose for port 0).
    /// Hummingbird's own messages about requests go to `requestLogger`.
    static func application(
        router: Router<BasicRequestContext>, address: ListenAddress, requestBodyReadSeconds: Int,
        services: [any Service] = [], message: Logger.Message, path: String = "", metadata: Logger.Metadata = [:],
        logger: Logger, requestLogger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> App {
        Application(
            router: router,
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [RequestBodyDeadlineHandler(seconds: requestBodyReadSeconds)],
                    idleTimeout: .seconds(Int64(Limits.connectionIdleSecondsMax)),
                    httpDecoderConfiguration: .init(
                        maxHeaderFieldSize: Limits.requestHeadBytesMax, maxHeaderListSize: Limits.requestHeadBytesMax,
                        maxHeaderFieldCount: Limits.requestHeaderFieldsMax))),
            configuration: .init(address: .hostname(address.host, port: address.port)),
            services: services,
            onServerRunning: { channel in
                let bound = ListenAddress(host: address.host, port: channel.localAddress?.port ?? address.port)
                var metadata = metadata
                metadata["address"] = "http://\(bound)\(path)"
                logger.notice(message, metadata: metadata)
                await onListening(bound.port)
            },
            logger: requestLogger)
    }
}
