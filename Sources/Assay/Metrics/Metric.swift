import Synchronization

/// A metric an evaluation can compute: a description (``MetricInfo``) and the way to compute it.
///
/// The built-in metrics are static members (`Metric.rouge1`, `Metric.precisionAtK(5)`), or found by
/// name with ``Metric/named(_:configuration:)``. Custom metrics come in two forms:
///
/// ```swift
/// // Scored row by row (streams, so it works on datasets of any size).
/// let mentionsSwift = Metric.perRow(name: "mentions_swift", greaterIsBetter: true, scale: .unitInterval) { row in
///     RowScore(row.prediction.text.contains("Swift") ? 1 : 0)
/// }
/// // Computed over the whole evaluation, as MLflow's make_metric(eval_fn=...) is.
/// let longAnswers = Metric.custom(name: "long_answers", greaterIsBetter: true) { frame in
///     let long = frame.predictions.filter { $0.text.count > 100 }.count
///     return MetricValue(aggregateResults: ["ratio": Double(long) / Double(frame.predictions.count)])
/// }
/// ```
public struct Metric: Sendable {
    /// What the metric is.
    public var info: MetricInfo
    var kind: Kind
    /// Other metrics (by name) a custom metric reads from ``EvaluationFrame/metrics``; they run first.
    public var dependencies: [String]
    /// Argument names the metric reads from each row (through the column mapping), checked before the run.
    public var arguments: [String] = []
    /// Loads what the metric needs before its first row (a tokenizer's tables), so that an evaluation
    /// can load the resources of several metrics at once, on different cores, while it reads rows.
    var prepare: (@Sendable () -> Void)?

    enum Kind: Sendable {
        case perRow(@Sendable (MetricRow, inout TextScratch) throws -> RowScore)
        case whole(@Sendable (EvaluationFrame) throws -> MetricValue)
        case latency
        case judge(JudgeRunner)
        case unavailable(reason: String, requirement: Requirement?)
    }

    init(info: MetricInfo, kind: Kind, dependencies: [String] = [], prepare: (@Sendable () -> Void)? = nil) {
        self.info = info
        self.kind = kind
        self.dependencies = dependencies
        self.prepare = prepare
    }

    /// A custom metric scored one row at a time.
    public static func perRow(
        name: String, version: String? = nil, greaterIsBetter: Bool?, scale: MetricScale = .unbounded,
        aggregations: [Aggregation] = Aggregation.standard, summary: String = "",
        score: @escaping @Sendable (MetricRow) throws -> RowScore
    ) throws(AssayError) -> Metric {
        try validate(name: name)
        let info = MetricInfo(
            name: name, version: version, greaterIsBetter: greaterIsBetter, scale: scale,
            aggregations: aggregations, summary: summary)
        return Metric(info: info, kind: .perRow { row, _ in try score(row) })
    }

    /// A custom metric computed over the whole evaluation, the equivalent of MLflow's `make_metric`.
    ///
    /// The closure gets every row and the metrics named in `dependencies`. This form holds the
    /// evaluation's rows in memory; prefer ``perRow(name:version:greaterIsBetter:scale:aggregations:summary:score:)``
    /// for very large datasets.
    public static func custom(
        name: String, version: String? = nil, greaterIsBetter: Bool?, scale: MetricScale = .unbounded,
        aggregations: [Aggregation] = Aggregation.standard, dependencies: [String] = [], summary: String = "",
        compute: @escaping @Sendable (EvaluationFrame) throws -> MetricValue
    ) throws(AssayError) -> Metric {
        try validate(name: name)
        let info = MetricInfo(
            name: name, version: version, greaterIsBetter: greaterIsBetter, scale: scale,
            aggregations: aggregations, summary: summary)
        return Metric(info: info, kind: .whole(compute), dependencies: dependencies)
    }

    private static func validate(name: String) throws(AssayError) {
        guard !name.isEmpty else { throw .invalidInput("a metric needs a name") }
        guard !name.contains("/") else {
            throw .invalidInput("metric name '\(name)' contains '/', which result keys reserve; choose another name")
        }
    }

    /// Why the metric cannot run in this build, for metrics that are listed but not available yet.
    public var unavailableReason: String? {
        if case .unavailable(let reason, _) = kind { return reason }
        return nil
    }

    /// What would make an unavailable metric run.
    public var unavailableRequirement: Requirement? {
        if case .unavailable(_, let requirement) = kind { return requirement }
        return nil
    }
}

/// Per-worker scratch space that text metrics reuse from row to row instead of allocating anew.
struct TextScratch: Sendable {
    var interner = TokenInterner()
    var token: [UInt8] = []
    var grams = CountTable()
    var tokenizer13a = Tokenizer13a()
    var row: [Int32] = []
    var rougeCache: RougeCacheEntry?
    var bleuCache: BLEUCacheEntry?
    /// Syllables per word already counted (Flesch-Kincaid).
    var syllables = ByteMemo()
    /// The readability counts of the text graded last, which its next grade reuses.
    var readability: (text: String, counts: Readability.Counts)?
    /// Tokens per pre-tokenized piece already merged (token_count).
    var pieces = ByteMemo()
}

/// Scratch spaces handed from chunk to chunk, so that what a worker's memos learned on one chunk's rows
/// serves the next chunk's.
final class ScratchPool: Sendable {
    private let free = Mutex<[TextScratch]>([])

    /// A scratch space from an earlier chunk, or a new one.
    func take() -> TextScratch {
        free.withLock { $0.popLast() } ?? TextScratch()
    }

    /// Gives `scratch` back for the next chunk.
    func give(_ scratch: TextScratch) {
        free.withLock { $0.append(scratch) }
    }
}
