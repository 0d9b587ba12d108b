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
        writer.append(raw: "},\"eval_results_table\":")
        try emit(writer.take())
        try table.encode(emit)
        try emit("}")
    }
}

/// A metric that did not run, and why.
public struct SkippedMetric: Sendable, Equatable {
    /// The metric's key (`toxicity/v1`).
    public var key: String
    /// Why it did not run, in one line.
    public var reason: String
}
