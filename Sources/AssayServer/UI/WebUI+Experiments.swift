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
}
