/// A metric's results over a whole evaluation, as MLflow's `MetricValue` holds them.
///
/// A custom metric returns one: per-row `scores` (nil for a row it could not score), optional per-row
/// `justifications`, and optional `aggregateResults`. When `aggregateResults` is nil and there are
/// scores, Assay fills in the metric's aggregations (mean, variance and p90 by default); an empty map
/// means "no aggregates".
public struct MetricValue: Sendable, Equatable {
    /// One score per row, nil where the row has none.
    public var scores: [Double?]
    /// One justification per row, when the metric explains its scores.
    public var justifications: [String?]?
    /// Named aggregates; nil to have them computed from `scores`.
    public var aggregateResults: [String: Double]?

    /// Creates a metric value.
    public init(scores: [Double?] = [], justifications: [String?]? = nil, aggregateResults: [String: Double]? = nil) {
        self.scores = scores
        self.justifications = justifications
        self.aggregateResults = aggregateResults
    }
}

/// A metric's score for one row, with an optional explanation.
public struct RowScore: Sendable, Equatable {
    /// The score, or nil when the row cannot be scored (a missing prediction, say).
    public var value: Double?
    /// Why the row got its score, for judges and for rows that could not be scored.
    public var justification: String?
    /// Whether a judge answered but the answer could not be read or was off the scale.
    public var invalid = false
    /// With repeated judge asks, the standard deviation of the valid scores.
    public var repeatSpread: Double?
    /// With repeated judge asks, whether every ask gave the same valid score.
    public var repeatsAgree: Bool?

    /// Creates a row score.
    public init(_ value: Double?, justification: String? = nil) {
        self.value = value
        self.justification = justification
    }
}

/// What a per-row metric sees of one row: the prediction, the target, the inputs, and every column.
public struct MetricRow: Sendable {
    /// The dataset row, all columns included.
    public let row: DataRow
    /// The model's output (or the predictions column in a static evaluation).
    public let prediction: DataValue
    /// The target (ground truth), when the evaluation has a targets column.
    public let target: DataValue?
    /// The value of the inputs column, when the dataset has one.
    public let inputs: DataValue?
    /// The name of the column predictions come from (`outputs` for a live model).
    public let predictionColumn: String
    /// The name of the targets column, or `targets` when there is none.
    public let targetColumn: String
    let mapping: [String: String]

    /// Creates a metric row.
    public init(
        row: DataRow, prediction: DataValue, target: DataValue?, inputs: DataValue?,
        predictionColumn: String = "outputs", targetColumn: String = "targets", mapping: [String: String] = [:]
    ) {
        self.row = row
        self.prediction = prediction
        self.target = target
        self.inputs = inputs
        self.predictionColumn = predictionColumn
        self.targetColumn = targetColumn
        self.mapping = mapping
    }

    /// A named argument, through the column mapping: `argument("context")` reads the column mapped to
    /// `context` (with `--col-map context=passages`), else the column `context`.
    public func argument(_ name: String) -> DataValue {
        row[mapping[name] ?? name]
    }
}

/// The whole evaluation as a custom metric sees it: columns as arrays, and the metrics computed so far.
public struct EvaluationFrame: Sendable {
    /// The predictions (model outputs), one per row.
    public let predictions: [DataValue]
    /// The targets, when the evaluation has a targets column.
    public let targets: [DataValue]?
    /// The rows, all columns included.
    public let rows: [DataRow]
    /// Metrics already computed, keyed by `name` or `name/version` (such as `rouge1/v1`).
    public let metrics: [String: MetricValue]
    let mapping: [String: String]

    /// The values of a column (through the column mapping), or nil when no row has it.
    public func column(_ name: String) -> [DataValue]? {
        let column = mapping[name] ?? name
        guard rows.contains(where: { $0.columns.contains(column) }) else { return nil }
        return rows.map { $0[column] }
    }

    /// The inputs column, when the dataset has one.
    public var inputs: [DataValue]? { column("inputs") }
}
