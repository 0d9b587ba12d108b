public import Assay
import AsyncHTTPClient
public import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Sends a Swift app's spans (its LLM calls above all) to an Assay server's `/v1/traces` as OTLP/JSON,
/// so they can be browsed in the web UI and evaluated with `assay evaluate --traces`.
///
/// ```swift
/// let tracer = AssayTracer(server: "http://127.0.0.1:5000", experiment: "chat-app")
/// let answer = try await tracer.span("answer") { span in
///     try await tracer.span("chat gemma", kind: .client) { chat in
///         let completion = try await model.complete(request)
///         chat.recordChat(model: "gemma-3-270m", messages: request.messages, answer: completion.text, usage: completion.usage)
///         return completion.text
///     }
/// }
/// try await tracer.flush()
/// ```
///
/// Spans nest through task-local context: a span started inside another's body is its child. Finished
/// spans are batched and sent when 256 are waiting, on ``flush()``, and on ``shutdown()``.
public final class AssayTracer: Sendable {
    /// A span's role, as OpenTelemetry names it.
    public enum Kind: Int, Sendable {
        case `internal` = 1, server, client, producer, consumer
    }

    let endpoint: String
    let experiment: String
    let serviceName: String
    let authorization: String?
    let client: HTTPClient
    private let pending = NIOLockedValueBox<[SpanRecord]>([])

    @TaskLocal static var current: (traceID: String, spanID: String)?

    /// A tracer for the server at `server`, filing spans under `experiment` (created when new); the
    /// token comes from ASSAY_SERVER_TOKEN unless given.
    public init(
        server: String, experiment: String, serviceName: String = "swift-app",
        token: String? = ProcessInfo.processInfo.environment["ASSAY_SERVER_TOKEN"]
    ) {
        var base = server
        while base.hasSuffix("/") { base.removeLast() }
        endpoint = base + "/v1/traces"
        self.experiment = experiment
        self.serviceName = serviceName
        authorization = token.flatMap { $0.isEmpty ? nil : "Bearer \($0)" }
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Runs `body` in a new span (a child of the current one), recording its time, and an error status
    /// when `body` throws.
    public func span<T: Sendable>(
        _ name: String, kind: Kind = .internal, attributes: [String: DataValue] = [:],
        _ body: @Sendable (Span) async throws -> T
    ) async throws -> T {
        let parent = Self.current
        let span = Span(
            traceID: parent?.traceID ?? Self.randomHex(bytes: 16), spanID: Self.randomHex(bytes: 8), parentSpanID: parent?.spanID,
            name: name, kind: kind, attributes: attributes)
        do {
            let result = try await Self.$current.withValue((span.traceID, span.spanID)) { try await body(span) }
            try await finish(span)
            return result
        } catch {
            span.setError("\(error)")
            try? await finish(span)
            throw error
        }
    }

    private func finish(_ span: Span) async throws {
        let record = span.end(service: serviceName)
        let full = pending.withLockedValue { spans -> Bool in
            spans.append(record)
            return spans.count >= 256
        }
        if full { try await flush() }
    }

    /// Sends the finished spans now.
    public func flush() async throws {
        let spans = pending.withLockedValue { spans -> [SpanRecord] in
            defer { spans.removeAll() }
            return spans
        }
        guard !spans.isEmpty else { return }
        var request = HTTPClientRequest(url: endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "x-assay-experiment", value: experiment)
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        request.body = .bytes(ByteBuffer(string: OTLPJSON.export(spans, serviceName: serviceName)))
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            throw AssayError.serviceFailure(
                "the Assay server at \(endpoint) refused \(spans.count) spans: \(response.status.code) \(String(buffer: body))")
        }
    }

    /// Sends what is left and closes the connections; the tracer must not be used afterwards.
    public func shutdown() async throws {
        do {
            try await flush()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

/// A span in progress: attributes, events and status may be set until its body returns.
public final class Span: Sendable {
    /// The trace the span belongs to (32 hex digits).
    public let traceID: String
    /// The span's own id (16 hex digits).
    public let spanID: String
    let parentSpanID: String?
    let name: String
    let kind: AssayTracer.Kind
    let start = Int64(Date().timeIntervalSince1970 * 1e9)
    private let state: NIOLockedValueBox<(attributes: [String: DataValue], events: [SpanEvent], error: String?)>

    init(traceID: String, spanID: String, parentSpanID: String?, name: String, kind: AssayTracer.Kind, attributes: [String: DataValue]) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.name = name
        self.kind = kind
        state = NIOLockedValueBox((attributes, [], nil))
    }

    /// Sets (or replaces) an attribute.
    public func setAttribute(_ key: String, _ value: DataValue) {
        state.withLockedValue { $0.attributes[key] = value }
    }

    /// Records an event now, such as `gen_ai.user.message`.
    public func addEvent(_ name: String, attributes: [String: DataValue] = [:]) {
        let event = SpanEvent(name: name, timeNanos: Int64(Date().timeIntervalSince1970 * 1e9), attributes: attributes)
        state.withLockedValue { $0.events.append(event) }
    }

    /// Marks the span failed.
    public func setError(_ message: String) {
        state.withLockedValue { $0.error = message }
    }

    /// Records an LLM call in the GenAI semantic conventions: the model, the messages sent and the
    /// answer (as `gen_ai.input.messages` / `gen_ai.output.messages`), and the token usage.
    public func recordChat(model: String, messages: [ChatMessage], answer: String, usage: TokenUsage? = nil, operation: String = "chat") {
        func parts(_ role: String, _ text: String) -> DataValue {
            .object(["role": .string(role), "parts": .list([.object(["type": "text", "content": .string(text)])])])
        }
        setAttribute("gen_ai.operation.name", .string(operation))
        setAttribute("gen_ai.request.model", .string(model))
        setAttribute("gen_ai.input.messages", .string(DataValue.list(messages.map { parts($0.role, $0.content) }).description))
        setAttribute("gen_ai.output.messages", .string(DataValue.list([parts("assistant", answer)]).description))
        if let usage {
            setAttribute("gen_ai.usage.input_tokens", .int(usage.promptTokens))
            setAttribute("gen_ai.usage.output_tokens", .int(usage.completionTokens))
        }
    }

    /// Records documents a retrieval step found (`gen_ai.retrieval.documents`).
    public func recordRetrieval(_ documents: [String]) {
        setAttribute("gen_ai.operation.name", "retrieval")
        setAttribute("gen_ai.retrieval.documents", .string(DataValue.list(documents.map { .object(["content": .string($0)]) }).description))
    }

    func end(service: String) -> SpanRecord {
        let (attributes, events, error) = state.withLockedValue { ($0.attributes, $0.events, $0.error) }
        return SpanRecord(
            traceID: traceID, spanID: spanID, parentSpanID: parentSpanID, name: name,
            kind: ["", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"][kind.rawValue], startTimeNanos: start,
            endTimeNanos: Int64(Date().timeIntervalSince1970 * 1e9), statusCode: error == nil ? "OK" : "ERROR", statusMessage: error ?? "",
            attributes: attributes, events: events, resource: ["service.name": .string(service)])
    }
}

/// Spans as an OTLP/JSON ExportTraceServiceRequest.
enum OTLPJSON {
    static func export(_ spans: [SpanRecord], serviceName: String) -> String {
        let kinds = ["UNSPECIFIED": 0, "INTERNAL": 1, "SERVER": 2, "CLIENT": 3, "PRODUCER": 4, "CONSUMER": 5]
        let statuses = ["UNSET": 0, "OK": 1, "ERROR": 2]
        let encoded: [DataValue] = spans.map { span in
            var fields: [String: DataValue] = [
                "traceId": .string(span.traceID), "spanId": .string(span.spanID), "name": .string(span.name),
                "kind": .int(kinds[span.kind] ?? 1), "startTimeUnixNano": .string(String(span.startTimeNanos)),
                "endTimeUnixNano": .string(String(span.endTimeNanos)), "attributes": attributes(span.attributes),
                "status": .object(["code": .int(statuses[span.statusCode] ?? 0), "message": .string(span.statusMessage)]),
                "events": .list(
                    span.events.map {
                        .object([
                            "name": .string($0.name), "timeUnixNano": .string(String($0.timeNanos)),
                            "attributes": attributes($0.attributes),
                        ])
                    }),
            ]
            if let parent = span.parentSpanID { fields["parentSpanId"] = .string(parent) }
            return .object(fields)
        }
        let resource = attributes(["service.name": .string(serviceName)])
        return DataValue.object([
            "resourceSpans": .list([
                .object([
                    "resource": .object(["attributes": resource]),
                    "scopeSpans": .list([.object(["scope": .object(["name": "assay-tracing"]), "spans": .list(encoded)])]),
                ])
            ])
        ]).description
    }

    static func attributes(_ values: [String: DataValue]) -> DataValue {
        .list(values.sorted { $0.key < $1.key }.map { .object(["key": .string($0.key), "value": value($0.value)]) })
    }

    static func value(_ v: DataValue) -> DataValue {
        switch v {
        case .string(let s): .object(["stringValue": .string(s)])
        case .bool(let b): .object(["boolValue": .bool(b)])
        case .int(let i): .object(["intValue": .string(String(i))])
        case .double(let d): .object(["doubleValue": .double(d)])
        case .list(let items): .object(["arrayValue": .object(["values": .list(items.map(value))])])
        case .object(let fields): .object(["kvlistValue": .object(["values": attributes(fields)])])
        case .null: .object([:])
        }
    }
}
