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
                    "id": t.traceID, "name": t.name.isEmpty ? t.traceID : t.name, "model": t.model ?? "", "status": t.status,
                    "latency": Self.latency(from: t.startTimeNanos, to: t.endTimeNanos), "tokens": Self.tokens(t),
                    "started": HTML.time(t.startTimeNanos / 1_000_000), "input": String((t.inputs ?? "").prefix(160)),
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
        let (summary, spans, assessments) = try await traceStore.trace(id: traceID)
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
        for id in Set(assessments.map(\.runID)) { runNames[id] = (try? await store.run(id: id))?.info.name ?? String(id.prefix(8)) }
        var values: [String: Any] = [
            "id": summary.traceID, "name": summary.name, "status": summary.status, "started": HTML.time(summary.startTimeNanos / 1_000_000),
            "latency": Self.latency(from: summary.startTimeNanos, to: summary.endTimeNanos), "model": summary.model ?? "",
            "tokens": Self.tokens(summary), "input": summary.inputs ?? "", "output": summary.outputs ?? "", "context": summary.context,
            "assessments": assessments.map { a -> [String: Any] in
                [
                    "name": a.name, "value": a.value.map { HTML.number($0) } ?? "invalid", "rationale": a.rationale ?? "", "runID": a.runID,
                    "runName": runNames[a.runID] ?? a.runID,
                ]
            },
            "spans": ordered.map { span, depth -> [String: Any] in
                let detail = DataValue.object([
                    "attributes": .object(span.attributes),
                    "events": .list(span.events.map { .object(["name": .string($0.name), "attributes": .object($0.attributes)]) }),
                    "status": .string(span.statusMessage.isEmpty ? span.statusCode : "\(span.statusCode): \(span.statusMessage)"),
                ])
                return [
                    "name": span.name, "kind": span.kind, "depth": depth, "error": span.statusCode == "ERROR",
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
        crumbs.append((summary.name.isEmpty ? traceID : summary.name, ""))
        return render(status: .ok, title: "Trace \(summary.name)", template: "trace", values, crumbs: crumbs, session: page.session)
    }
}
