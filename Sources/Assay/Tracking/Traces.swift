import Foundation

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

    // What a client that records traces itself says about one (MLflow 3's start-trace); nil or empty for
    // a trace known only from its spans.

    /// `OK`, `ERROR` or `IN_PROGRESS`, as the client reported it.
    public var state: String?
    /// When the request came, in milliseconds since 1970, and how long it took, as the client reported.
    public var requestTime: Int64?
    public var executionDuration: Int64?
    /// The start of the request and of the response, as the client shows them in lists.
    public var requestPreview: String?
    public var responsePreview: String?
    /// The caller's own id for the request.
    public var clientRequestID: String?
    /// Immutable facts about the trace (`mlflow.sourceRun`, `mlflow.modelId`, `mlflow.trace_schema.version`).
    public var metadata: [String: String] = [:]
    /// Mutable labels (`mlflow.traceName`, any a person sets).
    public var tags: [String: String] = [:]
    /// Runs the trace was linked to (besides the run its metadata names).
    public var linkedRunIDs: [String] = []

    public var latencyMilliseconds: Double {
        if spanCount == 0, let executionDuration { return Double(executionDuration) }
        return (Double(endTimeNanos) - Double(startTimeNanos)) / 1_000_000
    }

    /// When the trace started, in milliseconds since 1970: as reported, else from its spans.
    public var timestampMilliseconds: Int64 { requestTime ?? startTimeNanos / 1_000_000 }

    /// The trace's state as MLflow names it: as reported, else from its spans (an unset status is OK).
    public var mlflowState: String { state ?? (status == "ERROR" ? "ERROR" : "OK") }

    /// Every run the trace belongs to: the one that produced it (`mlflow.sourceRun`) and those it was linked to.
    public var runIDs: [String] {
        var ids = linkedRunIDs
        if let source = metadata["mlflow.sourceRun"], !ids.contains(source) { ids.insert(source, at: 0) }
        return ids
    }

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
            var result: [String: DataValue] = [
                "role": "tool", "tool_call_id": id, "name": .string(step.name), "content": .string(step.result ?? ""),
            ]
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

/// A judgement on a trace, as MLflow 3 records one: a feedback (a score, a verdict, a label) or an
/// expectation (the answer wanted), with who gave it (a person, an LLM judge, code), a rationale and
/// metadata. `assay evaluate --traces` writes one feedback per metric and trace; the mlflow client and
/// the web UI's reviewers add their own.
public struct TraceAssessment: Sendable, Equatable {
    /// A feedback judges the trace; an expectation says what it should have been.
    public enum Kind: String, Sendable {
        case feedback, expectation
    }

    /// Who gave an assessment: `HUMAN`, `LLM_JUDGE` or `CODE`, and an id (an e-mail, a model, a function).
    public struct Source: Sendable, Equatable {
        public var type: String
        public var id: String

        public init(type: String, id: String) {
            self.type = type
            self.id = id
        }

        public static let types = ["HUMAN", "LLM_JUDGE", "CODE", "SOURCE_TYPE_UNSPECIFIED"]
    }

    /// `a-<32 hex>`; empty until the store assigns one.
    public var id: String
    /// The trace judged.
    public var traceID: String
    /// The metric or label, such as `toxicity/v1` or `helpful`.
    public var name: String
    public var kind: Kind
    /// The value as given: a number, a boolean, text, or any JSON value; null when it could not be read.
    public var data: DataValue
    /// The judge's justification, when there is one.
    public var rationale: String?
    public var source: Source
    /// The evaluation run that gave it; empty for one given outside a run.
    public var runID: String
    /// The span judged, when not the whole trace.
    public var spanID: String?
    public var metadata: [String: String]
    /// Why no value could be had (the judge's reply was unreadable, say).
    public var error: String?
    /// False once a later assessment overrides it.
    public var valid: Bool
    /// The assessment this one overrides.
    public var overrides: String?
    /// Milliseconds since 1970.
    public var createTime: Int64
    public var lastUpdateTime: Int64

    public init(
        id: String = "", traceID: String, name: String, kind: Kind = .feedback, data: DataValue, rationale: String? = nil,
        source: Source, runID: String = "", spanID: String? = nil, metadata: [String: String] = [:], error: String? = nil,
        valid: Bool = true, overrides: String? = nil, createTime: Int64 = MetricPoint.now(), lastUpdateTime: Int64? = nil
    ) {
        self.id = id
        self.traceID = traceID
        self.name = name
        self.kind = kind
        self.data = data
        self.rationale = rationale
        self.source = source
        self.runID = runID
        self.spanID = spanID
        self.metadata = metadata
        self.error = error
        self.valid = valid
        self.overrides = overrides
        self.createTime = createTime
        self.lastUpdateTime = lastUpdateTime ?? createTime
    }

    /// A metric's score from an evaluation run: code's for a heuristic metric, an LLM judge's when it
    /// comes with a rationale.
    public init(traceID: String, name: String, value: Double?, rationale: String?, runID: String) {
        self.init(
            traceID: traceID, name: name, data: value.map(DataValue.double) ?? .null, rationale: rationale,
            source: Source(type: rationale == nil ? "CODE" : "LLM_JUDGE", id: "assay"), runID: runID,
            metadata: ["mlflow.assessment.sourceRunId": runID], error: value == nil ? "the score could not be read" : nil)
    }

    /// The value as a number: numbers as they are, `true`/`false` as 1/0, `yes`/`no`/`pass`/`fail` too;
    /// nil for anything else.
    public var value: Double? {
        switch data {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        case .string(let s):
            switch s.lowercased() {
            case "yes", "pass", "true": return 1
            case "no", "fail", "false": return 0
            default: return Double(s)
            }
        default: return nil
        }
    }

    /// A new id: `a-` and 32 hexadecimal digits.
    public static func newID() -> String {
        "a-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
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
    /// Summaries of the traces with these ids, with their assessments, in the order asked (unknown ids
    /// are skipped).
    func traces(ids: [String]) async throws(AssayError) -> [(TraceSummary, [TraceAssessment])]
    /// Records what a client says about a trace (MLflow's start-trace): experiment, name, times, state,
    /// previews, metadata and tags; before or after its spans arrive. Returns the trace as stored.
    func record(_ trace: TraceSummary) async throws(AssayError) -> TraceSummary
    /// Sets a trace tag; `notFound` for an unknown trace.
    func setTraceTag(id: String, _ tag: KeyValue) async throws(AssayError)
    /// Deletes a trace tag; `notFound` for an unknown trace or tag.
    func deleteTraceTag(id: String, key: String) async throws(AssayError)
    /// Deletes traces of an experiment: those with the given ids, or the oldest up to `maxTraces` that
    /// started before `before` (milliseconds). Returns how many went.
    func deleteTraces(in experimentID: String, ids: [String]?, before: Int64?, maxTraces: Int?) async throws(AssayError) -> Int
    /// Links traces to a run (they then belong to it as well as to the run that made them). A trace not
    /// yet received may be linked (the client links while its spans are still being sent); at most 100 at once.
    func linkTraces(_ ids: [String], toRun runID: String) async throws(AssayError)
    /// Records assessments: new ones (an empty id gets a fresh one) and changed ones (by id). An
    /// evaluation run's score for a trace and metric replaces the run's earlier one. Returns them as stored.
    @discardableResult
    func logAssessments(_ assessments: [TraceAssessment]) async throws(AssayError) -> [TraceAssessment]
    /// Deletes an assessment; `notFound` when the trace has no such assessment.
    func deleteAssessment(trace traceID: String, id: String) async throws(AssayError)
    /// The assessments recorded for these keys, whether or not a trace of that id was received (the web
    /// UI's reviews of a table's rows are kept under keys of their own, `row:<run>:<number>`).
    func assessments(traceIDs: [String]) async throws(AssayError) -> [TraceAssessment]
    /// The assessments associated with a run, of one source type (`HUMAN`) or of any, oldest first.
    func assessments(run runID: String, sourceType: String?) async throws(AssayError) -> [TraceAssessment]
    /// One page of the traces of some experiments that pass `filter`, newest first unless `orderBy`
    /// (`timestamp_ms`, `execution_time_ms`, `name`, `status`, each ASC or DESC) says otherwise.
    func searchTraces(
        experimentIDs: [String], filter: SearchFilter, orderBy: [String], maxResults: Int, offset: Int
    ) async throws(AssayError) -> SearchPage<TraceSummary>
}

extension TraceStore {
    /// The assessments of the traces among `traceIDs` (a store that keeps assessments only with traces).
    public func assessments(traceIDs: [String]) async throws(AssayError) -> [TraceAssessment] {
        try await traces(ids: traceIDs).flatMap(\.1)
    }

    /// One assessment of a trace; `notFound` when there is none.
    public func assessment(trace traceID: String, id: String) async throws(AssayError) -> TraceAssessment {
        guard let found = try await traces(ids: [traceID]).first?.1.first(where: { $0.id == id }) else {
            throw AssayError(.notFound, "Assessment with ID '\(id)' not found for trace '\(traceID)'")
        }
        return found
    }

    /// A search in the order a store keeps its traces (newest first).
    public func searchTraces(
        experimentIDs: [String], filter: SearchFilter, maxResults: Int, offset: Int
    ) async throws(AssayError) -> SearchPage<TraceSummary> {
        try await searchTraces(experimentIDs: experimentIDs, filter: filter, orderBy: [], maxResults: maxResults, offset: offset)
    }

    /// The search of a store that keeps its traces itself: the filter is checked against every trace of
    /// the experiments in turn (and against the spans of those that pass the rest when it asks for `text`).
    public func searchTraces(
        experimentIDs: [String], filter: SearchFilter, orderBy: [String], maxResults: Int, offset: Int
    ) async throws(AssayError) -> SearchPage<TraceSummary> {
        var matching: [TraceSummary] = []
        for trace in try await allTraces(in: experimentIDs) where try await passes(trace, filter) {
            matching.append(trace)
        }
        let order = try orderBy.map { clause throws(AssayError) -> (String, Bool) in
            let parts = clause.split(separator: " ").map(String.init)
            guard let first = parts.first, parts.count <= 2 else { throw .invalidInput("Invalid order_by clause '\(clause)'") }
            let key = SearchKey.canonicalAttribute(String(first.split(separator: ".").last ?? ""), .traces)
            guard ["timestamp_ms", "execution_time_ms", "name", "status", "trace_id"].contains(key) else {
                throw .invalidInput("Invalid order_by clause '\(clause)': order by timestamp_ms, execution_time_ms, name or status")
            }
            let direction = parts.count == 2 ? parts[1].uppercased() : "ASC"
            guard direction == "ASC" || direction == "DESC" else { throw .invalidInput("Invalid order_by clause '\(clause)'") }
            return (key, direction == "ASC")
        }
        let clauses = order + [("timestamp_ms", false), ("start_time_ns", false), ("trace_id", true)]
        matching = SearchFilter.ordered(matching, by: clauses) { $0.filterValues }
        let fetched = Array(matching.dropFirst(offset).prefix(maxResults + 1))
        return SearchPage(fetched: fetched, limit: maxResults, offset: offset)
    }
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
        // MLflow's own spans: the root's inputs and outputs.
        if inputs == nil { inputs = root?.attributes["mlflow.spanInputs"].map(GenAIContent.mlflowInputs) }
        if outputs == nil { outputs = root?.attributes["mlflow.spanOutputs"].map(GenAIContent.mlflowOutputs) }
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

    /// An MLflow span's inputs as a question: the last user message of chat inputs, the one value of a
    /// one-argument call (`{"question": "…"}`), else the inputs as JSON.
    static func mlflowInputs(_ value: DataValue) -> String {
        let parsed = parsedJSON(value)
        if case .object(let members) = parsed {
            if let messages = members["messages"], let text = lastText(messages, role: "user") { return text }
            if members.count == 1, let only = members.values.first, case .string(let s) = only { return s }
        }
        return text(parsed)
    }

    /// An MLflow span's outputs as an answer: text as it is, a chat completion's first choice, else JSON.
    static func mlflowOutputs(_ value: DataValue) -> String {
        let parsed = parsedJSON(value)
        if case .object(let members) = parsed, case .list(let choices)? = members["choices"], let first = choices.first,
            let text = lastText(.list([first]), role: nil)
        {
            return text
        }
        return text(parsed)
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
    /// MLflow's trace filters compare these too: `timestamp_ms`, `execution_time_ms`, `run_id` (any of
    /// the trace's runs), `tags.KEY` and `metadata.KEY`; `status` is MLflow's state when a client gave one.
    public var filterValues: [String: DataValue] {
        var values: [String: DataValue] = [
            "trace_id": .string(traceID), "name": .string(tags["mlflow.traceName"] ?? name), "status": .string(state ?? status),
            "latency_ms": .double(latencyMilliseconds), "span_count": .int(spanCount),
            "timestamp_ms": .int(Int(timestampMilliseconds)), "execution_time_ms": .double(latencyMilliseconds),
            "run_id": .list(runIDs.map(DataValue.string)),
            // For ordering traces that began within one millisecond; no filter names it.
            "start_time_ns": .int(Int(startTimeNanos)),
        ]
        if let model { values["model"] = .string(model) }
        if let inputTokens { values["input_tokens"] = .int(inputTokens) }
        if let outputTokens { values["output_tokens"] = .int(outputTokens) }
        if let clientRequestID { values["client_request_id"] = .string(clientRequestID) }
        for (key, value) in tags { values["tags." + key] = .string(value) }
        for (key, value) in metadata { values["metadata." + key] = .string(value) }
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
