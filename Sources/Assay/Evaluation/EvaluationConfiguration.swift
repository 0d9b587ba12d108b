import Foundation

/// Settings of an evaluation beyond the data, model and metrics (MLflow's `evaluator_config`).
public struct EvaluationConfiguration: Sendable {
    /// The column holding the model's inputs (questions, prompts); default `inputs`.
    public var inputsColumn = "inputs"
    /// Metric argument name to column name, such as `["context": "passages"]` (MLflow's `col_mapping`).
    public var columnMapping: [String: String] = [:]
    /// k for the retriever model type's precision, recall and NDCG; default 3.
    public var retrieverK = 3
    /// How ROUGE tokenizes; `.mlflow` (the default) matches MLflow and drops non-ASCII letters.
    public var rougeTokenizer: RougeTokenizer = .mlflow
    /// The pattern for `regex_match`.
    public var regexPattern: String?
    /// The keywords for `contains`.
    public var containsKeywords: [String] = []
    /// Model calls in flight at once; default 8.
    public var concurrency = 8
    /// How many times each row is answered (independent samples); default 1. With more, every metric
    /// reports `sample_std_mean` (the mean over rows of the scores' spread across samples) and
    /// pass/fail metrics report `pass@k` and `pass^k`.
    public var repeats = 1
    /// k of pass@k (some of k samples pass) and pass^k (all k pass); default: all the samples.
    public var passK: Int?
    /// The default judge model for judge metrics (toxicity in the presets, `answer_correctness`, ...).
    public var judge: (any ChatCompleting)?
    /// How many times each judge is asked about each row; the row's score is the mean.
    public var judgeRepeats = 1
    /// Aggregations added to every metric that is summarised (median, min, max, ...), beyond its own.
    public var extraAggregations: [Aggregation] = []
    /// Threads scoring rows; default one per processor core.
    public var scoringWorkers = ProcessInfo.processInfo.activeProcessorCount
    /// Called after each chunk of rows, for progress displays.
    public var progress: (@Sendable (EvaluationProgress) -> Void)?

    /// The default configuration.
    public init() {}
}

/// How far an evaluation has got.
public struct EvaluationProgress: Sendable {
    /// Rows evaluated so far.
    public var rows: Int
    /// The share of the dataset read so far, 0 to 1 (by bytes for files).
    public var fractionRead: Double
}
