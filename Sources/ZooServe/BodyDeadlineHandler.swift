import Foundation
import Hummingbird
import NIOCore
import NIOHTTPTypes

/// Request-head and whole-request-body deadlines (`--header-timeout-s`, `--body-timeout-s`), per connection, on
/// the connection's event loop.
///
/// The idle timeout alone does not bound a request: every byte trickled at 10 B/s resets it, so one client could
/// hold a connection (and a handler waiting for the body) open indefinitely.
/// - Head: a timer runs from the moment the connection opens (and again after each response, for the next
///   keep-alive request) until a request head has been parsed whole. If it fires, the connection is closed
///   without an answer (nothing of a request was understood; an idle keep-alive connection ends the same way).
/// - Body: a timer starts when a request head arrives and stops when the request's last body part has arrived.
///   If it fires first, the connection answers 408 (if no answer to this request has begun) and is closed: the
///   rest of the body is never read, and the handler waiting for it sees its body stream end.
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
    let headSeconds: Double
    private var timer: Scheduled<Void>?
    /// Runs while the connection waits for a (next) request head.
    private var headTimer: Scheduled<Void>?
    /// The deadline fired: nothing more is read or written but the 408.
    private var expired = false
    /// A response head was written and its end not yet (an answer is under way).
    private var responding = false
    /// The current request was answered (a response ended after its head arrived).
    private var answered = false

    init(seconds: Double, headSeconds: Double = 30) {
        self.seconds = seconds
        self.headSeconds = headSeconds
    }

    private static func amount(_ s: Double) -> TimeAmount { .nanoseconds(Int64(min(s, 86_400) * 1e9)) }

    /// Starts waiting for a request head (connection open, or a response ended).
    private func armHeadTimer(_ context: ChannelHandlerContext) {
        headTimer?.cancel()
        let loop = context.eventLoop.assumeIsolated()
        headTimer = loop.scheduleTask(in: Self.amount(headSeconds)) { [self] in
            headTimer = nil
            expired = true
            context.close(promise: nil)
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { armHeadTimer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if headTimer == nil { armHeadTimer(context) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if expired { return }   // the rest of a late body is not passed on
        switch unwrapInboundIn(data) {
        case .head:
            headTimer?.cancel()
            headTimer = nil
            timer?.cancel()
            answered = false
            let loop = context.eventLoop.assumeIsolated()
            timer = loop.scheduleTask(in: Self.amount(seconds)) { [self] in expire(context) }
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
        case .end:
            responding = false; answered = true
            armHeadTimer(context)   // keep-alive: the next request head has the same limit
        default: break
        }
        context.write(data, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel(); timer = nil
        headTimer?.cancel(); headTimer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel(); timer = nil
        headTimer?.cancel(); headTimer = nil
        context.fireChannelInactive()
    }
}
