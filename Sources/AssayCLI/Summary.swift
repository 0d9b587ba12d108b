import Assay
import AssayProviders
import Foundation

/// The human-readable summary `assay evaluate` prints.
enum Summary {
    /// The summary printed after an evaluation. `activity` is the live model's own count of what it sent (rows
    /// that failed or were interrupted included, and HTTP requests with retries), which the result's usage,
    /// counting answered rows, cannot know.
    static func render(
        _ result: EvaluationResult, elapsed: Duration, predictionsColumn: String?, showRows: Int, activity: ChatModel.Activity? = nil
    ) -> String {
        var out: [String] = []
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let source = result.model.map { "model \($0)" } ?? "predictions in column '\(predictionsColumn ?? "outputs")'"
        out.append("Evaluated \(result.rowCount) rows of \(result.datasetName) (\(source)) in \(String(format: "%.2f", seconds)) s")
        if result.failedRows > 0 {
            out.append(
                "\(result.failedRows) rows failed; their errors are in the table's error column and they are left out of the aggregates")
        }
        if !result.judges.isEmpty {
            let u = result.usage
            var line = "Judge calls: \(u.judgeCalls) sent, \(u.judgeCachedAnswers) answered from the cache"
            if u.judgePromptTokens + u.judgeCompletionTokens > 0 {
                line += "; tokens: \(u.judgePromptTokens) prompt + \(u.judgeCompletionTokens) completion"
            }
            if u.judgeCost > 0 { line += String(format: "; cost: $%.4f", u.judgeCost) }
            out.append(line)
        }
        if result.model != nil {
            let u = result.usage
            let sent = max(u.modelCalls, activity?.calls ?? 0)
            var line = "Model calls: \(sent) sent, \(u.cachedAnswers) answered from the cache"
            if sent > u.modelCalls { line += ", \(sent - u.modelCalls) not answered" }
            if let requests = activity?.requests, requests > sent { line += "; \(requests) requests with retries" }
            if u.rowsWithUsage > 0 { line += "; tokens: \(u.promptTokens) prompt + \(u.completionTokens) completion" }
            out.append(line)
            if u.rowsWithCost > 0 {
                out.append(
                    String(format: "Cost: $%.4f for this run", u.cost)
                        + (u.cachedCost > 0 ? String(format: " (cached answers cost $%.4f when first made)", u.cachedCost) : ""))
            } else if u.modelCalls > 0, let model = result.model,
                ["exec:", "http://", "https://"].contains(where: { model.hasPrefix($0) })
            {
                out.append("Cost: not reported (the application's replies have no cost; a spec's response: cost: PATH reads one)")
            } else if u.modelCalls > 0 {
                out.append("Cost: unknown (the model is not in the price table; see --prices)")
            }
            if u.rowsOverBudget > 0 {
                out.append("Budget reached: \(u.rowsOverBudget) rows were not sent (--max-cost)")
            }
            if u.interrupted || u.rowsInterrupted > 0 {
                out.append(
                    "Interrupted: the results below cover the \(result.rowCount) rows answered before Ctrl-C; \(u.rowsInterrupted) rows under way were dropped and the rest of the dataset was not read"
                )
            }
        }
        out.append("")

        var rows: [[String]] = [["metric", "value", "scale", "on 0..1", "direction"]]
        for key in result.metricKeys where !key.hasSuffix("/mean_normalized") {
            let info = result.metricInfos.first { key == $0.key || key.hasPrefix($0.key + "/") }
            let aggregate = info.map { String(key.dropFirst($0.key.count)) } ?? ""
            // Variance is in squared units and counts are counts: the metric's scale describes neither.
            let scale: String
            switch aggregate {
            case "/variance": scale = "(squared units)"
            case "/invalid_count": scale = "answers"
            case "/repeat_std_mean", "/sample_std_mean": scale = "(spread)"
            case _ where aggregate.hasPrefix("/pass@") || aggregate.hasPrefix("/pass^"): scale = "share of rows"
            case "/repeat_agreement": scale = "share of rows"
            default: scale = info?.scale.label ?? ""
            }
            // The mean on 0..1 shows where a score sits on its scale: a 1..5 mean of 5 is the top.
            let normalized = aggregate == "/mean" ? result.metrics[key + "_normalized"].map(format) ?? "" : ""
            let isCount = ["/invalid_count", "/repeat_std_mean", "/sample_std_mean", "/repeat_agreement"].contains(aggregate)
            rows.append([key, format(result.metrics[key]!), scale, normalized, isCount ? "" : info?.directionLabel ?? ""])
        }
        if rows.count > 1 {
            out.append(TextTable.render(rows, maxWidth: 60))
        } else {
            out.append("No aggregate metrics (per-row scores are in the table).")
        }
        let perRowOnly = result.metricInfos.filter { $0.aggregations.isEmpty }
        for info in perRowOnly {
            out.append("\(info.name): per-row only (\(info.scale.label)); see the table column '\(info.name)'")
        }
        for (key, count) in result.unscoredRows.sorted(by: { $0.key < $1.key }) {
            out.append("\(key): \(count) of \(result.rowCount) rows had no score and are left out of its aggregates")
        }
        for skipped in result.skippedMetrics {
            out.append("skipped \(skipped.key): \(FlagHints.reason(skipped))")
        }

        let table = result.table
        if showRows > 0, let rows = try? table.rows(limit: showRows), !rows.isEmpty {
            out.append("")
            out.append("First \(rows.count) of \(table.rowCount) rows of eval_results_table:")
            let cells = [table.columns] + rows.map { $0.map(cellText) }
            out.append(TextTable.render(cells, maxWidth: 28))
        }
        return out.joined(separator: "\n")
    }

    /// The dry-run report.
    static func render(_ estimate: CostEstimate, model: String) -> String {
        var out = [
            "Dry run for \(model): nothing was sent.", "Requests: \(estimate.requests)",
            "Prompt tokens (cl100k_base estimate): \(estimate.promptTokens)",
        ]
        if let cost = estimate.promptCost {
            out.append(String(format: "Prompt cost: $%.4f", cost))
        } else {
            out.append("Prompt cost: unknown (the model is not in the price table; see --prices)")
        }
        if let completion = estimate.maxCompletionTokens {
            out.append("Completion tokens: at most \(completion) (max_tokens per request)")
            if let maxCost = estimate.maxCost { out.append(String(format: "Total cost: at most $%.4f", maxCost)) }
        } else {
            out.append("Completion tokens: unbounded without --param max_tokens=N")
        }
        return out.joined(separator: "\n")
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == value.rounded() && abs(value) < 1e9 { return String(Int(value)) }
        return String(format: "%.4f", value)
    }

    static func cellText(_ value: DataValue) -> String {
        switch value {
        case .null: return "-"
        case .double(let d): return format(d)
        default: return value.text
        }
    }

    /// A hint when ROUGE ran with MLflow's tokenizer, which keeps only a-z and 0-9, on rows whose answer or
    /// target has letters but none of those (Japanese, Greek, ...): they score 0 however alike they are.
    static func rougeTokenizerHint(_ result: EvaluationResult, tokenizer: RougeTokenizer, predictions: String, targets: String?) -> String?
    {
        guard tokenizer == .mlflow, result.metricKeys.contains(where: { $0.hasPrefix("rouge") }), let targets else { return nil }
        let columns = result.table.columns
        guard let p = columns.firstIndex(of: predictions), let t = columns.firstIndex(of: targets) else { return nil }
        func unseen(_ value: DataValue) -> Bool {
            guard case .string(let text) = value else { return false }
            var letters = false
            for scalar in text.unicodeScalars {
                if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) { return false }
                if scalar.properties.isAlphabetic { letters = true }
            }
            return letters
        }
        // One pass over the table (each pass assembles every row).
        var rows = 0
        do {
            try result.table.forEachRow { row in if unseen(row[p]) || unseen(row[t]) { rows += 1 } }
        } catch {
            return nil
        }
        guard rows > 0 else { return nil }
        return
            "Note: \(rows == 1 ? "1 row has" : "\(rows) rows have") letters but none that MLflow's ROUGE tokenizer keeps (a-z, 0-9), so ROUGE "
            + "scores them 0; --rouge-tokenizer unicode tokenizes every script."
    }
}
