import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1.1 channel with one more deadline: once the first byte of a request has arrived,
/// its head (request line and headers) must be complete within `headerTimeout`, or the connection is
/// closed. Hummingbird's own idle timeout cannot tell a client trickling its headers from an idle
/// keep-alive connection (neither has sent a complete part), so it alone would have to be short for
/// the first and would then cut off the second; with this, keep-alive can stay long and headers short.
struct DeadlineHTTP1Channel: HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel
    let headerTimeout: TimeAmount

    var responder: HTTPChannelHandler.Responder { base.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let timeout = headerTimeout
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(RequestStartHandler(timeout: timeout), position: .first)
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }.flatMapThrowing { value in
            // After the HTTP/1 decoder: the head it decodes stops the clock the first handler started.
            let operations = channel.pipeline.syncOperations
            let start = try operations.handler(type: RequestStartHandler.self)
            let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try operations.addHandler(RequestHeadHandler(start: start), position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// First in the pipeline: the first bytes of a request start the head's clock; when it runs out, the
/// connection closes.
final class RequestStartHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    let timeout: TimeAmount
    /// Between a request's head and its end, bytes are body, not a new head.
    fileprivate var inRequest = false
    fileprivate var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !inRequest, timer == nil {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: timeout) { loopBound.value.close(promise: nil) }
        }
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    fileprivate func stop() {
        timer?.cancel()
        timer = nil
    }
}

/// After the decoder: a complete head stops the clock; the request's end lets the next bytes start it again.
final class RequestHeadHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart

    let start: RequestStartHandler

    init(start: RequestStartHandler) {
        self.start = start
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            start.stop()
            start.inRequest = true
        case .body:
            break
        case .end:
            start.inRequest = false
        }
        context.fireChannelRead(data)
    }
}
