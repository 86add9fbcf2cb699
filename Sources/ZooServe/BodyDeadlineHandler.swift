import Foundation
import Hummingbird
import NIOCore
import NIOHTTPTypes

/// A whole-request-body deadline (`--body-timeout-s`), per connection, on the connection's event loop.
///
/// The idle timeout alone does not bound a request: every byte of a body trickled at 10 B/s resets it, so one
/// client could hold a connection (and a handler waiting for the body) open indefinitely. This handler starts a
/// timer when a request head arrives and stops it when the request's last body part has arrived. If it fires
/// first, the connection answers 408 (if no answer to this request has begun) and is closed: the rest of the body
/// is never read, and the handler waiting for it sees its body stream end.
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
    private var timer: Scheduled<Void>?
    /// The deadline fired: nothing more is read or written but the 408.
    private var expired = false
    /// A response head was written and its end not yet (an answer is under way).
    private var responding = false
    /// The current request was answered (a response ended after its head arrived).
    private var answered = false

    init(seconds: Double) { self.seconds = seconds }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if expired { return }   // the rest of a late body is not passed on
        switch unwrapInboundIn(data) {
        case .head:
            timer?.cancel()
            answered = false
            let limit = TimeAmount.nanoseconds(Int64(min(seconds, 86_400) * 1e9))
            let loop = context.eventLoop.assumeIsolated()
            timer = loop.scheduleTask(in: limit) { [self] in expire(context) }
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
        guard !responding, !answered else {
            context.close(promise: nil)
            return
        }
        let error = ServeError.bodyTimeout(seconds: seconds)
        let json = (try? JSONSerialization.data(withJSONObject: ["success": false, "error": error.description, "status": error.status] as [String: Any],
                                                options: [.sortedKeys])) ?? Data()
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.contentLength] = String(json.count)
        fields[.connection] = "close"
        let head = HTTPResponse(status: .requestTimeout, headerFields: fields)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: json))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if expired {
            // The connection answered 408 and is closing: the handler's own (late) answer is dropped.
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(let h) where h.status.kind != .informational: responding = true
        case .end: responding = false; answered = true
        default: break
        }
        context.write(data, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }
}
