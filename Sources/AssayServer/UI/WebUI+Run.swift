import Assay
import Foundation
import Hummingbird
import Mustache
import NIOCore

extension WebUI {
    /// The run's artifact folder below the artifact root (`1/<run>/artifacts`), or nil for other URIs.
    func artifactBase(_ info: RunInfo) -> String? {
        guard case .proxied(_, let path) = ArtifactURI(info.artifactURI) else { return nil }
        return path
    }

    /// An error's message for a page, without internals.
    static func reason(_ error: any Error) -> String {
        switch error {
        case let error as APIError: error.message
        case let error as AssayError where error.kind != .internal: error.message
        default: "the server could not read them"
        }
    }

    /// Every file of a run's artifacts (at most `limit`), with sizes.
    func artifactFiles(_ base: String, limit: Int = 500) async throws -> [(path: String, size: Int64)] {
        var files: [(String, Int64)] = []
        var folders = [""]
        while let folder = folders.popLast(), files.count < limit {
            for entry in try await artifacts.list(folder.isEmpty ? base : base + "/" + folder) {
                let path = folder.isEmpty ? entry.name : folder + "/" + entry.name
                if entry.isDirectory { folders.append(path) } else { files.append((path, entry.size)) }
            }
        }
        return files.sorted { $0.0 < $1.0 }
    }

    static func size(_ bytes: Int64) -> String {
        bytes < 1024
            ? "\(bytes) B"
            : bytes < 1 << 20 ? String(format: "%.1f KB", Double(bytes) / 1024) : String(format: "%.1f MB", Double(bytes) / 1_048_576)
    }

    func runPage(_ page: Page, runID: String) async throws -> Response {
        let run = try await store.run(id: runID)
        let experiment = try? await store.experiment(id: run.info.experimentID)
        var charts: [[String: Any]] = []
        for point in run.metrics where point.step > 0 && charts.count < 24 {
            let history = try await store.metricHistory(run: run.info.id, key: point.key)
            let svg = Charts.line(history.map { ($0.step, $0.value) }, title: point.key)
            if !svg.isEmpty { charts.append(["key": point.key, "svg": svg]) }
        }
        let runPath = "/runs/" + HTML.path([run.info.id])
        var values: [String: Any] = [
            "id": run.info.id, "name": run.info.name, "status": run.info.status.rawValue, "deleted": run.info.lifecycleStage == .deleted,
            "experimentID": run.info.experimentID, "experimentName": experiment?.name ?? run.info.experimentID,
            "started": HTML.time(run.info.startTime), "duration": HTML.duration(from: run.info.startTime, to: run.info.endTime),
            "user": run.info.userID, "artifactURI": run.info.artifactURI,
            "lifecycleAction": run.info.lifecycleStage == .deleted ? "restore" : "delete",
            "lifecycleLabel": run.info.lifecycleStage == .deleted ? "Restore this run" : "Delete this run",
            "metrics": run.metrics.map { point -> [String: Any] in
                let direction = MetricDirection.greaterIsBetter(point.key)
                return [
                    "key": point.key, "value": HTML.number(point.value), "step": point.step,
                    "direction": direction.map { $0 ? "higher" : "lower" } ?? "",
                ]
            },
            "charts": charts,
            "params": run.params.map { ["key": $0.key, "value": $0.value] },
            "tags": run.tags.map { ["key": $0.key, "value": $0.value] },
            "datasets": run.inputs.map { ["name": $0.name, "digest": $0.digest, "source": $0.source] },
        ]
        if let tracesExperiment = run.tags.first(where: { $0.key == "assay.traces.experiment_id" })?.value {
            values["tracesHref"] = "/experiments/\(HTML.path([tracesExperiment]))/traces"
            values["tracesName"] = (try? await store.experiment(id: tracesExperiment))?.name ?? tracesExperiment
        }
        if let traced = try await runTraces(run) { values["runTraces"] = traced }
        // A run whose artifact location cannot be read (a careless client can log any) still shows the rest.
        var listing: [(path: String, size: Int64)]?
        do {
            if let base = artifactBase(run.info) { listing = try await artifactFiles(base) }
        } catch {
            listing = nil
            values["artifactsError"] = "The artifacts at \(run.info.artifactURI) cannot be listed: \(Self.reason(error))"
        }
        if let base = artifactBase(run.info), let listing {
            values["artifacts"] = listing.map { file -> [String: Any] in
                let encoded = HTML.path(file.path.split(separator: "/").map(String.init))
                return [
                    "path": file.path, "size": Self.size(file.size), "view": "\(runPath)/artifacts/\(encoded)",
                    "download": "\(runPath)/download/\(encoded)",
                ]
            }
            let tables = ComparedRun.loggedTables(run)
            if !tables.isEmpty {
                values["table"] = try await evaluationTableSection(page, run: run, base: base, tables: tables, runPath: runPath)
            }
        }
        var crumbs: [(String, String)] = []
        if let experiment { crumbs.append((experiment.name, "/experiments/" + HTML.path([experiment.id]))) }
        crumbs.append((run.info.name, runPath))
        return render(status: .ok, title: run.info.name, template: "run", values, crumbs: crumbs, session: page.session)
    }

    /// The table a run page opens on: the evaluation table when the run logged one (MLflow's
    /// `eval_results_table.json`; a judged run also logs `genai_custom_metrics.json`, the judges'
    /// definitions), else the first logged table.
    static func defaultTable(_ tables: [String]) -> String? {
        tables.first { ArtifactPath.name($0) == "eval_results_table.json" } ?? tables.first
    }

    /// The evaluation table, 50 rows a page (or a page asked for by number): text search, a score range,
    /// any column as the order, the columns chosen, score histograms of the matching rows, and the
    /// matching rows as CSV or JSON.
    func evaluationTableSection(_ page: Page, run: Run, base: String, tables: [String], runPath: String) async throws -> String {
        let chosen = try page.query.string("table").flatMap { tables.contains($0) ? $0 : nil } ?? Self.defaultTable(tables)!
        var values: [String: Any] = [
            "file": chosen,
            "tables": tables.count > 1
                ? tables.map { ["name": $0, "href": runPath + HTML.query([("table", $0)]), "current": $0 == chosen] } : [],
        ]
        let table: EvaluationTable
        do {
            table = try await tableCache.table(base + "/" + chosen, in: artifacts)
        } catch let error as AssayError {
            values["error"] = "The table cannot be shown: \(error.message)"
            return library.render(Self.flagged(values), withTemplate: "evaluationTable") ?? ""
        } catch let error as APIError {
            values["error"] = "The table cannot be shown: \(error.message)"
            return library.render(Self.flagged(values), withTemplate: "evaluationTable") ?? ""
        }
        var view = try TableView(page.query)
        view.checkBounds()
        if let sort = view.sort, !table.columns.contains(sort) {
            view.warnings.append("The table has no column '\(sort)' to order by.")
        }
        if let warning = view.warnings.first { values["warning"] = warning }
        let matches = view.rows(of: table)
        let perPage = 50
        let pages = max(1, (matches.count + perPage - 1) / perPage)
        // A page past the last shows the last, with links from there.
        let pageNumber = min(max(1, Int(try page.query.string("page") ?? "") ?? 1), pages)
        let shown = matches.dropFirst((pageNumber - 1) * perPage).prefix(perPage)
        let visible = view.columns(of: table)
        let scoreByColumn = Dictionary(
            table.scores.compactMap { score in score.column.map { ($0, score) } }, uniquingKeysWith: { a, _ in a })
        let keep = view.pairs(table: chosen)
        let reviews = try await humanReviews(run: run.info.id, file: chosen, table: table)
        values["reviewHref"] = runPath + "/review"
        values["reviewedCount"] = reviews.count
        if chosen == Self.defaultTable(tables) {
            values["agreement"] = await agreementSection(run, base: base, table: table, reviews: reviews)
        }
        values["headers"] = visible.map { column -> [String: Any] in
            let name = table.columns[column]
            let current = view.sort == name
            let order: [(String, String)] = [("sort", name), ("dir", current && !view.descending ? "desc" : "")]
            var header: [String: Any] = [
                "label": name, "html": HTML.breakable(name), "numeric": scoreByColumn[column] != nil,
                "href": runPath + HTML.query(keep.filter { $0.0 != "sort" && $0.0 != "dir" } + order) + "#table-h",
            ]
            if current {
                header["sort"] = view.descending ? "descending" : "ascending"
                header["arrow"] = view.descending ? "▼" : "▲"
            }
            return header
        }
        values["rows"] = shown.map { i -> [String: Any] in
            let problems = table.problems(i)
            let cells = visible.map { column -> [String: Any] in
                let cell = table.rows[i][column]
                if let score = scoreByColumn[column] {
                    let justification = score.justification.map { table.rows[i][$0].text } ?? ""
                    let invalid = score.values[i] == nil && !justification.isEmpty
                    let value = invalid ? "invalid" : HTML.number(score.values[i])
                    var item: [String: Any] = [
                        "kind": "score", "score": !justification.isEmpty, "value": value, "invalid": invalid,
                        "justification": justification,
                    ]
                    // A person's score of the same metric, beside the judge's.
                    if let human = reviews[i]?.last(where: { $0.name == score.name }) { item["human"] = Self.assessmentValue(human) }
                    return item
                }
                var plain: [String: Any] = ["kind": cell.doubleValue != nil ? "num" : "text", "value": Self.cellText(cell)]
                if let conversation = Self.conversation(cell) { plain["conversation"] = conversation }
                if table.columns[column] == "trace_id", case .string(let id) = cell, id.allSatisfy(\.isHexDigit) {
                    plain["href"] = "/traces/" + id + HTML.query([("run", run.info.id), ("row", String(i + 1))])
                }
                return plain
            }
            return [
                "number": i + 1, "anchor": "row-\(i + 1)", "cells": cells, "flagged": problems.error || !problems.invalid.isEmpty,
                "review": runPath + "/review" + HTML.query([("row", String(i + 1))]),
            ]
        }
        values["metricOptions"] = table.scores.map { ["name": $0.name, "selected": $0.name == view.metric] }
        values["columnOptions"] = table.columns.enumerated().map { column, name in
            ["name": name, "checked": visible.contains(column)]
        }
        // The histograms count the matching rows, on the whole column's scale, so a filter shows where
        // its rows sit.
        let filtered = matches.count != table.rows.count
        values["histograms"] = table.scores.prefix(8).map { score -> [String: Any] in
            let all = score.values.compactMap { $0 }.filter(\.isFinite)
            let range = all.min().flatMap { low in all.max().map { low...$0 } }
            let counted = filtered ? matches.compactMap { score.values[$0] } : all
            return ["svg": Charts.histogram(counted, title: filtered ? "\(score.name), matching rows" : score.name, range: range)]
        }
        values["q"] = view.text
        values["min"] = view.minimumText
        values["max"] = view.maximumText
        values["sortField"] = view.sort ?? ""
        values["dirField"] = view.descending ? "desc" : ""
        values["colsField"] = view.chosen?.joined(separator: ",") ?? ""
        values["summary"] =
            matches.count == table.rows.count
            ? "\(table.rows.count) rows" : "\(matches.count) of \(table.rows.count) rows match"
        values["page"] = "page \(pageNumber) of \(pages)"
        values["pageNumber"] = pageNumber
        values["pages"] = pages
        values["hiddenFields"] = keep.filter { !$0.1.isEmpty }.map { ["name": $0.0, "value": $0.1] }
        values["columnsHidden"] = keep.filter { !$0.1.isEmpty && $0.0 != "cols" }.map { ["name": $0.0, "value": $0.1] }
        let exportPath = runPath + "/table"
        values["csv"] = exportPath + ".csv" + HTML.query(keep)
        values["json"] = exportPath + ".json" + HTML.query(keep)
        if pageNumber < pages { values["next"] = runPath + HTML.query(keep + [("page", String(pageNumber + 1))]) + "#table-h" }
        if pageNumber > 1 { values["previous"] = runPath + HTML.query(keep + [("page", String(pageNumber - 1))]) + "#table-h" }
        return library.render(Self.flagged(values), withTemplate: "evaluationTable") ?? ""
    }

    /// `GET /runs/{run}/table.csv` and `.json`: the evaluation table's matching rows (every page), with
    /// the columns and order of the page the link came from.
    func tableExport(_ page: Page, runID: String, format: String) async throws -> Response {
        let run = try await store.run(id: runID)
        let tables = ComparedRun.loggedTables(run)
        guard let base = artifactBase(run.info), let first = Self.defaultTable(tables) else {
            throw AssayError(.notFound, "run \(runID) has no evaluation table on this server")
        }
        let chosen = try page.query.string("table").flatMap { tables.contains($0) ? $0 : nil } ?? first
        let table = try await tableCache.table(base + "/" + chosen, in: artifacts)
        let view = try TableView(page.query)
        let rows = view.rows(of: table)
        let columns = view.columns(of: table)
        let names = columns.map { table.columns[$0] }
        let stem = ArtifactPath.name(chosen).replacingOccurrences(of: ".json", with: "")
        let body: String
        let type: String
        if format == "csv" {
            body = EvaluationTable.csv(columns: names, rows: rows.map { i in columns.map { EvaluationTable.csvText(table.rows[i][$0]) } })
            type = "text/csv; charset=utf-8"
        } else {
            body =
                DataValue.object([
                    "columns": .list(names.map(DataValue.string)),
                    "data": .list(rows.map { i in .list(columns.map { table.rows[i][$0] }) }),
                ]).description
            type = "application/json"
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: type,
                .contentDisposition: "attachment; filename=\"\(run.info.name)-\(stem).\(format)\"".replacingOccurrences(of: "\n", with: ""),
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// A conversation cell as chat turns, tool calls folded; nil for any other cell.
    static func conversation(_ cell: DataValue) -> [String: Any]? {
        guard case .list(let items) = cell, let first = items.first, first.member("role") != nil,
            let conversation = try? Conversation(cell, place: "")
        else { return nil }
        let turns = conversation.messages.map { message -> [String: Any] in
            let label = message.role == "tool" ? (message.isToolError ? "tool · failed" : "tool") : message.role
            return [
                "role": message.role, "label": label, "text": message.content, "failed": message.isToolError,
                "calls": message.toolCalls.map { ["name": $0.name, "arguments": DataValue.object($0.arguments).description] },
            ]
        }
        let calls = conversation.toolCalls.count
        let summary =
            "\(turns.count) messages" + (calls > 0 ? " · \(calls) tool call\(calls == 1 ? "" : "s")" : "")
            + (conversation.toolErrorCount > 0 ? " · \(conversation.toolErrorCount) failed" : "")
        return ["summary": summary, "turns": turns]
    }

    static func cellText(_ cell: DataValue) -> String {
        switch cell {
        case .double(let d): HTML.number(d)
        case .list, .object: cell.description
        default: cell.text
        }
    }

    /// An artifact shown inline (text up to 1 MB, JSON pretty-printed) or downloaded.
    func artifactPage(_ page: Page, runID: String, path: String, download: Bool) async throws -> Response {
        let run = try await store.run(id: runID)
        guard let base = artifactBase(run.info) else { throw AssayError(.notFound, "run \(runID) keeps no artifacts on this server") }
        let name = ArtifactPath.name(path)
        let runPath = "/runs/" + HTML.path([run.info.id])
        let downloadPath = "\(runPath)/download/" + HTML.path(path.split(separator: "/").map(String.init))
        if download {
            let (length, body) = try await artifacts.download(base + "/" + path)
            var headers: HTTPFields = [
                .contentType: "application/octet-stream", .xContentTypeOptions: "nosniff",
                .contentDisposition: "attachment; filename=\"\(name.replacingOccurrences(of: "\"", with: ""))\"",
            ]
            if let length { headers[.contentLength] = String(length) }
            return Response(status: .ok, headers: headers, body: body)
        }
        // The first megabyte is shown; a file past the shown size is read no further than a few megabytes.
        let limit = 1 << 20
        // The folder's listing gives the size (split by hand: Foundation's path functions trap on some hostile paths).
        let segments = try ArtifactPath.validate(path)
        let folder = ([base] + segments.dropLast()).joined(separator: "/")
        let size = try await artifacts.list(folder).first { $0.name == segments.last && !$0.isDirectory }?.size
        guard let size else { throw APIError.notFound("No such artifact: '\(path)'") }
        let data = size <= 8 * Int64(limit) ? try await artifacts.read(base + "/" + path, maxBytes: 8 * limit) : Data()
        var text = data.isEmpty && size > 0 ? nil : String(validating: data.prefix(limit), as: UTF8.self)
        if let raw = text, data.count <= limit, name.hasSuffix(".json"), let value = try? DataValue(json: raw) {
            text = Self.pretty(value, indent: "")
        }
        var values: [String: Any] = [
            "path": path, "runID": run.info.id, "download": downloadPath, "size": Self.size(size),
            "truncated": text != nil && size > Int64(limit), "shown": Self.size(Int64(limit)),
        ]
        if let text { values["text"] = text }
        return render(
            status: .ok, title: name, template: "artifact", values, crumbs: [(run.info.name, runPath), (path, "")], session: page.session)
    }

    /// JSON indented two spaces a level, objects' keys sorted.
    static func pretty(_ value: DataValue, indent: String) -> String {
        let inner = indent + "  "
        switch value {
        case .list(let items) where !items.isEmpty:
            return "[\n" + items.map { inner + pretty($0, indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let fields) where !fields.isEmpty:
            return "{\n"
                + fields.keys.sorted().map { inner + DataValue.string($0).description + ": " + pretty(fields[$0]!, indent: inner) }
                .joined(separator: ",\n") + "\n\(indent)}"
        default:
            return value.description
        }
    }

    /// The traces a run made or was linked to (what `mlflow.genai.evaluate` records: one trace per row,
    /// scored by assessments), up to 200, with one column per assessment; nil when it has none.
    func runTraces(_ run: Run) async throws -> [String: Any]? {
        guard let traceStore else { return nil }
        let filter = try SearchFilter("attributes.run_id = \(SearchFilter.quote(run.info.id))", for: .traces)
        let page = try await traceStore.searchTraces(experimentIDs: [run.info.experimentID], filter: filter, maxResults: 200, offset: 0)
        guard !page.items.isEmpty else { return nil }
        let found = try await traceStore.traces(ids: page.items.map { $0.traceID })
        var names: [String] = []
        for (_, assessments) in found {
            for a in assessments where a.valid && !names.contains(a.name) { names.append(a.name) }
        }
        let rows = found.map { (summary: TraceSummary, assessments: [TraceAssessment]) -> [String: Any] in
            var latest: [String: TraceAssessment] = [:]
            for a in assessments where a.valid { latest[a.name] = a }
            return [
                "id": summary.traceID, "name": Self.displayName(summary), "status": Self.status(summary),
                "input": String((summary.inputs ?? summary.requestPreview ?? "").prefix(300)),
                "output": String((summary.outputs ?? summary.responsePreview ?? "").prefix(300)),
                "scores": names.map { name -> [String: Any] in
                    guard let a = latest[name] else { return ["value": ""] }
                    var cell: [String: Any] = ["value": Self.assessmentValue(a), "why": a.rationale ?? ""]
                    if case .int = a.data { cell["numeric"] = true }
                    if case .double = a.data { cell["numeric"] = true }
                    return cell
                },
            ]
        }
        return ["names": names, "rows": rows, "count": page.items.count, "more": page.nextPageToken != nil]
    }
}
