import Assay
import Foundation
import Hummingbird

extension WebUI {
    var traceStore: (any TraceStore)? { store as? any TraceStore }

    static func tokens(_ t: TraceSummary) -> String {
        guard t.inputTokens != nil || t.outputTokens != nil else { return "" }
        return "\(t.inputTokens.map(String.init) ?? "–") / \(t.outputTokens.map(String.init) ?? "–")"
    }

    /// The time from `start` to `end` (nanoseconds) as "12.3 ms", "4.56 s" or longer units, computed in floating
    /// point so that no pair of stored times traps; empty when the end is before the start.
    static func latency(from start: Int64, to end: Int64) -> String {
        let ms = (Double(end) - Double(start)) / 1_000_000
        if ms < 0 { return "" }
        if ms < 1000 { return String(format: "%.1f ms", ms) }
        return ms < 60_000 ? String(format: "%.2f s", ms / 1000) : HTML.duration(seconds: ms / 1000)
    }

    /// A trace's name: the one its client gave, else its root span's, else its id.
    static func displayName(_ t: TraceSummary) -> String {
        let name = t.tags["mlflow.traceName"] ?? t.name
        return name.isEmpty ? t.traceID : name
    }

    /// OK, ERROR or IN_PROGRESS, as the client said or the spans show.
    static func status(_ t: TraceSummary) -> String {
        t.spanCount == 0 || t.state != nil ? t.mlflowState : t.status
    }

    static func latency(_ t: TraceSummary) -> String {
        t.spanCount == 0
            ? (t.executionDuration.map { latency(from: 0, to: $0.saturatingMultiplied(by: 1_000_000)) } ?? "")
            : latency(from: t.startTimeNanos, to: t.endTimeNanos)
    }

    /// An assessment's value for a page: numbers as numbers, anything else as its JSON.
    static func assessmentValue(_ a: TraceAssessment) -> String {
        switch a.data {
        case .int, .double: a.value.map { HTML.number($0) } ?? ""
        case .string(let s): s
        case .null: a.error.map { "invalid: \($0)" } ?? "invalid"
        default: a.data.description
        }
    }

    /// An experiment's traces, 100 to a page, newest first.
    func tracesPage(_ page: Page, experimentID: String) async throws -> Response {
        let experiment = try await store.experiment(id: experimentID)
        let offset = max(0, Int(try page.query.string("offset") ?? "") ?? 0)
        let traces = try await traceStore?.traces(in: experiment.id, since: nil, limit: 101, offset: offset) ?? []
        let base = "/experiments/\(HTML.path([experiment.id]))/traces"
        var values: [String: Any] = [
            "id": experiment.id, "name": experiment.name,
            "traces": traces.prefix(100).map { t -> [String: Any] in
                [
                    "id": t.traceID, "name": Self.displayName(t), "model": t.model ?? "", "status": Self.status(t),
                    "latency": Self.latency(t), "tokens": Self.tokens(t), "started": HTML.time(t.timestampMilliseconds),
                    "input": String((t.inputs ?? t.requestPreview ?? "").prefix(160)),
                ]
            },
        ]
        if traces.count > 100 { values["next"] = base + HTML.query([("offset", String(offset + 100))]) }
        if offset > 0 { values["previous"] = base + HTML.query([("offset", String(max(0, offset - 100)))]) }
        return render(
            status: .ok, title: "Traces of \(experiment.name)", template: "traces", values,
            crumbs: [(experiment.name, "/experiments/" + HTML.path([experiment.id])), ("Traces", "")], session: page.session)
    }

    /// A trace: its question and answer, scores, and the span tree on a timeline.
    func tracePage(_ page: Page, traceID: String) async throws -> Response {
        guard let traceStore else { throw AssayError(.notFound, "This server's store keeps no traces.") }
        // The mlflow client's ids (`tr-…`) name the same traces.
        let (summary, spans, assessments) = try await traceStore.trace(id: MLflowAPI.storedTraceID(traceID))
        let experiment = try? await store.experiment(id: summary.experimentID)
        // Depth-first from the roots, children by start time.
        let ids = Set(spans.map(\.spanID))
        var children: [String: [SpanRecord]] = [:]
        var roots: [SpanRecord] = []
        for span in spans {
            if let parent = span.parentSpanID, ids.contains(parent) {
                children[parent, default: []].append(span)
            } else {
                roots.append(span)
            }
        }
        var ordered: [(SpanRecord, Int)] = []
        func visit(_ span: SpanRecord, _ depth: Int) {
            ordered.append((span, depth))
            for child in children[span.spanID] ?? [] { visit(child, depth + 1) }
        }
        for root in roots { visit(root, 0) }
        let total = max(1, Double(summary.endTimeNanos) - Double(summary.startTimeNanos))
        var runNames: [String: String] = [:]
        for id in Set(assessments.map(\.runID) + summary.runIDs) where !id.isEmpty {
            runNames[id] = (try? await store.run(id: id))?.info.name ?? String(id.prefix(8))
        }
        let name = Self.displayName(summary)
        var values: [String: Any] = [
            "id": summary.traceID, "name": name, "status": Self.status(summary), "started": HTML.time(summary.timestampMilliseconds),
            "latency": Self.latency(summary), "model": summary.model ?? "", "tokens": Self.tokens(summary),
            "input": summary.inputs ?? summary.requestPreview ?? "", "output": summary.outputs ?? summary.responsePreview ?? "",
            "context": summary.context,
            "assessments": assessments.map { a -> [String: Any] in
                var row: [String: Any] = [
                    "name": a.name, "value": Self.assessmentValue(a), "rationale": a.rationale ?? "",
                    "source": a.source.id.isEmpty ? a.source.type : "\(a.source.type) · \(a.source.id)",
                    "stale": !a.valid,
                ]
                // Mustache shows a section for any string, even an empty one: only an expectation gets the key.
                if a.kind == .expectation { row["kind"] = "expected" }
                if !a.runID.isEmpty {
                    row["runID"] = a.runID
                    row["runName"] = runNames[a.runID] ?? a.runID
                }
                return row
            },
            "runs": summary.runIDs.map { ["id": $0, "name": runNames[$0] ?? $0] },
            "tags": summary.tags.filter { !$0.key.hasPrefix("mlflow.") }.sorted { $0.key < $1.key }.map {
                ["key": $0.key, "value": $0.value]
            },
            "spans": ordered.map { span, depth -> [String: Any] in
                let detail = DataValue.object([
                    "attributes": .object(span.attributes),
                    "events": .list(span.events.map { .object(["name": .string($0.name), "attributes": .object($0.attributes)]) }),
                    "status": .string(span.statusMessage.isEmpty ? span.statusCode : "\(span.statusCode): \(span.statusMessage)"),
                ])
                return [
                    // MLflow's span type (CHAIN, RETRIEVER, LLM), sometimes JSON-quoted, says more than the OpenTelemetry kind.
                    "name": span.name,
                    "kind": span.attributes["mlflow.spanType"]?.stringValue.map {
                        $0.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                    }
                        ?? span.kind,
                    "depth": depth, "error": span.statusCode == "ERROR",
                    "duration": Self.latency(from: span.startTimeNanos, to: span.endTimeNanos),
                    "offset": String(
                        format: "%.2f", min(100, max(0, (Double(span.startTimeNanos) - Double(summary.startTimeNanos)) / total * 100))),
                    "width": String(
                        format: "%.2f", min(100, max(0.3, (Double(span.endTimeNanos) - Double(span.startTimeNanos)) / total * 100))),
                    "detail": Self.pretty(detail, indent: ""),
                ]
            },
        ]
        // Mustache shows a section for any string, empty or not: only a real value gets the key.
        if let instructions = summary.instructions, !instructions.isEmpty { values["instructions"] = instructions }
        var crumbs: [(String, String)] = []
        if let experiment {
            crumbs.append((experiment.name, "/experiments/" + HTML.path([experiment.id])))
            crumbs.append(("Traces", "/experiments/\(HTML.path([experiment.id]))/traces"))
        }
        crumbs.append((name, ""))
        return render(status: .ok, title: "Trace \(name)", template: "trace", values, crumbs: crumbs, session: page.session)
    }
}
