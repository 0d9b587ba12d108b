import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A real HTTP server on a loopback port that speaks OpenAI's chat completions protocol, for tests and
/// benchmarks that need a model endpoint without a model: it answers instantly, or with the faults
/// that real providers produce (rate limits, server errors, broken bodies, timeouts, dropped connections).
///
/// ```swift
/// let server = try await FakeChatServer.start()
/// defer { Task { await server.stop() } }
/// // point an OpenAI-compatible client at server.baseURL ("http://127.0.0.1:PORT/v1")
/// ```
public final class FakeChatServer: Sendable {
    /// A request as the server saw it.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var headers: [(String, String)]
        public var body: [UInt8]

        /// The body parsed as a JSON object, if it is one.
        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        }

        /// The text of the last message in an OpenAI-style body.
        public var lastMessage: String {
            let messages = json?["messages"] as? [[String: Any]]
            return messages?.last?["content"] as? String ?? ""
        }
    }

    /// What the server does with a request.
    public enum Reply: Sendable {
        /// A complete response.
        case respond(status: Int, headers: [(String, String)], body: [UInt8])
        /// A response whose body stops early: the declared length is longer than what is sent, then
        /// the connection closes.
        case truncated(status: Int, body: [UInt8])
        /// Wait, then reply.
        indirect case delayed(Duration, Reply)
        /// Close the connection without answering.
        case dropConnection
        /// A complete head, then the body one byte every `interval` (a reply that never times out on a
        /// client that only times the head).
        case trickled(status: Int, body: [UInt8], interval: Duration)

        /// A JSON response.
        public static func json(_ object: Any, status: Int = 200, headers: [(String, String)] = []) -> Reply {
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return .respond(status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(data))
        }

        /// An OpenAI chat completion answering `content`, with token usage.
        public static func chatCompletion(_ content: String, promptTokens: Int = 10, completionTokens: Int = 5) -> Reply {
            .json([
                "id": "chatcmpl-fake", "object": "chat.completion", "model": "fake",
                "choices": [["index": 0, "message": ["role": "assistant", "content": content], "finish_reason": "stop"]],
                "usage": [
                    "prompt_tokens": promptTokens, "completion_tokens": completionTokens,
                    "total_tokens": promptTokens + completionTokens,
                ],
            ])
        }
    }

    /// Counts of what the server has seen.
    public struct Counters: Sendable {
        /// Requests received.
        public var requests = 0
        /// Requests being handled right now.
        public var inFlight = 0
        /// The most requests handled at once.
        public var maxInFlight = 0
        /// Requests answered with a complete 2xx response.
        public var succeeded = 0
    }

    private let channel: any Channel
    private let counterBox: NIOLockedValueBox<Counters>
    private let task: Task<Void, Never>

    /// The port the server listens on.
    public let port: Int

    /// The OpenAI-style base URL: `http://127.0.0.1:PORT/v1`.
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// What the server has seen so far.
    public var counters: Counters { counterBox.withLockedValue { $0 } }

    /// Zeroes the counters.
    public func resetCounters() { counterBox.withLockedValue { $0 = Counters() } }

    /// Starts a server on a free loopback port. `behaviour` decides each reply; the default echoes the
    /// last message as a chat completion.
    public static func start(
        behaviour: @escaping @Sendable (Request) async -> Reply = { .chatCompletion("echo: " + $0.lastMessage) }
    ) async throws -> FakeChatServer {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return FakeChatServer(server: server, behaviour: behaviour)
    }

    private init(
        server: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>,
        behaviour: @escaping @Sendable (Request) async -> Reply
    ) {
        let counters = NIOLockedValueBox(Counters())
        self.counterBox = counters
        self.channel = server.channel
        self.port = server.channel.localAddress?.port ?? 0
        self.task = Task {
            try? await server.executeThenClose { connections in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in connections {
                            group.addTask { await Self.serve(connection, counters: counters, behaviour: behaviour) }
                        }
                    } catch {}
                }
            }
        }
    }

    /// Stops listening and waits until the server has shut down.
    public func stop() async {
        try? await channel.close()
        task.cancel()
        _ = await task.value
    }

    private static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>,
        counters: NIOLockedValueBox<Counters>, behaviour: @escaping @Sendable (Request) async -> Reply
    ) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body = []
                case .body(let buffer):
                    body += buffer.readableBytesView
                case .end:
                    guard let head else { continue }
                    counters.withLockedValue {
                        $0.requests += 1
                        $0.inFlight += 1
                        $0.maxInFlight = max($0.maxInFlight, $0.inFlight)
                    }
                    let request = Request(
                        method: head.method.rawValue, path: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                        body: body)
                    let closed = connection.channel.closeFuture
                    let keepOpen = await write(await behaviour(request), to: outbound, closed: closed, counters: counters)
                    counters.withLockedValue { $0.inFlight -= 1 }
                    if !keepOpen { return }
                }
            }
        }
    }

    /// Writes a reply; false when the connection must close afterwards.
    private static func write(
        _ reply: Reply, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        closed: EventLoopFuture<Void>, counters: NIOLockedValueBox<Counters>
    ) async -> Bool {
        switch reply {
        case .delayed(let duration, let then):
            // A client that gives up closes the connection; the request is then no longer in flight.
            let clientLeft: Bool = await withCheckedContinuation { continuation in
                let resumed = NIOLockedValueBox(false)
                let finish: @Sendable (Bool) -> Void = { value in
                    let first = resumed.withLockedValue { done in
                        defer { done = true }
                        return !done
                    }
                    if first { continuation.resume(returning: value) }
                }
                closed.whenComplete { _ in finish(true) }
                Task {
                    try? await Task.sleep(for: duration)
                    finish(false)
                }
            }
            if clientLeft { return false }
            return await write(then, to: outbound, closed: closed, counters: counters)
        case .dropConnection:
            return false
        case .respond(let status, let headers, let body):
            var fields = HTTPHeaders(headers)
            fields.replaceOrAdd(name: "Content-Length", value: String(body.count))
            let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: fields)
            do {
                try await outbound.write(.head(head))
                try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
                try await outbound.write(.end(nil))
            } catch {
                return false
            }
            if (200..<300).contains(status) { counters.withLockedValue { $0.succeeded += 1 } }
            return true
        case .trickled(let status, let body, let interval):
            var fields = HTTPHeaders([("Content-Type", "application/json")])
            fields.replaceOrAdd(name: "Content-Length", value: String(body.count))
            do {
                try await outbound.write(
                    .head(HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: fields)))
                for byte in body {
                    try await Task.sleep(for: interval)
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: [byte]))))
                }
                try await outbound.write(.end(nil))
            } catch {
                return false
            }
            return true
        case .truncated(let status, let body):
            var fields = HTTPHeaders([("Content-Type", "application/json")])
            fields.replaceOrAdd(name: "Content-Length", value: String(body.count * 2 + 10))
            let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: fields)
            try? await outbound.write(.head(head))
            try? await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
            return false
        }
    }
}
