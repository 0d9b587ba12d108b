public import Assay
import Foundation

/// Spans as OpenTelemetry's JSON, both ways: as MLflow 3's client reads them from `traces/get` and
/// `traces/batchGet` (ids in base64, enums by name, typed `AnyValue` attributes, so that what an exporter
/// sent comes back with the same types), and as an OTLP/HTTP JSON export (hex ids) for `/v1/traces`.
public enum OTelJSON {
    /// How span ids are written: base64 (protobuf JSON's bytes, MLflow's answers) or hexadecimal (OTLP/HTTP JSON).
    public enum IDs: Sendable {
        case base64, hex
    }

    public static func span(_ span: SpanRecord, ids: IDs = .base64) -> DataValue {
        func id(_ hex: String) -> DataValue { .string(ids == .hex ? hex : base64(hex: hex)) }
        var fields: [String: DataValue] = [
            "trace_id": id(span.traceID), "span_id": id(span.spanID), "name": .string(span.name),
            "kind": .string("SPAN_KIND_" + span.kind), "start_time_unix_nano": .string(String(span.startTimeNanos)),
            "end_time_unix_nano": .string(String(span.endTimeNanos)), "attributes": attributes(span.attributes),
            "events": .list(
                span.events.map {
                    .object([
                        "name": .string($0.name), "time_unix_nano": .string(String($0.timeNanos)), "attributes": attributes($0.attributes),
                    ])
                }),
            "status": .object(["code": .string("STATUS_CODE_" + span.statusCode), "message": .string(span.statusMessage)]),
        ]
        if let parent = span.parentSpanID { fields["parent_span_id"] = id(parent) }
        // Not a field of OpenTelemetry's span (an export groups spans by resource); clients that do not
        // know it ignore it, Assay's REST store keeps it.
        if ids == .base64, !span.resource.isEmpty { fields["resource"] = attributes(span.resource) }
        return .object(fields)
    }

    /// A trace's `traces.json` file as MLflow writes it (`{"spans": [...]}`, each span as MLflow's
    /// `Span.to_dict`: ids in base64, times as numbers, attributes as JSON texts), the file MLflow's UI
    /// downloads from `get-trace-artifact`.
    public static func tracesFile(_ spans: [SpanRecord]) -> DataValue {
        .object(["spans": .list(spans.map(mlflowSpan))])
    }

    static func mlflowSpan(_ span: SpanRecord) -> DataValue {
        .object([
            "trace_id": .string(base64(hex: span.traceID)), "span_id": .string(base64(hex: span.spanID)),
            "parent_span_id": span.parentSpanID.map { .string(base64(hex: $0)) } ?? .null, "name": .string(span.name),
            "start_time_unix_nano": .int(Int(span.startTimeNanos)), "end_time_unix_nano": .int(Int(span.endTimeNanos)),
            "events": .list(
                span.events.map {
                    .object(["name": .string($0.name), "time_unix_nano": .int(Int($0.timeNanos)), "attributes": .object($0.attributes)])
                }),
            "status": .object(["code": .string("STATUS_CODE_" + span.statusCode), "message": .string(span.statusMessage)]),
            "attributes": .object(span.attributes.mapValues { .string($0.pythonJSON) }),
            "links": .list([]),
        ])
    }

    /// The spans of a trace's `traces.json` file (`{"spans": [...]}`), as MLflow clients upload it when
    /// they do not send spans by OTLP; nil when the text is not such a file.
    public static func tracesFile(_ text: String) -> [SpanRecord]? {
        guard case .object(let root)? = try? DataValue(json: text), case .list(let spans)? = root["spans"] else { return nil }
        return spans.compactMap(record)
    }

    /// An OTLP/HTTP JSON export of `spans`, one resource per distinct resource.
    public static func export(_ spans: [SpanRecord]) -> DataValue {
        var groups: [(DataValue, [SpanRecord])] = []
        for span in spans {
            let resource = DataValue.object(span.resource)
            if let i = groups.firstIndex(where: { $0.0 == resource }) {
                groups[i].1.append(span)
            } else {
                groups.append((resource, [span]))
            }
        }
        return .object([
            "resource_spans": .list(
                groups.map { resource, spans in
                    .object([
                        "resource": .object(["attributes": attributes(resource.objectValue ?? [:])]),
                        "scope_spans": .list([.object(["spans": .list(spans.map { span($0, ids: .hex) })])]),
                    ])
                })
        ])
    }

    static func attributes(_ attributes: [String: DataValue]) -> DataValue {
        .list(attributes.sorted { $0.key < $1.key }.map { .object(["key": .string($0.key), "value": value($0.value)]) })
    }

    /// An `AnyValue`: the JSON type picks the field.
    static func value(_ value: DataValue) -> DataValue {
        switch value {
        case .null: .object([:])
        case .bool(let b): .object(["bool_value": .bool(b)])
        case .int(let i): .object(["int_value": .string(String(i))])
        case .double(let d):
            .object(["double_value": d.isFinite ? .double(d) : .string(d.isNaN ? "NaN" : d > 0 ? "Infinity" : "-Infinity")])
        case .string(let s): .object(["string_value": .string(s)])
        case .list(let items): .object(["array_value": .object(["values": .list(items.map(Self.value))])])
        case .object(let members): .object(["kvlist_value": .object(["values": attributes(members)])])
        }
    }

    /// A span from the JSON a server answered with (ids in base64 or hexadecimal, names in snake_case
    /// or lowerCamelCase); nil when it has no trace or span id.
    public static func record(_ json: DataValue) -> SpanRecord? {
        guard case .object(let s) = json else { return nil }
        func field(_ snake: String, _ camel: String) -> DataValue? { s[snake] ?? s[camel] }
        guard let trace = field("trace_id", "traceId").flatMap({ id($0.stringValue) }),
            let spanID = field("span_id", "spanId").flatMap({ id($0.stringValue) })
        else { return nil }
        let status = field("status", "status")?.objectValue ?? [:]
        let events = (field("events", "events")?.listValue ?? []).compactMap { item -> SpanEvent? in
            guard case .object(let e) = item else { return nil }
            return SpanEvent(
                name: e["name"]?.stringValue ?? "", timeNanos: nanos(e["time_unix_nano"] ?? e["timeUnixNano"]),
                attributes: attributes(from: e["attributes"]))
        }
        return SpanRecord(
            traceID: trace, spanID: spanID, parentSpanID: field("parent_span_id", "parentSpanId").flatMap { id($0.stringValue) },
            name: s["name"]?.stringValue ?? "", kind: name(field("kind", "kind"), prefix: "SPAN_KIND_", default: "INTERNAL"),
            startTimeNanos: nanos(field("start_time_unix_nano", "startTimeUnixNano")),
            endTimeNanos: nanos(field("end_time_unix_nano", "endTimeUnixNano")),
            statusCode: name(status["code"], prefix: "STATUS_CODE_", default: "UNSET"), statusMessage: status["message"]?.stringValue ?? "",
            attributes: attributes(from: field("attributes", "attributes")), events: events, resource: attributes(from: s["resource"]))
    }

    /// Attributes as OpenTelemetry's list of `{key, value: AnyValue}`, or as the map of JSON texts that
    /// MLflow writes to a trace's `traces.json` file.
    static func attributes(from value: DataValue?) -> [String: DataValue] {
        if case .object(let map)? = value {
            return map.mapValues { item in
                guard case .string(let text) = item, let parsed = try? DataValue(json: text) else { return item }
                return parsed
            }
        }
        var result: [String: DataValue] = [:]
        for item in value?.listValue ?? [] {
            guard case .object(let pair) = item, let key = pair["key"]?.stringValue else { continue }
            result[key] = anyValue(pair["value"] ?? .null)
        }
        return result
    }

    static func anyValue(_ value: DataValue) -> DataValue {
        guard case .object(let v) = value else { return value }
        if let s = v["string_value"] ?? v["stringValue"] { return s }
        if let b = v["bool_value"] ?? v["boolValue"] { return b }
        if let i = v["int_value"] ?? v["intValue"] {
            if case .string(let s) = i, let n = Int(s) { return .int(n) }
            return i
        }
        if let d = v["double_value"] ?? v["doubleValue"] {
            if case .string(let s) = d {
                return .double(s == "NaN" ? .nan : s == "Infinity" ? .infinity : s == "-Infinity" ? -.infinity : 0)
            }
            return d
        }
        if let a = (v["array_value"] ?? v["arrayValue"])?.objectValue { return .list((a["values"]?.listValue ?? []).map(anyValue)) }
        if let kv = (v["kvlist_value"] ?? v["kvlistValue"])?.objectValue { return .object(attributes(from: kv["values"])) }
        if let bytes = v["bytes_value"] ?? v["bytesValue"] { return bytes }
        return .null
    }

    static func nanos(_ value: DataValue?) -> Int64 {
        switch value {
        case .int(let i)?: Int64(i)
        case .string(let s)?: Int64(s) ?? 0
        case .double(let d)? where d.isFinite && abs(d) < 9.2e18: Int64(d)
        default: 0
        }
    }

    static func name(_ value: DataValue?, prefix: String, default fallback: String) -> String {
        guard let text = value?.stringValue, !text.isEmpty else { return fallback }
        return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
    }

    /// An id as stored (lowercase hex) from base64 or hex text.
    static func id(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        if (text.count == 16 || text.count == 32), text.allSatisfy(\.isHexDigit) { return text.lowercased() }
        guard let bytes = Data(base64Encoded: text), !bytes.isEmpty else { return text }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Hexadecimal ids (as stored) in base64 (as protobuf JSON writes bytes); text that is not
    /// hexadecimal is sent as its UTF-8 bytes.
    static func base64(hex: String) -> String {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0, hex.allSatisfy(\.isHexDigit) else { return Data(hex.utf8).base64EncodedString() }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for i in stride(from: 0, to: digits.count, by: 2) {
            bytes.append(UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16) ?? 0)
        }
        return Data(bytes).base64EncodedString()
    }
}

extension MLflow {
    /// The store's key for a trace the client names `tr-<32 hex>` (the OpenTelemetry trace id alone).
    public static func storedTraceID(_ wire: String) -> String {
        let rest = wire.dropFirst(3)
        return wire.hasPrefix("tr-") && rest.count == 32 && rest.allSatisfy(\.isHexDigit) ? String(rest).lowercased() : wire
    }

    /// How the client names a stored trace.
    public static func wireTraceID(_ stored: String) -> String {
        stored.count == 32 && stored.allSatisfy(\.isHexDigit) ? "tr-" + stored : stored
    }

    /// The tags a server answers with about where a trace's spans and files are; not the trace's own.
    public static let serverTraceTags: Set<String> = ["mlflow.trace.spansLocation", "mlflow.artifactLocation"]
}

extension MLflow.TraceInfo {
    /// A stored trace's info as the client reads it: the server's own tags say where the trace's files
    /// go and, once its spans are here, that they are kept in the tracking store. Until then a client
    /// uploads them as `traces.json` (which the server reads in too): a client that does not send spans
    /// by OTLP, or whose spans are still on their way, loses none.
    public init(_ t: TraceSummary, assessments: [TraceAssessment], artifactLocation: String) {
        let id = MLflow.wireTraceID(t.traceID)
        var tags = t.tags
        if t.spanCount > 0 { tags["mlflow.trace.spansLocation"] = "TRACKING_STORE" }
        tags["mlflow.artifactLocation"] = "\(artifactLocation)/traces/\(id)/artifacts"
        if tags["mlflow.traceName"] == nil, !t.name.isEmpty { tags["mlflow.traceName"] = t.name }
        self.init(
            traceID: id, clientRequestID: t.clientRequestID, traceLocation: MLflow.TraceLocation(experimentID: t.experimentID),
            requestPreview: t.requestPreview ?? t.inputs.map { String($0.prefix(1000)) },
            responsePreview: t.responsePreview ?? t.outputs.map { String($0.prefix(1000)) },
            requestTime: MLflow.Timestamp(milliseconds: t.timestampMilliseconds),
            executionDuration: MLflow.Duration(milliseconds: Int64(t.latencyMilliseconds.rounded())), state: t.mlflowState,
            traceMetadata: t.metadata, assessments: assessments.map { MLflow.Assessment($0, traceID: id) }, tags: tags)
    }
}

extension TraceSummary {
    /// What a client says about a trace (start-trace), or what a server answered about one: its spans'
    /// summary when there are spans, with the info's state, times, previews, metadata and tags over it.
    public init(_ info: MLflow.TraceInfo, spans: [SpanRecord]) throws(WireError) {
        guard let wireID = info.traceID, !wireID.isEmpty else { throw WireError.missing("trace_info.trace_id") }
        guard let experiment = info.traceLocation?.mlflowExperiment?.experimentID, !experiment.isEmpty else {
            throw WireError.missing("trace_info.trace_location.mlflow_experiment.experiment_id")
        }
        if let state = info.state, !["OK", "ERROR", "IN_PROGRESS", "STATE_UNSPECIFIED"].contains(state) {
            throw WireError(message: "Invalid value '\(state)' for parameter 'state': use OK, ERROR or IN_PROGRESS.")
        }
        let id = MLflow.storedTraceID(wireID)
        if spans.isEmpty {
            self.init(
                traceID: id, experimentID: experiment, name: info.tags?["mlflow.traceName"] ?? "", startTimeNanos: 0, endTimeNanos: 0,
                status: "UNSET", spanCount: 0, model: nil, inputTokens: nil, outputTokens: nil, inputs: nil, outputs: nil, context: [])
        } else {
            self = TraceSummary.make(traceID: id, experimentID: experiment, spans: spans)
        }
        state = info.state
        requestTime = info.requestTime?.milliseconds
        executionDuration = info.executionDuration?.milliseconds
        requestPreview = info.requestPreview
        responsePreview = info.responsePreview
        clientRequestID = info.clientRequestID
        metadata = info.traceMetadata ?? [:]
        tags = (info.tags ?? [:]).filter { !MLflow.serverTraceTags.contains($0.key) }
    }
}

extension TraceAssessment {
    /// An assessment from the client's message, over `existing` when it changes one (fields it leaves
    /// out keep their values). Needs a name, and a feedback or an expectation unless it changes one;
    /// the source type is HUMAN, LLM_JUDGE or CODE.
    public init(_ a: MLflow.Assessment, traceID: String, over existing: TraceAssessment? = nil) throws(WireError) {
        guard let name = a.assessmentName ?? existing?.name, !name.isEmpty else { throw WireError.missing("assessment.assessment_name") }
        let kind: Kind
        let data: DataValue
        var error = existing?.error
        if let feedback = a.feedback {
            kind = .feedback
            data = feedback.value ?? .null
            error = feedback.error.map { $0.errorMessage ?? $0.errorCode ?? "error" }
        } else if let expectation = a.expectation {
            kind = .expectation
            if let serialized = expectation.serializedValue?.value {
                data = (try? DataValue(json: serialized)) ?? .string(serialized)
            } else {
                data = expectation.value ?? .null
            }
        } else if let existing {
            kind = existing.kind
            data = existing.data
        } else {
            throw WireError(message: "An assessment needs a `feedback` or an `expectation`.")
        }
        let type = a.source?.sourceType ?? existing?.source.type ?? "SOURCE_TYPE_UNSPECIFIED"
        guard Source.types.contains(type) else {
            throw WireError(message: "Invalid value '\(type)' for parameter 'assessment.source.source_type': use HUMAN, LLM_JUDGE or CODE.")
        }
        let metadata = a.metadata ?? existing?.metadata ?? [:]
        let now = MetricPoint.now()
        self.init(
            id: existing?.id ?? a.assessmentID ?? "", traceID: traceID, name: name, kind: kind, data: data,
            rationale: a.rationale ?? existing?.rationale, source: Source(type: type, id: a.source?.sourceID ?? existing?.source.id ?? ""),
            runID: metadata["mlflow.assessment.sourceRunId"] ?? existing?.runID ?? "", spanID: a.spanID ?? existing?.spanID,
            metadata: metadata, error: error, valid: a.valid ?? existing?.valid ?? true, overrides: a.overrides ?? existing?.overrides,
            createTime: existing?.createTime ?? a.createTime?.milliseconds ?? now,
            lastUpdateTime: existing == nil ? (a.lastUpdateTime?.milliseconds ?? now) : now)
    }
}
