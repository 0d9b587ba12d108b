import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

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
        // The connection's requests are answered in this task: its routes see how far the bodies got.
        let progress = try? await value.channel.pipeline.handler(type: RequestHeadHandler.self).map(\.progress).get()
        await ConnectionProgress.$current.withValue(progress) {
            await base.handle(value: value, logger: logger)
        }
    }
}

/// How many requests of a connection have had their head and their end decoded, counted on its event
/// loop and read by its routes: when every request whose head arrived has ended, the body a route is
/// about to read is already in memory.
final class ConnectionProgress: Sendable {
    private let heads = Atomic<Int>(0)
    private let ends = Atomic<Int>(0)

    /// The progress of the connection whose request the current task answers; nil outside a live
    /// connection (HummingbirdTesting's router tests).
    @TaskLocal static var current: ConnectionProgress?

    func headArrived() { heads.add(1, ordering: .releasing) }
    func endArrived() { ends.add(1, ordering: .releasing) }

    /// Whether every request whose head has arrived has also ended (ends are read first, so an end
    /// counted here belongs to a head counted here).
    var everyBodyArrived: Bool {
        let ended = ends.load(ordering: .acquiring)
        return ended >= heads.load(ordering: .acquiring)
    }
}

/// First in the pipeline: the first bytes of a request start the head's clock; when it runs out, the
/// connection closes. The timer is set only when a read ends with the head still incomplete: a head
/// that arrives whole (nearly every request) costs a clock reading, not a timer set and cancelled.
final class RequestStartHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    let timeout: TimeAmount
    /// Between a request's head and its end, bytes are body, not a new head.
    fileprivate var inRequest = false
    /// When the first byte of the head now being read arrived; nil when no head is being read.
    fileprivate var started: NIODeadline?
    fileprivate var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !inRequest, started == nil { started = .now() }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let started, timer == nil {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(deadline: started + timeout) { loopBound.value.close(promise: nil) }
        }
        context.fireChannelReadComplete()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    fileprivate func stop() {
        started = nil
        timer?.cancel()
        timer = nil
    }
}

/// After the decoder: a complete head stops the clock; the request's end lets the next bytes start it
/// again. It also counts heads and ends for ``ConnectionProgress``.
final class RequestHeadHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart

    let start: RequestStartHandler
    let progress = ConnectionProgress()

    init(start: RequestStartHandler) {
        self.start = start
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            start.stop()
            start.inRequest = true
            progress.headArrived()
        case .body:
            break
        case .end:
            start.inRequest = false
            progress.endArrived()
        }
        context.fireChannelRead(data)
    }
}
