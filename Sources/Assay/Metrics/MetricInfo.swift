/// The native scale of a metric's per-row scores, shown next to every number Assay prints.
public enum MetricScale: Sendable, Hashable {
    /// A fraction from 0 to 1.
    case unitInterval
    /// A score from 0 to 100.
    case percentage
    /// A US school grade level; lower reads more easily, and it can be negative.
    case gradeLevel
    /// A count of something, such as tokens.
    case count(String)
    /// Wall-clock seconds.
    case seconds
    /// Whole numbers in a range, such as a judge's 1 to 5.
    case integerRange(ClosedRange<Int>)
    /// Any number within bounds.
    case range(ClosedRange<Double>)
    /// Any real number.
    case unbounded

    /// How the scale reads in a summary: "0..1", "grade level", "count (tokens)".
    public var label: String {
        switch self {
        case .unitInterval: "0..1"
        case .percentage: "0..100"
        case .gradeLevel: "grade level"
        case .count(let unit): "count (\(unit))"
        case .seconds: "seconds"
        case .integerRange(let r): "\(r.lowerBound)..\(r.upperBound)"
        case .range(let r): "\(JSONWriter.format(r.lowerBound, dialect: .exact))..\(JSONWriter.format(r.upperBound, dialect: .exact))"
        case .unbounded: "any number"
        }
    }

    /// A score mapped onto 0..1, for scales with bounds; nil for open scales.
    public func normalized(_ value: Double) -> Double? {
        switch self {
        case .unitInterval: value
        case .percentage: value / 100
        case .integerRange(let r) where r.upperBound > r.lowerBound:
            (value - Double(r.lowerBound)) / Double(r.upperBound - r.lowerBound)
        case .range(let r) where r.upperBound > r.lowerBound:
            (value - r.lowerBound) / (r.upperBound - r.lowerBound)
        default: nil
        }
    }
}

/// What a metric needs from the data or the run before it can score.
public struct MetricNeeds: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// A targets (ground truth) column.
    public static let targets = MetricNeeds(rawValue: 1)
    /// Predictions and targets that are lists of document ids.
    public static let documentLists = MetricNeeds(rawValue: 2)
    /// A `context` column (retrieved passages).
    public static let context = MetricNeeds(rawValue: 4)
    /// A judge model.
    public static let judge = MetricNeeds(rawValue: 8)
    /// A live model (timing is only meaningful then).
    public static let model = MetricNeeds(rawValue: 16)
    /// A setting from the evaluation configuration (a pattern, keywords).
    public static let configuration = MetricNeeds(rawValue: 32)

    /// Short words for a listing: "targets, judge".
    public var labels: [String] {
        var labels: [String] = []
        if contains(.targets) { labels.append("targets") }
        if contains(.documentLists) { labels.append("document-id lists") }
        if contains(.context) { labels.append("context") }
        if contains(.judge) { labels.append("a judge model") }
        if contains(.model) { labels.append("a live model for real values") }
        if contains(.configuration) { labels.append("configuration") }
        return labels
    }
}

/// How a metric's per-row scores appear in the evaluation table.
public enum TableColumnStyle: Sendable, Hashable {
    /// A column named after the metric itself, such as `token_count` or `latency`.
    case bare
    /// Columns `<key>/score` (and `<key>/justification` when there are justifications).
    case scoreAndJustification
    /// No column: the metric reports an aggregate only, as `exact_match` does.
    case none
}

/// One way of summarising a metric's per-row scores.
///
/// The result key follows MLflow's rule: `<metric key>/<name>`, or just the metric key when the
/// aggregation is named after the metric (as `exact_match/v1` is).
public struct Aggregation: Sendable, Hashable {
    /// The statistic an aggregation computes.
    public enum Statistic: Sendable, Hashable {
        case mean, variance, p90, median, min, max
        /// The share of scores at or above the threshold.
        case ratio(atLeast: Double)
    }

    /// The name in the result key.
    public var name: String
    /// What it computes.
    public var statistic: Statistic

    /// An aggregation with a custom name.
    public init(name: String, statistic: Statistic) {
        self.name = name
        self.statistic = statistic
    }

    /// The arithmetic mean.
    public static let mean = Aggregation(name: "mean", statistic: .mean)
    /// The population variance.
    public static let variance = Aggregation(name: "variance", statistic: .variance)
    /// The 90th percentile by linear interpolation.
    public static let p90 = Aggregation(name: "p90", statistic: .p90)
    /// The median (the mean of the middle pair for an even count).
    public static let median = Aggregation(name: "median", statistic: .median)
    /// The smallest score.
    public static let min = Aggregation(name: "min", statistic: .min)
    /// The largest score.
    public static let max = Aggregation(name: "max", statistic: .max)
    /// The share of scores of 0.5 or more (MLflow's `ratio` for toxicity).
    public static let ratio = Aggregation(name: "ratio", statistic: .ratio(atLeast: 0.5))
    /// MLflow's standard set: mean, variance and p90.
    public static let standard: [Aggregation] = [.mean, .variance, .p90]

    /// The aggregation named `name` (mean, variance, p90, median, min, max, ratio), or nil.
    public init?(named name: String) {
        guard let found = [Aggregation.mean, .variance, .p90, .median, .min, .max, .ratio].first(where: { $0.name == name })
        else { return nil }
        self = found
    }

    /// Computes the statistic over scores; nil when there are none.
    public func compute(_ scores: [Double]) -> Double? {
        guard !scores.isEmpty else { return nil }
        switch statistic {
        case .mean:
            return scores.reduce(0, +) / Double(scores.count)
        case .variance:
            let mean = scores.reduce(0, +) / Double(scores.count)
            return scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(scores.count)
        case .p90:
            return Self.percentile(scores.sorted(), 0.9)
        case .median:
            return Self.percentile(scores.sorted(), 0.5)
        case .min:
            return scores.min()
        case .max:
            return scores.max()
        case .ratio(let threshold):
            return Double(scores.count { $0 >= threshold }) / Double(scores.count)
        }
    }

    /// numpy's default (linear) percentile of sorted values.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = Int(position.rounded(.up))
        return sorted[lower] + (position - Double(lower)) * (sorted[upper] - sorted[lower])
    }
}

/// What a metric is: its name and version, scale, direction, needs and how it is reported.
public struct MetricInfo: Sendable, Hashable {
    /// The metric's name, such as `rouge1` or `precision_at_3`.
    public var name: String
    /// The version MLflow gives it (`v1`), or nil for unversioned metrics.
    public var version: String?
    /// Whether a higher score is better; nil when neither is (a token count).
    public var greaterIsBetter: Bool?
    /// The native scale of per-row scores.
    public var scale: MetricScale
    /// What the metric needs.
    public var needs: MetricNeeds
    /// How the metric is summarised.
    public var aggregations: [Aggregation]
    /// How per-row scores appear in the table.
    public var column: TableColumnStyle
    /// Whether per-row scores are whole numbers (written as integers in the table).
    public var integerScores: Bool
    /// One sentence on what it measures.
    public var summary: String
    /// Whether every per-row score is 1 (passed) or 0 (failed), as `exact_match` and `json_validity`
    /// are: with repeated samples such a metric also reports pass@k and pass^k.
    public var passFail: Bool

    /// Creates a description of a metric.
    public init(
        name: String, version: String? = nil, greaterIsBetter: Bool?, scale: MetricScale = .unbounded,
        needs: MetricNeeds = [], aggregations: [Aggregation] = Aggregation.standard,
        column: TableColumnStyle = .scoreAndJustification, integerScores: Bool = false, summary: String = "", passFail: Bool = false
    ) {
        self.name = name
        self.version = version
        self.greaterIsBetter = greaterIsBetter
        self.scale = scale
        self.needs = needs
        self.aggregations = aggregations
        self.column = column
        self.integerScores = integerScores
        self.summary = summary
        self.passFail = passFail || scale == .integerRange(0...1)
    }

    /// The key results use: `name/version`, or `name` when unversioned.
    public var key: String { version.map { "\(name)/\($0)" } ?? name }

    /// The result key of an aggregation, by MLflow's rule.
    public func resultKey(for aggregation: Aggregation) -> String {
        aggregation.name == name ? key : "\(key)/\(aggregation.name)"
    }

    /// "higher is better", "lower is better" or "no direction".
    public var directionLabel: String {
        switch greaterIsBetter {
        case true?: "higher is better"
        case false?: "lower is better"
        case nil: "no direction"
        }
    }
}
