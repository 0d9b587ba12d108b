public import Assay
import Foundation
import NIOHTTP1

/// Where a tool-calling model's tool results come from.
public enum ToolResults: Sendable {
    /// A dataset column (default `tool_responses`) holding, per row, each tool's result: an object by
    /// tool name, whose value is the result, or an object keyed by the call's arguments as JSON
    /// (`{"weather": {"{\"city\":\"Paris\"}": "18 C"}}`); or a list of `{name, arguments, response}`.
    case column(String)
    /// An HTTP endpoint that runs the tool: it gets `{"name", "arguments"}` posted and answers with
    /// the result (plain text, or JSON `{"result": …}`; `{"error": …}` is a failed tool).
    case endpoint(String)
}

/// A chat model that calls tools, as a ``LanguageModel``: each row's prompt is sent with the tools
/// offered; while the model answers with tool calls, each call's result (from the dataset or a tool
/// endpoint) goes back as a `tool` message, for at most `maxSteps` model calls. Every step is a call
/// of the underlying ``ChatModel``, so it is cached, retried and budgeted like any call; tool endpoint
/// results are cached too. The whole conversation is the row's `messages` column (for the tool-call
/// metrics and the conversation judges), the final answer its output, and `stop_reason` says whether
/// the model answered (`answer`) or ran out of steps (`max_steps`). `tool_choice` is `auto` unless a
/// parameter sets it (a required or named tool), and such a setting goes with the first step only;
/// later steps leave the choice to the model, which could otherwise never give its answer (unless
/// `keepsToolChoice`, for a server that cannot be left to choose).
///
/// ```swift
/// let model = try ToolCallingModel(chat: chat, tools: try ToolCallingModel.loadTools("tools.json"),
///                                  results: .column("tool_responses"), maxSteps: 4)
/// ```
public final class ToolCallingModel: LanguageModel {
    public let chat: ChatModel
    /// The tools offered, as OpenAI tool objects (`{"type": "function", "function": {...}}`).
    public let tools: [DataValue]
    public let results: ToolResults
    public let maxSteps: Int
    /// Whether a `tool_choice` parameter goes with every step rather than the first only.
    public let keepsToolChoice: Bool
    let transport: HTTPTransport?
    let cache: ResponseCache?

    /// Wraps `chat`; the provider must speak OpenAI's tool calls (OpenAI, Azure, Ollama, OpenAI-compatible
    /// servers, gateways).
    public init(
        chat: ChatModel, tools: [DataValue], results: ToolResults, maxSteps: Int = 5, keepsToolChoice: Bool = false,
        options: ProviderOptions = .init(), cache: ResponseCache? = nil
    ) throws(AssayError) {
        guard chat.endpoint.dialect != .anthropic else {
            throw .invalidInput("tool calling is sent in OpenAI's format; \(chat.identifier) speaks Anthropic's")
        }
        guard !tools.isEmpty else { throw .invalidInput("a tool-calling model needs at least one tool") }
        guard maxSteps >= 1 else { throw .invalidInput("--max-steps must be at least 1") }
        self.chat = chat
        self.tools = tools
        self.results = results
        self.maxSteps = maxSteps
        self.keepsToolChoice = keepsToolChoice
        if case .endpoint = results { transport = HTTPTransport(options: options) } else { transport = nil }
        self.cache = cache
    }

    /// Reads tools from a JSON or YAML file: a list of OpenAI tool objects, or of bare functions
    /// (`{name, description, parameters}`), which are wrapped.
    public static func loadTools(_ path: String) throws(AssayError) -> [DataValue] {
        guard case .list(let items) = try ModelSpec.loadObject(path), !items.isEmpty else {
            throw .invalidInput("\(path): tools must be a non-empty list of OpenAI tool schemas")
        }
        var tools: [DataValue] = []
        for (i, item) in items.enumerated() {
            guard case .object(let fields) = item else { throw .invalidInput("\(path): tool \(i + 1) must be an object") }
            let function = fields["function"]?.member("name") != nil ? fields["function"]! : item
            guard function.member("name")?.stringValue?.isEmpty == false else {
                throw .invalidInput("\(path): tool \(i + 1) needs a name (function.name)")
            }
            tools.append(.object(["type": "function", "function": function]))
        }
        return tools
    }

    public var identifier: String { chat.identifier }
    public var outputColumns: [String] { ["messages", "stop_reason"] }
    public func validate(columns: [String]) throws(AssayError) { try chat.validate(columns: columns) }

    public var runParams: [KeyValue] {
        let names = tools.compactMap { $0.member("function")?.member("name")?.stringValue }
        var params = chat.runParams + [KeyValue("tools", names.joined(separator: ", ")), KeyValue("max_steps", String(maxSteps))]
        switch results {
        case .column(let column): params.append(KeyValue("tool_results", "column \(column)"))
        case .endpoint(let url): params.append(KeyValue("tool_results", url))
        }
        return params
    }

    public var runFiles: [(path: String, contents: String)] {
        chat.runFiles + [(path: "model/tools.json", contents: DataValue.list(tools).description)]
    }

    public func respond(to row: DataRow) async throws -> ModelResponse {
        var messages: [DataValue] = try chat.messages(for: row).map { .object(["role": .string($0.role), "content": .string($0.content)]) }
        let dialect = chat.endpoint.dialect
        var parameters = chat.spec.parameters
        // OpenAI's default, said out loud: some servers (llama.cpp's) call no tool unless asked to choose.
        if parameters["tool_choice"] == nil { parameters["tool_choice"] = "auto" }
        var usage: TokenUsage?
        var cost: Double?
        var cached = true
        var latency = 0.0
        var answer = ""
        var stopReason = "max_steps"
        let tokenizer = try BPETokenizer.cl100kBase()
        for step in 1...maxSteps {
            if step == 2, !keepsToolChoice { parameters["tool_choice"] = "auto" }
            guard let body = dialect.body(model: chat.spec.model.model, wire: messages, tools: tools, parameters: parameters) else {
                throw AssayError.invalidInput("\(chat.identifier) cannot take tools")
            }
            let sent = messages
            let reply = try await chat.send(
                body: Array(body.description.utf8), sample: row.sample,
                promptTokens: { sent.reduce(3) { $0 + 3 + tokenizer.count($1.member("content")?.text ?? "") } },
                maxCompletionTokens: chat.maxCompletionTokens)
            cached = cached && reply.cached
            latency += reply.latency
            if let used = reply.usage {
                usage = TokenUsage(
                    promptTokens: (usage?.promptTokens ?? 0) + used.promptTokens,
                    completionTokens: (usage?.completionTokens ?? 0) + used.completionTokens)
            }
            if let spent = reply.cost { cost = (cost ?? 0) + spent }
            let calls = dialect.toolCalls(reply.body)
            var assistant: [String: DataValue] = ["role": "assistant", "content": .string(reply.text)]
            if !calls.isEmpty { assistant["tool_calls"] = .list(calls) }
            messages.append(.object(assistant))
            answer = reply.text
            if calls.isEmpty {
                stopReason = "answer"
                break
            }
            for (i, call) in calls.enumerated() {
                let id = call.member("id")?.stringValue ?? "call_\(messages.count)_\(i)"
                let parsed: ToolCall
                do {
                    parsed = try ToolCall(call, place: "tool call \(i + 1) of the model's reply")
                } catch {
                    // A malformed call is the model's mistake: it is told, and the conversation goes on.
                    messages.append(.object(["role": "tool", "tool_call_id": .string(id), "content": .string(error.message), "is_error": true]))
                    continue
                }
                let (result, failed) = try await self.result(of: parsed, row: row)
                var message: [String: DataValue] = [
                    "role": "tool", "tool_call_id": .string(id), "name": .string(parsed.name), "content": .string(result),
                ]
                if failed { message["is_error"] = true }
                messages.append(.object(message))
            }
        }
        return ModelResponse(
            output: .string(answer), otherOutputs: ["messages": .list(messages), "stop_reason": .string(stopReason)], usage: usage, cost: cost,
            cached: cached, latency: latency)
    }

    /// A call's result and whether the tool failed.
    func result(of call: ToolCall, row: DataRow) async throws -> (String, Bool) {
        let arguments = DataValue.object(call.arguments).description
        switch results {
        case .column(let column):
            let recorded = row[column]
            if case .list(let entries) = recorded {
                for entry in entries {
                    guard entry.member("name")?.stringValue == call.name else { continue }
                    // An entry without arguments answers every call of its tool.
                    guard let arguments = entry.member("arguments") else { return (Self.text(entry.member("response") ?? .null), false) }
                    if let recordedCall = try? ToolCall(.object(["name": .string(call.name), "arguments": arguments]), place: column),
                        recordedCall.matches(call)
                    {
                        return (Self.text(entry.member("response") ?? .null), false)
                    }
                }
            } else if let byTool = recorded.member(call.name) {
                // Keyed by the arguments as JSON, or one result for every call of the tool.
                if case .object(let byArguments) = byTool, !byArguments.isEmpty, byArguments.keys.allSatisfy({ $0.hasPrefix("{") }) {
                    for (key, value) in byArguments {
                        if let recordedCall = try? ToolCall(.object(["name": .string(call.name), "arguments": .string(key)]), place: column),
                            recordedCall.matches(call)
                        {
                            return (Self.text(value), false)
                        }
                    }
                    return ("no response recorded for \(call.name)(\(arguments)) in \(column)", true)
                }
                return (Self.text(byTool), false)
            }
            return ("no response recorded for \(call.name)(\(arguments)) in \(column)", true)
        case .endpoint(let url):
            let body = Array(DataValue.object(["name": .string(call.name), "arguments": .object(call.arguments)]).description.utf8)
            let key = ResponseCache.key(provider: "tool", model: call.name, url: url, body: body, sample: row.sample)
            if let cache, let entry = try await cache.entry(for: key) { return Self.toolReply(Array(entry.body.utf8)) }
            guard let transport else { throw AssayError.internal("no transport for the tool endpoint") }
            let reply = try await transport.send(
                method: .POST, url: url, headers: [("Content-Type", "application/json")], body: body, rejection: .failsRow
            ) { _ in true }
            if let cache {
                let text = String(decoding: reply.body, as: UTF8.self)
                try await cache.store(
                    ResponseCache.Entry(output: text, body: text, latency: reply.seconds, usage: nil, cost: nil), for: key, provider: "tool",
                    model: call.name)
            }
            return Self.toolReply(reply.body)
        }
    }

    /// A tool endpoint's reply: `{"result"}`, `{"error"}` (failed), or the body as it is.
    static func toolReply(_ body: [UInt8]) -> (String, Bool) {
        let text = String(decoding: body, as: UTF8.self)
        guard let json = try? DataValue(json: text), case .object = json else { return (text, false) }
        if let error = json.member("error"), !error.isNull { return (Self.text(error), true) }
        if let result = json.member("result") { return (Self.text(result), false) }
        return (text, false)
    }

    static func text(_ value: DataValue) -> String {
        if case .string(let text) = value { return text }
        return value.description
    }

    /// Closes the connections of the model and of the tool endpoint.
    public func shutdown() async {
        await chat.shutdown()
        await transport?.shutdown()
    }
}
