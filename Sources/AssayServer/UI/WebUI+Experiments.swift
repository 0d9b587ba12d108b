import Assay
import Foundation
import Hummingbird

extension WebUI {
    func experimentsPage(_ page: Page) async throws -> Response {
        let experiments = try await store.experiments(view: .activeOnly)
        let activity = try await store.experimentActivity()
        let rows: [[String: Any]] = experiments.map { experiment in
            let a = activity[experiment.id]
            return ["id": experiment.id, "name": experiment.name, "runs": a?.runCount ?? 0, "last": HTML.time(a?.lastStartTime)]
        }
        return render(status: .ok, title: "Experiments", template: "experiments", ["experiments": rows], session: page.session)
    }

    private func findRuns(
        _ experimentID: String, filter: String, order: String, view: LifecycleView, offset: Int
    ) async
        -> Result<SearchPage<Run>, AssayError>
    {
        do {
            let query = RunQuery(
                experimentIDs: [experimentID], filter: try SearchFilter(filter, for: .runs),
                orderBy: order.isEmpty ? [] : try SearchOrder.parse([order], for: .runs), view: view, maxResults: 100, offset: offset)
            return .success(try await store.searchRuns(query))
        } catch {
            return .failure(error)
        }
    }

    /// An experiment's runs, 100 to a page: status, duration, model and the metrics, sortable by any
    /// column, filtered with the search grammar.
    func runsPage(_ page: Page, experimentID: String) async throws -> Response {
        let experiment = try await store.experiment(id: experimentID)
        let filterText = try page.query.string("filter") ?? ""
        let orderText = try page.query.string("order") ?? ""
        let view: LifecycleView = try page.query.string("view") == "deleted" ? .deletedOnly : .activeOnly
        let offset = Int(try page.query.string("offset") ?? "") ?? 0
        var values: [String: Any] = [
            "id": experiment.id, "name": experiment.name, "filter": filterText, "order": orderText,
            "count": (try await store.experimentActivity())[experiment.id]?.runCount ?? 0,
        ]
        if view == .activeOnly { values["deleted"] = "/experiments/\(HTML.path([experiment.id]))?view=deleted" }
        var runs: [Run] = []
        var next: String?
        let found = await findRuns(experiment.id, filter: filterText, order: orderText, view: view, offset: max(0, offset))
        switch found {
        case .success(let page):
            runs = page.items
            next = page.nextPageToken
        case .failure(let error) where error.kind == .invalidInput:
            values["error"] = "The filter or ordering cannot be used: \(error.message)"
        case .failure(let error):
            throw error
        }
        // Metric columns: every key on this page; the spread statistics (variance, p90, ...) only on request.
        let allColumns = try page.query.string("columns") == "all"
        let metricKeys = Array(Set(runs.flatMap { $0.metrics.map(\.key) })).sorted().filter { key in
            allColumns
                || !["variance", "p90", "median", "min", "max", "mean_normalized", "repeat_std_mean"].contains(
                    key.split(separator: "/").last.map(String.init) ?? "")
        }
        func link(_ order: String) -> [(String, String)] {
            [
                ("filter", filterText), ("order", order), ("view", view == .deletedOnly ? "deleted" : ""),
                ("columns", allColumns ? "all" : ""),
            ]
        }
        let base = "/experiments/\(HTML.path([experiment.id]))"
        var headers: [[String: Any]] = []
        for (label, key, numeric) in [
            ("Run", "attributes.run_name", false), ("Status", "attributes.status", false), ("Duration", "", true),
            ("Model or dataset", "params.model", false), ("Started", "attributes.start_time", false),
        ]
            + metricKeys.map({ ($0, "metrics.`\($0)`", true) })
        {
            // Long metric keys break at their separators, never inside a word; the full key is the tooltip.
            var header: [String: Any] = [
                "label": label, "html": HTML.breakable(label), "numeric": numeric, "first": headers.isEmpty, "title": label,
            ]
            if !key.isEmpty {
                let current = orderText.hasPrefix(key + " ") || orderText == key
                let descending = orderText.hasSuffix(" DESC")
                header["href"] = base + HTML.query(link(current && !descending ? key + " DESC" : key + " ASC"))
                if current {
                    header["sort"] = descending ? "descending" : "ascending"
                    header["arrow"] = descending ? "▼" : "▲"
                }
            }
            headers.append(header)
        }
        values["headers"] = headers
        values["runs"] = runs.map { run -> [String: Any] in
            let metrics = Dictionary(run.metrics.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            // A live run names its model; a static evaluation, the dataset it scored.
            let model = run.params.first { $0.key == "model" }?.value ?? run.params.first { $0.key == "dataset_name" }?.value ?? ""
            return [
                "id": run.info.id, "name": run.info.name, "status": run.info.status.rawValue,
                "duration": HTML.duration(from: run.info.startTime, to: run.info.endTime), "model": model,
                "started": HTML.time(run.info.startTime), "metrics": metricKeys.map { HTML.number(metrics[$0]) },
            ]
        }
        values["charts"] = try runCharts(page, runs: runs, metricKeys: metricKeys)
        let exportQuery = HTML.query([("filter", filterText), ("order", orderText), ("view", view == .deletedOnly ? "deleted" : "")])
        values["csv"] = base + "/runs.csv" + exportQuery
        values["json"] = base + "/runs.json" + exportQuery
        values["hasFilterText"] = !filterText.isEmpty
        values["columnsLabel"] = allColumns ? "show main metrics only" : "show every metric column"
        values["columnsHref"] =
            base
            + HTML.query([
                ("filter", filterText), ("order", orderText), ("view", view == .deletedOnly ? "deleted" : ""),
                ("columns", allColumns ? "" : "all"),
            ])
        if next != nil { values["next"] = base + HTML.query(link(orderText) + [("offset", String(offset + 100))]) }
        if offset > 0 { values["previous"] = base + HTML.query(link(orderText) + [("offset", String(max(0, offset - 100)))]) }
        return render(
            status: .ok, title: experiment.name, template: "runs", values, crumbs: [(experiment.name, base)], session: page.session)
    }

    /// The charts of a runs page: a metric per run as bars, two metrics against each other, or several
    /// as parallel coordinates, over the runs listed (the filter's and the page's).
    func runCharts(_ page: Page, runs: [Run], metricKeys: [String]) throws -> [String: Any] {
        let asked = try page.query.string("chart")
        let kind = asked ?? "bars"
        let chosen = try page.query.strings("m").filter { metricKeys.contains($0) }
        // Sensible first choices: the quality metrics before spread statistics.
        let defaults = metricKeys.filter { !$0.hasSuffix("/variance") && !$0.hasSuffix("/p90") }
        let picked = chosen.isEmpty ? Array(defaults.prefix(kind == "parallel" ? 4 : kind == "scatter" ? 2 : 1)) : chosen
        // Oldest first, so the bars read as a history.
        let ordered = runs.sorted { $0.info.startTime < $1.info.startTime }
        func value(_ run: Run, _ key: String) -> Double? { run.metrics.first { $0.key == key }?.value }
        var svg = ""
        switch kind {
        case "scatter" where picked.count >= 2:
            svg = Charts.scatter(
                ordered.compactMap { run in value(run, picked[0]).flatMap { x in value(run, picked[1]).map { (run.info.name, x, $0) } } },
                xTitle: picked[0], yTitle: picked[1])
        case "parallel" where picked.count >= 2:
            svg = Charts.parallel(ordered.map { run in (run.info.name, picked.map { value(run, $0) }) }, axes: picked)
        default:
            if let key = picked.first {
                svg = Charts.bars(ordered.compactMap { run in value(run, key).map { (run.info.name, $0) } }, title: key)
            }
        }
        return [
            "svg": svg, "open": !chosen.isEmpty || asked != nil,
            "kinds": [
                ("bars", "a metric per run (bars)"), ("scatter", "two metrics (scatter)"),
                ("parallel", "several metrics (parallel coordinates)"),
            ]
            .map { ["value": $0.0, "label": $0.1, "selected": $0.0 == kind] },
            "metricOptions": metricKeys.map { ["name": $0, "checked": picked.contains($0)] },
            "hint": kind == "scatter"
                ? "Pick two metrics: the first is x, the second y." : kind == "parallel" ? "Pick two or more metrics." : "Pick a metric.",
        ]
    }

    /// `GET /experiments/{id}/runs.csv` and `.json`: every run the filter matches, in the page's order
    /// (not only the page shown), with their metrics and params as columns.
    func runsExport(_ page: Page, experimentID: String, format: String) async throws -> Response {
        let experiment = try await store.experiment(id: experimentID)
        let filter = try SearchFilter(try page.query.string("filter") ?? "", for: .runs)
        let orderText = try page.query.string("order") ?? ""
        let view: LifecycleView = try page.query.string("view") == "deleted" ? .deletedOnly : .activeOnly
        var runs: [Run] = []
        var query = RunQuery(
            experimentIDs: [experiment.id], filter: filter,
            orderBy: orderText.isEmpty ? [] : try SearchOrder.parse([orderText], for: .runs),
            view: view, maxResults: 1000)
        while true {
            let found = try await store.searchRuns(query)
            runs += found.items
            guard found.nextPageToken != nil, runs.count < 100_000 else { break }
            query.offset += found.items.count
        }
        let metricKeys = Array(Set(runs.flatMap { $0.metrics.map(\.key) })).sorted()
        let paramKeys = Array(Set(runs.flatMap { $0.params.map(\.key) })).sorted()
        let columns =
            ["run_id", "run_name", "status", "start_time", "end_time", "duration_seconds"] + metricKeys.map { "metrics.\($0)" }
            + paramKeys.map { "params.\($0)" }
        let rows: [[DataValue]] = runs.map { run in
            let metrics = Dictionary(run.metrics.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            let params = Dictionary(run.params.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            let duration: DataValue = run.info.endTime.map { .double((Double($0) - Double(run.info.startTime)) / 1000) } ?? .null
            return [
                .string(run.info.id), .string(run.info.name), .string(run.info.status.rawValue), .int(Int(run.info.startTime)),
                run.info.endTime.map { .int(Int($0)) } ?? .null, duration,
            ] + metricKeys.map { metrics[$0].map(DataValue.double) ?? .null } + paramKeys.map { params[$0].map(DataValue.string) ?? .null }
        }
        let body: String
        let type: String
        if format == "csv" {
            body = EvaluationTable.csv(columns: columns, rows: rows.map { $0.map(EvaluationTable.csvText) })
            type = "text/csv; charset=utf-8"
        } else {
            body = DataValue.object(["columns": .list(columns.map(DataValue.string)), "data": .list(rows.map(DataValue.list))]).description
            type = "application/json"
        }
        let name = experiment.name.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" }.map(
            String.init
        ).joined()
        return Response(
            status: .ok,
            headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(name.isEmpty ? "runs" : name)-runs.\(format)\""],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
