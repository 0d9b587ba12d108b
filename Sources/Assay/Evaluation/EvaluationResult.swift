public import Foundation

/// The outcome of an evaluation: aggregate metrics, the per-row table, and what was skipped.
///
/// ```swift
/// let result = try await evaluate(data, targets: "ground_truth", predictions: "predictions",
///                                 modelType: .questionAnswering)
/// result.metrics["exact_match/v1"]                  // 0.5
/// let table = result.tables["eval_results_table"]!  // inputs, targets, outputs, per-row scores
/// ```
public struct EvaluationResult: Sendable {
    /// Aggregate results by MLflow's keys: `rouge1/v1/mean`, `exact_match/v1`, `precision_at_3/p90`.
    public var metrics: [String: Double]
    /// The keys of ``metrics`` in the order they were computed.
    public var metricKeys: [String]
    /// Result tables by name; `eval_results_table` holds one row per dataset row.
    public var tables: [String: ResultTable]
    /// The metrics that ran, in order, with their scales and directions.
    public var metricInfos: [MetricInfo]
    /// Metrics that were asked for (or are in the model type's set) but did not run, with the reason.
    public var skippedMetrics: [SkippedMetric]
    /// Per metric key, how many rows had no score (no prediction, a failed model call).
    public var unscoredRows: [String: Int]
    /// The number of rows evaluated.
    public var rowCount: Int
    /// The number of rows whose model call failed (their errors are in the table's `error` column).
    public var failedRows: Int
    /// The dataset's name.
    public var datasetName: String
    /// The model's identifier, or nil for a static evaluation.
    public var model: String?
    /// The model type, if one was given.
    public var modelType: ModelType?
    /// Model calls, cache hits, tokens and cost of a live evaluation.
    public var usage: UsageSummary
    /// The judge metrics that ran, as defined (the content of `genai_custom_metrics.json`).
    public var judges: [JudgeDefinition]
    /// When the evaluation began, in milliseconds since 1970 (0 when unknown): a recorded run starts then.
    public var startTime: Int64 = 0

    /// The per-row table (`tables["eval_results_table"]`).
    public var table: ResultTable { tables["eval_results_table"]! }

    /// Writes the results as `{"metrics": {...}, "eval_results_table": {"columns": [...], "data": [[...]]}}`,
    /// with MLflow's key and column names, streaming the table.
    public func write(to path: String) throws {
        try FileSink.write(to: path) { emit in try encode(emit) }
    }

    /// The results in the JSON form ``write(to:)`` writes.
    public func jsonString() throws -> String {
        var text = ""
        try encode { text += $0 }
        return text
    }

    private func encode(_ emit: (String) throws -> Void) throws {
        var writer = JSONWriter()
        writer.append(raw: "{\"metrics\":{")
        for (i, key) in metricKeys.enumerated() {
            if i > 0 { writer.append(raw: ",") }
            writer.writeString(key)
            writer.append(raw: ":")
            writer.writeNumber(metrics[key]!)
        }
        writer.append(raw: "}")
        if model != nil || !judges.isEmpty {
            writer.append(raw: ",\"usage\":")
            writer.write(usage.jsonValue)
        }
        writer.append(raw: ",\"eval_results_table\":")
        try emit(writer.take())
        try table.encode(emit)
        try emit("}")
    }
}

extension EvaluationResult {
    /// Writes `genai_custom_metrics.json` as MLflow writes it (split orientation: `name`, `version`,
    /// `metric_args`), so that the judges can be loaded again (`assay evaluate --metrics-from FILE`).
    public func writeCustomMetrics(to path: String) throws {
        try FileSink.write(to: path) { emit in try emit(customMetricsJSON) }
    }

    /// The text of `genai_custom_metrics.json`.
    public var customMetricsJSON: String {
        var writer = JSONWriter(dialect: .mlflowTable)
        writer.append(raw: "{\"columns\":[\"name\",\"version\",\"metric_args\"],\"data\":")
        writer.write(.list(judges.map { .list([.string($0.name), .string($0.version), $0.metricArguments]) }))
        writer.append(raw: "}")
        return writer.output
    }

    /// The judge definitions stored in a `genai_custom_metrics.json` file.
    public static func judges(fromCustomMetricsFile path: String) throws(AssayError) -> [JudgeDefinition] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .invalidInput("\(path): cannot read the file") }
        return try judges(fromCustomMetrics: data, source: path)
    }

    /// The judge definitions in the contents of a `genai_custom_metrics.json` file; `source` names it in errors.
    public static func judges(fromCustomMetrics data: Data, source: String) throws(AssayError) -> [JudgeDefinition] {
        let document = try DataValue(json: String(decoding: data, as: UTF8.self))
        guard case .object(let fields) = document, case .list(let columns)? = fields["columns"], case .list(let rows)? = fields["data"],
            let argsIndex = columns.firstIndex(of: "metric_args")
        else {
            throw .invalidInput("\(source): not a genai_custom_metrics.json file (expected columns name, version, metric_args)")
        }
        var judges: [JudgeDefinition] = []
        for (i, row) in rows.enumerated() {
            guard case .list(let cells) = row, argsIndex < cells.count else {
                throw .invalidInput("\(source): row \(i + 1) is malformed")
            }
            judges.append(try JudgeDefinition(document: cells[argsIndex], source: "\(source), row \(i + 1)"))
        }
        return judges
    }
}

/// What a live evaluation's model calls amounted to.
public struct UsageSummary: Sendable, Equatable {
    /// Rows answered by a call to the model.
    public var modelCalls = 0
    /// Rows answered from the response cache.
    public var cachedAnswers = 0
    /// Prompt tokens over all answered rows (cached ones included, as first recorded).
    public var promptTokens = 0
    /// Completion tokens over all answered rows.
    public var completionTokens = 0
    /// Dollars spent by the calls made in this run (cached answers cost nothing now).
    public var cost = 0.0
    /// Dollars the cached answers cost when they were first made.
    public var cachedCost = 0.0
    /// Rows whose calls reported token usage.
    public var rowsWithUsage = 0
    /// Rows whose cost is known.
    public var rowsWithCost = 0
    /// Rows not sent because the spending limit was reached.
    public var rowsOverBudget = 0
    /// Rows not answered because the run was interrupted.
    public var rowsInterrupted = 0
    /// Whether the run was interrupted (Ctrl-C) before it read the whole dataset.
    public var interrupted = false
    /// Judge calls made (each repeat counts), and judge answers taken from the cache.
    public var judgeCalls = 0
    public var judgeCachedAnswers = 0
    /// Tokens of the judge calls.
    public var judgePromptTokens = 0
    public var judgeCompletionTokens = 0
    /// Dollars the judge calls of this run cost, where the judge's prices are known.
    public var judgeCost = 0.0

    /// An empty summary.
    public init() {}

    mutating func add(_ answer: EvaluationEngine.Answer) {
        if answer.budgetExhausted { rowsOverBudget += 1 }
        if answer.interrupted { rowsInterrupted += 1 }
        guard answer.error == nil else { return }
        if answer.cached { cachedAnswers += 1 } else { modelCalls += 1 }
        if let usage = answer.usage {
            rowsWithUsage += 1
            promptTokens += usage.promptTokens
            completionTokens += usage.completionTokens
        }
        if let cost = answer.cost {
            rowsWithCost += 1
            if answer.cached { cachedCost += cost } else { self.cost += cost }
        }
    }

    mutating func addJudge(_ completion: ChatCompletion) {
        if completion.cached { judgeCachedAnswers += 1 } else { judgeCalls += 1 }
        judgePromptTokens += completion.usage?.promptTokens ?? 0
        judgeCompletionTokens += completion.usage?.completionTokens ?? 0
        if !completion.cached { judgeCost += completion.cost ?? 0 }
    }

    mutating func merge(judges other: UsageSummary) {
        judgeCalls += other.judgeCalls
        judgeCachedAnswers += other.judgeCachedAnswers
        judgePromptTokens += other.judgePromptTokens
        judgeCompletionTokens += other.judgeCompletionTokens
        judgeCost += other.judgeCost
    }

    var jsonValue: DataValue {
        .object([
            "model_calls": .int(modelCalls), "cached_answers": .int(cachedAnswers),
            "prompt_tokens": .int(promptTokens), "completion_tokens": .int(completionTokens),
            "cost_usd": .double(cost), "cached_cost_usd": .double(cachedCost),
            "rows_over_budget": .int(rowsOverBudget), "rows_interrupted": .int(rowsInterrupted),
            "interrupted": .bool(interrupted), "judge_calls": .int(judgeCalls),
            "judge_cached_answers": .int(judgeCachedAnswers), "judge_prompt_tokens": .int(judgePromptTokens),
            "judge_completion_tokens": .int(judgeCompletionTokens), "judge_cost_usd": .double(judgeCost),
        ])
    }
}

/// A metric that did not run, and why.
public struct SkippedMetric: Sendable, Equatable {
    /// The metric's key (`toxicity/v1`).
    public var key: String
    /// Why it did not run, in one line.
    public var reason: String
    /// What would make it run, when something the caller can give is missing.
    public var requirement: Requirement?

    public init(key: String, reason: String, requirement: Requirement? = nil) {
        self.key = key
        self.reason = reason
        self.requirement = requirement
    }
}
