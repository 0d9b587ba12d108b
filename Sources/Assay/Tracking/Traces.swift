/// One span of a trace, as OpenTelemetry sends it (ids as lowercase hex, times in nanoseconds since
/// 1970, attribute values as JSON values).
public struct SpanRecord: Sendable, Equatable {
    public var traceID: String
    public var spanID: String
    /// Nil for a root span.
    public var parentSpanID: String?
    public var name: String
    /// `INTERNAL`, `SERVER`, `CLIENT`, `PRODUCER`, `CONSUMER` or `UNSPECIFIED`.
    public var kind: String
    public var startTimeNanos: Int64
    public var endTimeNanos: Int64
    /// `UNSET`, `OK` or `ERROR`.
    public var statusCode: String
    public var statusMessage: String
    public var attributes: [String: DataValue]
    public var events: [SpanEvent]
    /// The resource's attributes (service name and the like).
    public var resource: [String: DataValue]

    public init(
        traceID: String, spanID: String, parentSpanID: String?, name: String, kind: String = "INTERNAL", startTimeNanos: Int64,
        endTimeNanos: Int64, statusCode: String = "UNSET", statusMessage: String = "", attributes: [String: DataValue] = [:],
        events: [SpanEvent] = [], resource: [String: DataValue] = [:]
    ) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.name = name
        self.kind = kind
        self.startTimeNanos = startTimeNanos
        self.endTimeNanos = endTimeNanos
        self.statusCode = statusCode
        self.statusMessage = statusMessage
        self.attributes = attributes
        self.events = events
        self.resource = resource
    }
}

/// An event within a span, such as `gen_ai.user.message` or `gen_ai.choice`.
public struct SpanEvent: Sendable, Equatable {
    public var name: String
    public var timeNanos: Int64
    public var attributes: [String: DataValue]

    public init(name: String, timeNanos: Int64, attributes: [String: DataValue]) {
        self.name = name
        self.timeNanos = timeNanos
        self.attributes = attributes
    }
}

/// What a trace amounts to for an evaluation: its root span, timing, model, token usage, and the
/// question, answer and retrieved context read from the GenAI semantic conventions.
public struct TraceSummary: Sendable, Equatable {
    public var traceID: String
    public var experimentID: String
    public var name: String
    public var startTimeNanos: Int64
    public var endTimeNanos: Int64
    /// `OK`, `ERROR` or `UNSET`: ERROR when any span failed.
    public var status: String
    public var spanCount: Int
    public var model: String?
    public var inputTokens: Int?
    public var outputTokens: Int?
    /// The user's question or request.
    public var inputs: String?
    /// The model's answer.
    public var outputs: String?
    /// Documents retrieved along the way.
    public var context: [String]
    /// The system instructions the model was given (`gen_ai.system_instructions`, or a system message).
    public var instructions: String?
    /// The tools the trace ran, in order: its `execute_tool` spans (OpenTelemetry GenAI) or TOOL spans (MLflow).
    public var toolSteps: [ToolStep] = []

    public var latencyMilliseconds: Double { (Double(endTimeNanos) - Double(startTimeNanos)) / 1_000_000 }

    public init(
        traceID: String, experimentID: String, name: String, startTimeNanos: Int64, endTimeNanos: Int64, status: String, spanCount: Int,
        model: String?, inputTokens: Int?, outputTokens: Int?, inputs: String?, outputs: String?, context: [String],
        instructions: String? = nil
    ) {
        self.traceID = traceID
        self.experimentID = experimentID
        self.name = name
        self.startTimeNanos = startTimeNanos
        self.endTimeNanos = endTimeNanos
        self.status = status
        self.spanCount = spanCount
        self.model = model
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.inputs = inputs
        self.outputs = outputs
        self.context = context
        self.instructions = instructions
    }

    /// The trace as a conversation: the question, each tool call and its result, and the answer.
    public var conversation: DataValue {
        var messages: [DataValue] = []
        if let instructions { messages.append(.object(["role": "system", "content": .string(instructions)])) }
        if let inputs { messages.append(.object(["role": "user", "content": .string(inputs)])) }
        for (i, step) in toolSteps.enumerated() {
            let id = DataValue.string(step.callID ?? "call_\(i + 1)")
            messages.append(
                .object([
                    "role": "assistant", "content": "",
                    "tool_calls": .list([.object(["id": id, "name": .string(step.name), "arguments": .object(step.arguments)])]),
                ]))
            var result: [String: DataValue] = ["role": "tool", "tool_call_id": id, "name": .string(step.name), "content": .string(step.result ?? "")]
            if step.failed { result["is_error"] = true }
            messages.append(.object(result))
        }
        if let outputs { messages.append(.object(["role": "assistant", "content": .string(outputs)])) }
        return .list(messages)
    }
}

/// One tool a trace ran: its name, arguments and result, whether it failed, and the call's id.
public struct ToolStep: Sendable, Equatable {
    public var name: String
    /// The model's id for the call (`gen_ai.tool.call.id`), when the span has it.
    public var callID: String?
    public var arguments: [String: DataValue]
    public var result: String?
    /// Whether the tool's span ended in ERROR.
    public var failed: Bool

    public init(name: String, arguments: [String: DataValue] = [:], result: String? = nil, failed: Bool = false, callID: String? = nil) {
        self.name = name
        self.callID = callID
        self.arguments = arguments
        self.result = result
        self.failed = failed
    }

    /// The steps as stored: a JSON list of `{name, arguments, result, failed}`.
    public static func json(_ steps: [ToolStep]) -> String {
        DataValue.list(
            steps.map {
                .object([
                    "name": .string($0.name), "arguments": .object($0.arguments), "result": $0.result.map(DataValue.string) ?? .null,
                    "failed": .bool($0.failed), "id": $0.callID.map(DataValue.string) ?? .null,
                ])
            }
        ).description
    }

    /// Steps read back from their stored JSON (nothing for text that is not such a list).
    public static func steps(json text: String) -> [ToolStep] {
        ((try? DataValue(json: text))?.listValue ?? []).compactMap { item in
            guard case .object(let f) = item, let name = f["name"]?.stringValue else { return nil }
            var arguments: [String: DataValue] = [:]
            if case .object(let a)? = f["arguments"] { arguments = a }
            return ToolStep(
                name: name, arguments: arguments, result: f["result"]?.stringValue, failed: f["failed"] == .bool(true),
                callID: f["id"]?.stringValue)
        }
    }
}

/// A score given to a trace by an evaluation run (shown with the trace, as MLflow shows assessments).
public struct TraceAssessment: Sendable, Equatable {
    /// The trace scored.
    public var traceID: String
    /// The metric, such as `toxicity/v1`.
    public var name: String
    /// The score; nil when the judge's answer could not be read.
    public var value: Double?
    /// The judge's justification, when there is one.
    public var rationale: String?
    /// The evaluation run that gave it.
    public var runID: String

    public init(traceID: String, name: String, value: Double?, rationale: String?, runID: String) {
        self.traceID = traceID
        self.name = name
        self.value = value
        self.rationale = rationale
        self.runID = runID
    }
}

/// Stores that also keep traces: spans by trace, a summary per trace, and assessments.
///
/// ```swift
/// try await store.ingest(spans, experimentID: "0")
/// let recent = try await store.traces(in: "0", since: nil, limit: 100, offset: 0)
/// ```
public protocol TraceStore: TrackingStore {
    /// Stores spans (replacing any with the same trace and span id) and refreshes their traces'
    /// summaries, all or nothing.
    func ingest(_ spans: [SpanRecord], experimentID: String) async throws(AssayError)
    /// An experiment's traces, newest first, started at or after `since` (nanoseconds) when given.
    func traces(in experimentID: String, since: Int64?, limit: Int, offset: Int) async throws(AssayError) -> [TraceSummary]
    /// A trace's summary, spans (by start time) and assessments; `notFound` when there is none.
    func trace(id: String) async throws(AssayError) -> (TraceSummary, [SpanRecord], [TraceAssessment])
    /// Records scores of traces.
    func logAssessments(_ assessments: [TraceAssessment]) async throws(AssayError)
}

extension TraceSummary {
    /// The summary of a trace's spans: the root is the span without a parent among them (the earliest
    /// if several); model, tokens, question, answer and context come from the GenAI semantic conventions
    /// (current `gen_ai.input.messages` / `gen_ai.output.messages` / `gen_ai.system_instructions`, the
    /// older `gen_ai.prompt` / `gen_ai.completion`, and the `gen_ai.user.message` / `gen_ai.choice`
    /// events), then the root's generic `input.value` / `output.value`.
    public static func make(traceID: String, experimentID: String, spans: [SpanRecord]) -> TraceSummary {
        let ids = Set(spans.map(\.spanID))
        let ordered = spans.sorted { ($0.startTimeNanos, $0.spanID) < ($1.startTimeNanos, $1.spanID) }
        let root = ordered.first { $0.parentSpanID == nil || !ids.contains($0.parentSpanID!) } ?? ordered.first
        var model: String?
        var inputTokens: Int?, outputTokens: Int?
        var inputs: String?, outputs: String?
        var context: [String] = []
        var instructions: String?
        var toolSteps: [ToolStep] = []
        for span in ordered {
            let a = span.attributes
            if model == nil { model = a["gen_ai.request.model"]?.stringValue ?? a["gen_ai.response.model"]?.stringValue }
            if let n = (a["gen_ai.usage.input_tokens"] ?? a["gen_ai.usage.prompt_tokens"])?.doubleValue {
                inputTokens = (inputTokens ?? 0) + Int(n)
            }
            if let n = (a["gen_ai.usage.output_tokens"] ?? a["gen_ai.usage.completion_tokens"])?.doubleValue {
                outputTokens = (outputTokens ?? 0) + Int(n)
            }
            if inputs == nil { inputs = GenAIContent.question(span) }
            if instructions == nil { instructions = GenAIContent.instructions(span) }
            if let answer = GenAIContent.answer(span) { outputs = answer }
            context += GenAIContent.documents(span)
            if let step = GenAIContent.toolStep(span) { toolSteps.append(step) }
        }
        if inputs == nil { inputs = root?.attributes["input.value"].map(GenAIContent.text) }
        if outputs == nil { outputs = root?.attributes["output.value"].map(GenAIContent.text) }
        let status = spans.contains { $0.statusCode == "ERROR" } ? "ERROR" : (root?.statusCode ?? "UNSET")
        var summary = TraceSummary(
            traceID: traceID, experimentID: experimentID, name: root?.name ?? "", startTimeNanos: spans.map(\.startTimeNanos).min() ?? 0,
            endTimeNanos: spans.map(\.endTimeNanos).max() ?? 0, status: status, spanCount: spans.count, model: model,
            inputTokens: inputTokens, outputTokens: outputTokens, inputs: inputs, outputs: outputs, context: context,
            instructions: instructions)
        summary.toolSteps = toolSteps
        return summary
    }
}

/// Reading prompts, answers and documents out of GenAI spans.
enum GenAIContent {
    /// The last user message of a span, in whichever convention it came.
    static func question(_ span: SpanRecord) -> String? {
        if let messages = span.attributes["gen_ai.input.messages"], let text = lastText(messages, role: "user") { return text }
        if let prompt = span.attributes["gen_ai.prompt"] {
            if let text = lastText(prompt, role: "user") { return text }
            return text(prompt)
        }
        if let event = span.events.last(where: { $0.name == "gen_ai.user.message" }) {
            return event.attributes["content"].map(text) ?? event.attributes["gen_ai.event.content"].map(text)
        }
        return nil
    }

    /// The system instructions of a span: `gen_ai.system_instructions` (text or a list of parts), or the
    /// system message among the input messages.
    static func instructions(_ span: SpanRecord) -> String? {
        if let value = span.attributes["gen_ai.system_instructions"] {
            let parsed = parsedJSON(value)
            if case .list(let parts) = parsed {
                let texts = parts.map { part -> String in
                    if case .object(let p) = part { return (p["content"] ?? p["text"]).map(text) ?? "" }
                    return text(part)
                }
                return texts.joined(separator: "\n")
            }
            return text(parsed)
        }
        for key in ["gen_ai.input.messages", "gen_ai.prompt"] {
            if let messages = span.attributes[key], let system = lastText(messages, role: "system") { return system }
        }
        return nil
    }

    /// The model's answer in a span.
    static func answer(_ span: SpanRecord) -> String? {
        if let messages = span.attributes["gen_ai.output.messages"], let text = lastText(messages, role: nil) { return text }
        if let completion = span.attributes["gen_ai.completion"] {
            if let text = lastText(completion, role: nil) { return text }
            return text(completion)
        }
        if let event = span.events.last(where: { $0.name == "gen_ai.choice" }) {
            if let message = event.attributes["message"], let text = lastText(.list([parsedJSON(message)]), role: nil) { return text }
            return event.attributes["content"].map(text) ?? event.attributes["message"].map(text)
        }
        return nil
    }

    /// Retrieved documents: `gen_ai.retrieval.documents` (a JSON list of strings or of objects with
    /// `content`), or OpenInference's `retrieval.documents.N.document.content`.
    static func documents(_ span: SpanRecord) -> [String] {
        if let value = span.attributes["gen_ai.retrieval.documents"] {
            let parsed = parsedJSON(value)
            return (parsed.listValue ?? [parsed]).compactMap { item in
                if case .object(let fields) = item { return fields["content"].map(text) ?? fields["page_content"].map(text) }
                let t = text(item)
                return t.isEmpty ? nil : t
            }
        }
        let keys = span.attributes.keys.filter { $0.hasPrefix("retrieval.documents.") && $0.hasSuffix(".document.content") }
        return keys.sorted { index($0) < index($1) }.compactMap { span.attributes[$0].map(text) }
    }

    private static func index(_ key: String) -> Int {
        Int(key.split(separator: ".").dropFirst(2).first ?? "") ?? 0
    }

    /// The tool a span ran: an OpenTelemetry GenAI `execute_tool` span (`gen_ai.tool.name`,
    /// `gen_ai.tool.call.arguments`, `gen_ai.tool.call.result`) or an MLflow TOOL span (its name,
    /// `mlflow.spanInputs`, `mlflow.spanOutputs`); failed when the span's status is ERROR.
    static func toolStep(_ span: SpanRecord) -> ToolStep? {
        let a = span.attributes
        let name: String
        var arguments: DataValue?
        var result: DataValue?
        var callID: String?
        if a["gen_ai.operation.name"]?.stringValue == "execute_tool" {
            name = a["gen_ai.tool.name"]?.stringValue ?? String(span.name.trimmingPrefix("execute_tool "))
            arguments = a["gen_ai.tool.call.arguments"]
            result = a["gen_ai.tool.call.result"]
            callID = a["gen_ai.tool.call.id"]?.stringValue
        } else if let type = a["mlflow.spanType"]?.stringValue, type == "TOOL" || type == #""TOOL""# {
            name = span.name
            arguments = a["mlflow.spanInputs"]
            result = a["mlflow.spanOutputs"]
        } else {
            return nil
        }
        var members: [String: DataValue] = [:]
        switch arguments.map(parsedJSON) {
        case .object(let object)?: members = object
        case nil, .null?: break
        case let other?: members = ["input": other]
        }
        return ToolStep(
            name: name, arguments: members, result: result.map { text(parsedJSON($0)) }, failed: span.statusCode == "ERROR", callID: callID)
    }

    /// A JSON value that may itself be JSON text.
    static func parsedJSON(_ value: DataValue) -> DataValue {
        if case .string(let s) = value, let first = s.first, first == "[" || first == "{", let parsed = try? DataValue(json: s) {
            return parsed
        }
        return value
    }

    /// The text of the last message (of `role`, when given) in a list of chat messages, in either the
    /// current shape (`parts: [{type: text, content}]`) or the classic one (`content`).
    static func lastText(_ value: DataValue, role: String?) -> String? {
        guard case .list(let messages) = parsedJSON(value) else { return nil }
        for message in messages.reversed() {
            guard case .object(let fields) = message else { continue }
            if let role, let actual = fields["role"]?.stringValue, actual != role { continue }
            if case .list(let parts)? = fields["parts"] {
                let texts = parts.compactMap { part -> String? in
                    guard case .object(let p) = part else { return nil }
                    return (p["content"] ?? p["text"]).map(text)
                }
                if !texts.isEmpty { return texts.joined(separator: "\n") }
            }
            if let content = fields["content"] { return text(content) }
            if case .object(let inner)? = fields["message"], let content = inner["content"] { return text(content) }
        }
        return nil
    }

    static func text(_ value: DataValue) -> String {
        switch value {
        case .string(let s): s
        case .null: ""
        default: value.description
        }
    }
}

extension TraceSummary {
    /// The values a trace filter compares (`model = 'gemma'`, `latency_ms > 500`, `status != 'ERROR'`).
    public var filterValues: [String: DataValue] {
        var values: [String: DataValue] = [
            "trace_id": .string(traceID), "name": .string(name), "status": .string(status), "latency_ms": .double(latencyMilliseconds),
            "span_count": .int(spanCount),
        ]
        if let model { values["model"] = .string(model) }
        if let inputTokens { values["input_tokens"] = .int(inputTokens) }
        if let outputTokens { values["output_tokens"] = .int(outputTokens) }
        return values
    }
}

extension Dataset {
    /// A dataset of traces, one row each: `trace_id`, `inputs`, `outputs`, `context` (retrieved documents,
    /// blank-line separated), `instructions` (the system prompt), `latency_ms`, `input_tokens`, `output_tokens` and `model`, ready for metrics
    /// that need no ground truth; and when any trace ran tools, `messages`: each trace as a conversation
    /// with its tool calls and results, for the tool-call metrics and the conversation judges.
    public static func traces(_ traces: [TraceSummary], name: String) -> Dataset {
        let withTools = traces.contains { !$0.toolSteps.isEmpty }
        return Dataset(
            name: name,
            columns: ["trace_id", "inputs", "outputs", "context", "instructions", "latency_ms", "input_tokens", "output_tokens", "model"]
                + (withTools ? ["messages"] : []),
            rows: traces.map { t in
                [
                    .string(t.traceID), t.inputs.map(DataValue.string) ?? .null, t.outputs.map(DataValue.string) ?? .null,
                    t.context.isEmpty ? .null : .string(t.context.joined(separator: "\n\n")), t.instructions.map(DataValue.string) ?? .null,
                    .double(t.latencyMilliseconds),
                    t.inputTokens.map { .int($0) } ?? .null, t.outputTokens.map { .int($0) } ?? .null,
                    t.model.map(DataValue.string) ?? .null,
                ] + (withTools ? [t.conversation] : [])
            })
    }
}
