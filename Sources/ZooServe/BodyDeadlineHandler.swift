import NIOCore
import NIOHTTPTypes

/// A whole-request-body deadline (`--body-timeout-s`), per connection, on the connection's event loop.
///
/// The idle timeout alone does not bound a request: every byte of a body trickled at 10 B/s resets it, so one
/// client could hold a connection (and a handler waiting for the body) open indefinitely. This handler starts a
/// timer when a request head arrives and stops it at the request's end. If it fires first:
/// - the error `ServeError.bodyTimeout` is passed up the pipeline, which ends the request's body stream with it:
///   a handler collecting the body fails with it (answered 408 by `ServeMiddleware`), and Hummingbird's drain of
///   an unread body ends;
/// - the rest of the body is dropped (not passed on);
/// - the connection is closed right after the answer's last part is written, or after `grace` if no answer comes.
///
/// It sits between the HTTP codec and Hummingbird's connection-state handler (`additionalChannelHandlers`),
/// so it sees every request part and every response part of the connection. Timers run on the event loop, not
/// on the Swift-concurrency pool, so busy handlers cannot delay them.
final class BodyDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let seconds: Double
    let grace: TimeAmount
    private var timer: Scheduled<Void>?
    private var closer: Scheduled<Void>?
    private var expired = false

    init(seconds: Double, grace: TimeAmount = .seconds(5)) {
        self.seconds = seconds
        self.grace = grace
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if expired { return }   // the rest of a late body is not read
        switch unwrapInboundIn(data) {
        case .head:
            timer?.cancel()
            let limit = TimeAmount.nanoseconds(Int64(min(seconds, 86_400) * 1e9))
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: limit) { [self] in expire(context) }
        case .end:
            timer?.cancel()
            timer = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    private func expire(_ context: ChannelHandlerContext) {
        timer = nil
        expired = true
        context.fireErrorCaught(ServeError.bodyTimeout(seconds: seconds))
        closer = context.eventLoop.assumeIsolated().scheduleTask(in: grace) { context.close(promise: nil) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard expired, case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        // The answer (408) is complete: send it, then close (the client may still be sending).
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
            promise?.completeWith(result)
            context.close(promise: nil)
        }
        context.writeAndFlush(data, promise: written)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        closer?.cancel()
        timer = nil
        closer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        closer?.cancel()
        context.fireChannelInactive()
    }
}
