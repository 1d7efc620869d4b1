import HTTPTypes
import LedgerCore
import NIOCore
import NIOHTTPTypes

/// A request body that did not arrive in full within the configured deadline of its head
/// (``Limits/requestBodyReadSecondsDefault``, at most ``Limits/requestBodyReadSecondsMax``).
struct RequestBodyTimedOut: Error, CustomStringConvertible {
    var seconds: Int
    var description: String { "the request body did not arrive within \(seconds) s" }
}

/// Bounds the time a request body may take, and closes the connection after any response that
/// says `Connection: close`.
///
/// Hummingbird's idle timeout is reset by every decoded body part, so a body trickled one byte at a
/// time is never timed out by it. This handler starts a deadline at each request head and cancels
/// it at the request's end; past the deadline it fails the request's body stream with
/// ``RequestBodyTimedOut`` (the route answers 408) and drops the rest of that body. Hummingbird acts
/// on `Connection: close` only when the *request* says it, so a response that must end the
/// connection (408, a 413 whose body was never read, a 503 that read nothing) carries the header and
/// this handler closes the channel once that response's end is written.
///
/// Runs on the channel's event loop only (NIO's handler contract); no state is shared.
final class RequestBodyDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let seconds: Int
    private var deadline: Scheduled<Void>?
    /// The current request's body overran its deadline: its remaining parts are dropped.
    private var expired = false
    private var closeAfterResponse = false

    init(seconds: Int) {
        self.seconds = seconds
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            expired = false
            deadline?.cancel()
            let seconds = seconds
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            deadline = context.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) {
                let (handler, context) = loopBound.value
                handler.expire(context: context)
            }
        case .body:
            if expired { return }
        case .end:
            deadline?.cancel()
            deadline = nil
            if expired {
                expired = false
                return
            }
        }
        context.fireChannelRead(data)
    }

    private func expire(context: ChannelHandlerContext) {
        deadline = nil
        expired = true
        context.fireErrorCaught(RequestBodyTimedOut(seconds: seconds))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.headerFields[.connection]?.lowercased() == "close" { closeAfterResponse = true }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            guard closeAfterResponse else {
                context.write(data, promise: promise)
                return
            }
            closeAfterResponse = false
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }
}
