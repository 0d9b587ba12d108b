import Assay
import Foundation
import Hummingbird

extension WebUI {
    /// Two to five runs side by side: every metric with its change from the first run (the baseline)
    /// judged by the metric's direction, then the evaluation rows aligned by input, each run's output
    /// as a word diff against the baseline's, biggest regression first.
    func comparePage(_ page: Page) async throws -> Response {
        let ids = try page.query.strings("runs").reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        guard (2...5).contains(ids.count) else {
            throw AssayError.invalidInput("Choose 2 to 5 runs to compare (this link names \(ids.count)).")
        }
        var runs: [Run] = []
        for id in ids { runs.append(try await store.run(id: id)) }
        let baseline = runs[0]
        var values: [String: Any] = [
            "count": runs.count,
            "runs": runs.enumerated().map { index, run -> [String: Any] in
                [
                    "id": run.info.id, "name": run.info.name, "baseline": index == 0,
                    "model": run.params.first { $0.key == "model" }?.value ?? "", "started": HTML.time(run.info.startTime),
                ]
            },
        ]
        // What differs between the runs' setups: params with more than one value, and the datasets scored.
        let paramKeys = Array(Set(runs.flatMap { $0.params.map(\.key) })).sorted()
        values["paramDiffs"] = paramKeys.compactMap { key -> [String: Any]? in
            let cells = runs.map { run in run.params.first { $0.key == key }?.value ?? "" }
            guard Set(cells).count > 1 else { return nil }
            return ["key": key, "cells": cells.map { ["value": $0] }]
        }
        let datasets = runs.map { run in run.inputs.map { "\($0.name) (\($0.digest))" }.joined(separator: ", ") }
        if Set(datasets).count > 1 {
            values["datasetRow"] = datasets.map { ["value": $0] }
            values["datasetWarning"] =
                "The runs scored different datasets, so only the rows they share are compared; rows one run lacks show as \"no such row\"."
        }
        let tables = await evaluationTables(runs)
        let comparisons = try await statistics(runs, tables: tables)
        let keys = Array(Set(runs.flatMap { $0.metrics.map(\.key) })).sorted()
        values["metrics"] = keys.map { key -> [String: Any] in
            let direction = MetricDirection.greaterIsBetter(key)
            let base = baseline.metrics.first { $0.key == key }?.value
            let cells = runs.enumerated().map { index, run -> [String: Any] in
                let value = run.metrics.first { $0.key == key }?.value
                var cell: [String: Any] = ["value": HTML.number(value)]
                if index > 0, let value, let base, value.isFinite, base.isFinite {
                    let (text, verdict) = Self.change(value - base, direction: direction)
                    cell["delta"] = text
                    cell["verdict"] = verdict
                    cell["verdictText"] =
                        verdict == "better" ? "better than the baseline" : verdict == "worse" ? "worse than the baseline" : "no direction"
                }
                if index > 0, let comparison = comparisons[index], let m = Self.statistic(for: key, in: comparison) {
                    cell["stat"] = Self.statisticCell(m, comparison)
                }
                return cell
            }
            return ["key": key, "direction": direction.map { $0 ? "higher" : "lower" } ?? "", "cells": cells]
        }
        let compared = comparisons.compactMap { $0 }
        if let first = compared.first {
            values["statistics"] =
                "Beside each mean change: its \(Int(first.options.confidence * 100))% interval (paired bootstrap, BCa), the p-value after Holm's correction across the metrics (sign-flip permutation test, or exact McNemar for 0/1 scores) and the verdict; \(first.options.resamples) resamples, seed \(first.options.seed), as `assay compare` computes them."
            values["pairing"] = compared.map { c in
                c.paired
                    ? "\(c.candidate.name): \(c.pairedRows) rows paired with the baseline, \(c.onlyInBaseline) only in the baseline, \(c.onlyInCandidate) only in this run."
                    : "\(c.candidate.name): compared unpaired."
            }
            values["warnings"] = compared.flatMap { c in c.warnings.map { "\(c.candidate.name): \($0)" } }
        }
        if let rows = try await alignedRows(page, runs: runs, tables: tables) { values["rowsSection"] = rows }
        var crumbs: [(String, String)] = []
        if let experiment = try? await store.experiment(id: baseline.info.experimentID) {
            crumbs.append((experiment.name, "/experiments/" + HTML.path([experiment.id])))
        }
        crumbs.append(("Compare", ""))
        return render(status: .ok, title: "Compare runs", template: "compare", values, crumbs: crumbs, session: page.session)
    }

    /// "+0.1250" and whether that is better, worse, or neither for a metric's direction.
    static func change(_ delta: Double, direction: Bool?) -> (String, String) {
        let text = (delta >= 0 ? "+" : "−") + HTML.number(abs(delta))
        guard delta != 0, let direction else { return (text, "same") }
        return (text, (delta > 0) == direction ? "better" : "worse")
    }

    /// Each run's evaluation table, or nil when it has none (or it cannot be read).
    func evaluationTables(_ runs: [Run]) async -> [EvaluationTable?] {
        var tables: [EvaluationTable?] = []
        for run in runs {
            guard let base = artifactBase(run.info), let file = ComparedRun.loggedTables(run).first else {
                tables.append(nil)
                continue
            }
            tables.append(try? await tableCache.table(base + "/" + file, in: artifacts))
        }
        return tables
    }

    /// Per run after the first, its comparison with the baseline (nil without both tables), computed
    /// once per pair of tables.
    func statistics(_ runs: [Run], tables: [EvaluationTable?]) async throws -> [RunComparison?] {
        guard let baseTable = tables[0] else { return runs.map { _ in nil } }
        func side(_ run: Run, _ table: EvaluationTable) -> ComparedRun {
            var metrics: [String: Double] = [:]
            for point in run.metrics { metrics[point.key] = point.value }
            return ComparedRun(
                id: run.info.id, name: run.info.name, datasetDigests: run.inputs.map(\.digest), table: table.logged, metrics: metrics,
                judges: [])
        }
        var results: [RunComparison?] = [nil]
        for index in runs.indices.dropFirst() {
            guard let table = tables[index] else {
                results.append(nil)
                continue
            }
            let key = [runs[0].info.id, runs[index].info.id, "\(ObjectIdentifier(baseTable))", "\(ObjectIdentifier(table))"].joined(
                separator: "|")
            if let cached = await comparisonCache.get(key) {
                results.append(cached)
                continue
            }
            var options = RunComparison.Options()
            // Very large tables: fewer resamples keep the page quick; the figures move in the third decimal.
            if min(baseTable.rows.count, table.rows.count) > 20_000 { options.resamples = 2_000 }
            let comparison = try await RunComparison.compare(side(runs[0], baseTable), side(runs[index], table), options: options)
            await comparisonCache.put(key, comparison)
            results.append(comparison)
        }
        return results
    }

    /// The metric of a comparison that an aggregate key reports on: its mean (`rouge1/v1/mean`), or the
    /// metric itself when its key is its mean (`exact_match/v1`).
    static func statistic(for key: String, in comparison: RunComparison) -> MetricComparison? {
        if let m = comparison.metric(key), key == "exact_match/v1" { return m }
        guard key.hasSuffix("/mean") else { return nil }
        return comparison.metric(String(key.dropLast("/mean".count)))
    }

    static func statisticCell(_ m: MetricComparison, _ comparison: RunComparison) -> [String: Any] {
        var text = m.interval.map { "[\(HTML.number($0.lowerBound)), \(HTML.number($0.upperBound))]" } ?? ""
        if let p = m.adjustedPValue { text += " p " + Statistics.format(pValue: p) }
        let verdictClass: String
        switch m.verdict {
        case .better: verdictClass = "better"
        case .worse: verdictClass = "worse"
        default: verdictClass = "same"
        }
        return [
            "text": text, "verdict": m.verdict.rawValue, "verdictClass": verdictClass,
            "title":
                "\(m.test.rawValue), \(m.baselineCount) \(comparison.paired ? "pairs" : "rows"); smallest detectable difference \(m.minimumDetectableDifference.map { HTML.number($0) } ?? "unknown")",
        ]
    }

    /// The rows part of the comparison, when the baseline and another run have evaluation tables:
    /// per run how many rows got better, worse or stayed, a search and an "only changed" filter, the
    /// rows biggest drop first (50 a page), each with the runs' outputs as word diffs and their scores
    /// with the judges' reasons, and histograms on one shared scale.
    func alignedRows(_ page: Page, runs: [Run], tables: [EvaluationTable?]) async throws -> [String: Any]? {
        guard let baseTable = tables[0], tables.dropFirst().contains(where: { $0 != nil }) else { return nil }
        // Scores every compared table has.
        let names = baseTable.scores.map(\.name).filter { name in tables.allSatisfy { $0?.scores.contains { $0.name == name } ?? true } }
        // By default the first score where higher is better (a quality score rather than, say, a grade level).
        let metric =
            try page.query.string("metric").flatMap { names.contains($0) ? $0 : nil }
            ?? names.first { MetricDirection.greaterIsBetter($0) == true } ?? names.first
        let direction = metric.flatMap(MetricDirection.greaterIsBetter) ?? true
        let search = (try page.query.string("q") ?? "").trimmingCharacters(in: .whitespaces)
        let onlyChanged = try page.query.string("changed") == "1"
        // Rows pair by input text; a repeated input pairs with its n-th repeat.
        let baseKeys = baseTable.alignmentKeys.enumerated().map { (key: $1, row: $0) }
        let indexes = tables.map { $0?.rowByAlignmentKey }
        let scoreColumns = tables.map { table in metric.flatMap { name in table?.scores.first { $0.name == name } } }
        func score(_ table: EvaluationTable?, _ row: Int?, _ name: String?) -> Double? {
            guard let table, let row, let name, let s = table.scores.first(where: { $0.name == name }) else { return nil }
            return s.values[row]
        }
        // Per run after the baseline: how many paired rows got better, worse, or stayed on the metric.
        var tallies = [(better: Int, worse: Int, same: Int)](repeating: (0, 0, 0), count: runs.count)
        // The worst change (by the metric's direction) of any run against the baseline, per row, and whether any changed.
        var ranked = baseKeys.map { entry -> (key: String, row: Int, change: Double?, changed: Bool) in
            guard let base = scoreColumns[0]?.values[entry.row] else { return (entry.key, entry.row, nil, false) }
            var worst: Double?
            var changed = false
            for t in tables.indices.dropFirst() {
                guard let row = indexes[t]?[entry.key], let value = scoreColumns[t]?.values[row] else { continue }
                let change = (value - base) * (direction ? 1 : -1)
                if change > 0 { tallies[t].better += 1 } else if change < 0 { tallies[t].worse += 1 } else { tallies[t].same += 1 }
                changed = changed || change != 0
                worst = min(worst ?? change, change)
            }
            return (entry.key, entry.row, worst, changed)
        }.sorted { a, b in
            switch (a.change, b.change) {
            case let (x?, y?): return x != y ? x < y : a.row < b.row
            case (_?, nil): return true
            case (nil, _?): return false
            default: return a.row < b.row
            }
        }
        let total = ranked.count
        if onlyChanged { ranked = ranked.filter(\.changed) }
        if !search.isEmpty {
            let needle = search.lowercased()
            ranked = ranked.filter { entry in
                tables.indices.contains { t in
                    guard let table = tables[t], let row = t == 0 ? entry.row : indexes[t]?[entry.key] else { return false }
                    return table.rows[row].contains { Self.outputText($0).lowercased().contains(needle) }
                }
            }
        }
        let perPage = 50
        let pages = max(1, (ranked.count + perPage - 1) / perPage)
        let pageNumber = min(max(1, Int(try page.query.string("page") ?? "") ?? 1), pages)
        let rows = ranked.dropFirst((pageNumber - 1) * perPage).prefix(perPage).map { entry -> [String: Any] in
            let baseOutput = baseTable.outputColumn.map { Self.outputText(baseTable.rows[entry.row][$0]) } ?? ""
            let outputs = runs.indices.map { r -> [String: Any] in
                let table = tables[r]
                let row = r == 0 ? entry.row : indexes[r]?[entry.key]
                guard let table, let row else {
                    return ["run": runs[r].info.name, "diff": "<em>no such row</em>", "scores": [[String: Any]]()]
                }
                let output = table.outputColumn.map { Self.outputText(table.rows[row][$0]) } ?? ""
                let scores = names.map { name -> [String: Any] in
                    let value = score(table, row, name)
                    var item: [String: Any] = ["metric": name, "value": value.map { HTML.number($0) } ?? "—"]
                    if let column = table.scores.first(where: { $0.name == name })?.justification {
                        let why = table.rows[row][column].text
                        if !why.isEmpty { item["why"] = why }
                    }
                    if r > 0, let value, let base = score(baseTable, entry.row, name) {
                        let (text, verdict) = Self.change(value - base, direction: MetricDirection.greaterIsBetter(name) ?? true)
                        item["delta"] = text
                        item["verdict"] = verdict
                    }
                    return item
                }
                return [
                    "run": runs[r].info.name, "diff": r == 0 ? HTML.escape(output) : WordDiff.html(from: baseOutput, to: output),
                    "scores": scores,
                ]
            }
            var row: [String: Any] = [
                "input": baseTable.inputColumn.map { LoggedTable.keyText(baseTable.rows[entry.row][$0]) } ?? "row \(entry.row + 1)",
                "outputs": outputs, "count": runs.count, "regressed": (entry.change ?? 0) < 0,
            ]
            // Mustache shows a section for any string, empty or not: only a real target gets the key.
            if let target = baseTable.targetColumn.map({ Self.outputText(baseTable.rows[entry.row][$0]) }), !target.isEmpty {
                row["target"] = target
            }
            return row
        }
        let runParams = runs.map { ("runs", $0.info.id) }
        // One scale for every run's histogram, so their bars line up.
        let histogramValues =
            metric.map { name in tables.map { $0?.scores.first { $0.name == name }?.values.compactMap { $0 } ?? [] } } ?? []
        let everything = histogramValues.flatMap { $0 }.filter(\.isFinite)
        let sharedRange = everything.min().flatMap { low in everything.max().map { low...$0 } }
        var section: [String: Any] = [
            "runs": runs.map { ["id": $0.info.id] }, "rows": Array(rows),
            "metricOptions": names.map { ["name": $0, "selected": $0 == metric] },
            "histograms": metric.map { name in
                tables.indices.compactMap { t -> [String: Any]? in
                    guard tables[t] != nil, !histogramValues[t].isEmpty else { return nil }
                    return ["svg": Charts.histogram(histogramValues[t], title: "\(runs[t].info.name): \(name)", range: sharedRange)]
                }
            } ?? [],
            "tallies": metric.map { name in
                runs.indices.dropFirst().compactMap { t -> [String: Any]? in
                    guard tables[t] != nil else { return nil }
                    return [
                        "run": runs[t].info.name, "better": tallies[t].better, "worse": tallies[t].worse, "same": tallies[t].same,
                        "metric": name,
                    ]
                }
            } ?? [],
            "q": search, "changed": onlyChanged,
            "summary":
                (ranked.count == total ? "\(total) rows" : "\(ranked.count) of \(total) rows")
                + (metric.map { ", sorted by the largest drop in \($0) first" } ?? ""),
            "page": "page \(pageNumber) of \(pages)",
        ]
        let keep = runParams + [("metric", metric ?? ""), ("q", search), ("changed", onlyChanged ? "1" : "")]
        if pageNumber < pages { section["next"] = "/compare" + HTML.query(keep + [("page", String(pageNumber + 1))]) + "#cr-h" }
        if pageNumber > 1 { section["previous"] = "/compare" + HTML.query(keep + [("page", String(pageNumber - 1))]) + "#cr-h" }
        return Self.flagged(section)
    }

    /// A cell as the text shown and diffed: strings as they are, a list (a retriever's documents) one
    /// item a line, anything else as JSON.
    static func outputText(_ cell: DataValue) -> String {
        switch cell {
        case .list(let items): items.map { $0.stringValue ?? $0.description }.joined(separator: "\n")
        default: cell.text
        }
    }
}
