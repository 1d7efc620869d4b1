import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// `/metrics` on a listener of its own (`--metrics-address`): the webhook and read API listener can
/// face the internet while the scraper reaches metrics on loopback or a private network only.
///
/// It runs in the server's service group and stops first on shutdown. Only `/metrics` is routed
/// here, and the main listener no longer serves it. Its request bounds are the main listener's
/// (``Listener``).
struct MetricsListener: Service {
    let application: Listener.App
    let address: ListenAddress

    init(
        address: ListenAddress, operations: OperationsController<BasicRequestContext>, tokens: [String],
        requestBodyReadSeconds: Int, logger: Logger
    ) {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: JSONErrorMiddleware())
        operations.addMetricsRoute(to: router, tokens: tokens)
        self.address = address
        application = Listener.application(
            router: router, address: address, requestBodyReadSeconds: requestBodyReadSeconds,
            message: "metrics listening", path: "/metrics", metadata: ["token_required": "\(!tokens.isEmpty)"],
            logger: logger, requestLogger: logger)
    }

    func run() async throws {
        do {
            try await application.run()
        } catch {
            // Named here: the main listener's advice (--port, --host) would be the wrong flag.
            guard var failure = ListenFailed(error, host: address.host, port: address.port) else { throw error }
            (failure.hostOption, failure.portOption) = ("--metrics-address", "--metrics-address")
            throw failure
        }
    }
}
