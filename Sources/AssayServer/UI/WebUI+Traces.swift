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
        case .bool(let b) where a.source.type == humanSource: b ? "thumbs up" : "thumbs down"
        case .bool(let b): b ? "yes" : "no"
        case .null: a.error.map { "invalid: \($0)" } ?? "invalid"
        default: a.data.description
        }
    }

    /// An experiment's traces, 100 to a page: filtered with MLflow's trace filter grammar
    /// (`status = 'ERROR'`, `tags.env = 'prod'`, `execution_time_ms > 500`), searched in their spans'
    /// text, ordered by start, latency, name or status, with one assessment's values as a column.
    func tracesPage(_ page: Page, experimentID: String) async throws -> Response {
        let experiment = try await store.experiment(id: experimentID)
        let offset = max(0, Int(try page.query.string("offset") ?? "") ?? 0)
        let filterText = try page.query.string("filter") ?? ""
        let q = (try page.query.string("q") ?? "").trimmingCharacters(in: .whitespaces)
        let orders = [
            "": "timestamp_ms DESC", "oldest": "timestamp_ms ASC", "slowest": "execution_time_ms DESC", "name": "name ASC",
            "status": "status ASC",
        ]
        let orderName = try page.query.string("order").flatMap { orders[$0] != nil ? $0 : nil } ?? ""
        let scoreName = try page.query.string("score") ?? ""
        let base = "/experiments/\(HTML.path([experiment.id]))/traces"
        var values: [String: Any] = [
            "id": experiment.id, "name": experiment.name, "filter": filterText, "q": q, "score": scoreName,
            "orderOptions": [
                ("", "newest first"), ("oldest", "oldest first"), ("slowest", "slowest first"), ("name", "by name"),
                ("status", "by status"),
            ]
            .map { ["value": $0.0, "label": $0.1, "selected": $0.0 == orderName] },
        ]
        var traces: [TraceSummary] = []
        var more = false
        if let traceStore {
            switch await Self.findTraces(traceStore, experiment.id, filterText, q, orders[orderName]!, offset) {
            case .success(let found):
                traces = found.items
                more = found.nextPageToken != nil
            case .failure(let error) where error.kind == .invalidInput:
                values["error"] = "The filter cannot be used: \(error.message)"
            case .failure(let error):
                throw error
            }
        }
        // The assessments of the page's traces: their names for the score column, and the chosen one's values.
        let assessed = try await traceStore?.traces(ids: traces.map(\.traceID)) ?? []
        let byTrace = Dictionary(assessed.map { ($0.0.traceID, $0.1) }, uniquingKeysWith: { a, _ in a })
        let names = Array(Set(assessed.flatMap { $0.1.filter(\.valid).map(\.name) })).sorted()
        values["scoreOptions"] = names.map { ["value": $0, "selected": $0 == scoreName] }
        if !scoreName.isEmpty { values["scoreHeader"] = scoreName }
        values["traces"] = traces.map { t -> [String: Any] in
            var row: [String: Any] = [
                "id": t.traceID, "name": Self.displayName(t), "model": t.model ?? "", "status": Self.status(t),
                "latency": Self.latency(t), "tokens": Self.tokens(t), "started": HTML.time(t.timestampMilliseconds),
                "input": String((t.inputs ?? t.requestPreview ?? "").prefix(160)),
            ]
            if !scoreName.isEmpty {
                let score = byTrace[t.traceID]?.last { $0.name == scoreName && $0.valid }
                row["scoreCell"] = ["value": score.map(Self.assessmentValue) ?? "", "why": score?.rationale ?? ""]
            }
            return row
        }
        let keep: [(String, String)] = [("filter", filterText), ("q", q), ("order", orderName), ("score", scoreName)]
        if more { values["next"] = base + HTML.query(keep + [("offset", String(offset + 100))]) }
        if offset > 0 { values["previous"] = base + HTML.query(keep + [("offset", String(max(0, offset - 100)))]) }
        values["filtered"] = !filterText.isEmpty || !q.isEmpty
        return render(
            status: .ok, title: "Traces of \(experiment.name)", template: "traces", values,
            crumbs: [(experiment.name, "/experiments/" + HTML.path([experiment.id])), ("Traces", "")], session: page.session)
    }

    /// One page of traces matching a filter and a text search (in the spans' text, as `trace.text LIKE` looks).
    static func findTraces(
        _ traces: any TraceStore, _ experiment: String, _ filterText: String, _ q: String, _ order: String, _ offset: Int
    ) async -> Result<SearchPage<TraceSummary>, AssayError> {
        do {
            var filter = try SearchFilter(filterText, for: .traces)
            if !q.isEmpty {
                let pattern = "%" + q.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "") + "%"
                filter.conditions += try SearchFilter("trace.text ILIKE \(SearchFilter.quote(pattern))", for: .traces).conditions
            }
            return .success(
                try await traces.searchTraces(
                    experimentIDs: [experiment], filter: filter, orderBy: [order], maxResults: 100, offset: offset))
        } catch {
            return .failure(error)
        }
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
        // Opened from a row of a run's evaluation table: a way back to that row.
        if let runID = try page.query.string("run"), let row = Int(try page.query.string("row") ?? ""), row > 0,
            let run = try? await store.run(id: runID)
        {
            values["backToRow"] = [
                "href": "/runs/\(HTML.path([run.info.id]))" + HTML.query([("page", String((row - 1) / 50 + 1))]) + "#row-\(row)",
                "label": "row \(row) of \(run.info.name)",
            ]
        }
        var crumbs: [(String, String)] = []
        if let experiment {
            crumbs.append((experiment.name, "/experiments/" + HTML.path([experiment.id])))
            crumbs.append(("Traces", "/experiments/\(HTML.path([experiment.id]))/traces"))
        }
        crumbs.append((name, ""))
        return render(status: .ok, title: "Trace \(name)", template: "trace", values, crumbs: crumbs, session: page.session)
    }
}
