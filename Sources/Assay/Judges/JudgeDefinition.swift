import Foundation

/// An LLM-as-a-judge metric: what it measures, how to score, on which scale, from which columns.
/// The Swift counterpart of MLflow's `make_genai_metric`.
///
/// ```swift
/// var conciseness = JudgeDefinition(
///     name: "conciseness",
///     definition: "How briefly the output answers, without losing what matters.",
///     rubric: "1: rambling or padded. 3: some filler. 5: nothing to cut.")
/// conciseness.examples = [JudgeExample(input: "What is 2+2?", output: "4.", score: 5, justification: "Nothing to cut.")]
/// let metric = Metric.judge(conciseness, model: judgeModel)
/// ```
public struct JudgeDefinition: Sendable, Hashable {
    /// The metric's name (the result keys start with it).
    public var name: String
    /// Its version; `v1` for the built-ins.
    public var version: String
    /// What the metric measures.
    public var definition: String
    /// How to score: what each level of the scale means.
    public var rubric: String
    /// Graded examples shown to the judge.
    public var examples: [JudgeExample]
    /// Extra columns the judge sees, by argument name (`targets`, `context`, or any column; the column
    /// mapping applies).
    public var gradingContextColumns: [String]
    /// Whether the judge sees the input (the question).
    public var includeInput: Bool
    /// The judge model, or nil for the run's default judge (`--judge`).
    public var model: ModelURI?
    /// Inference parameters for the judge; default temperature 0, max_tokens 200, top_p 1.
    public var parameters: [String: DataValue]
    /// How the scores are summarised.
    public var aggregations: [Aggregation]
    /// Whether a higher score is better.
    public var greaterIsBetter: Bool
    /// The most judge calls of this metric in flight at once.
    public var maxWorkers: Int
    /// The scale the judge scores on.
    public var scale: JudgeScale
    /// A full request URL for the judge model (MLflow's `proxy_url`); never stored with results.
    public var proxyURL: String?
    /// Extra request headers for the judge model; never stored with results.
    public var extraHeaders: [String: String] = [:]

    /// The default inference parameters of a judge.
    public static let defaultParameters: [String: DataValue] = ["temperature": 0.0, "max_tokens": 200, "top_p": 1.0]

    /// Creates a judge definition.
    public init(
        name: String, version: String = "v1", definition: String, rubric: String, examples: [JudgeExample] = [],
        gradingContextColumns: [String] = [], includeInput: Bool = true, model: ModelURI? = nil,
        parameters: [String: DataValue] = JudgeDefinition.defaultParameters, aggregations: [Aggregation] = Aggregation.standard,
        greaterIsBetter: Bool = true, maxWorkers: Int = 10, scale: JudgeScale = .integers(1...5)
    ) {
        self.name = name
        self.version = version
        self.definition = definition
        self.rubric = rubric
        self.examples = examples
        self.gradingContextColumns = gradingContextColumns
        self.includeInput = includeInput
        self.model = model
        self.parameters = parameters
        self.aggregations = aggregations
        self.greaterIsBetter = greaterIsBetter
        self.maxWorkers = maxWorkers
        self.scale = scale
    }

    /// The key results use: `name/version`.
    public var key: String { "\(name)/\(version)" }
}

/// A graded example shown to a judge.
public struct JudgeExample: Sendable, Hashable {
    /// The question, if the judge sees inputs.
    public var input: String?
    /// The output that was graded.
    public var output: String
    /// The score it got.
    public var score: Double
    /// Why.
    public var justification: String
    /// The grading context columns' values for the example.
    public var gradingContext: [String: String]

    public init(input: String? = nil, output: String, score: Double, justification: String, gradingContext: [String: String] = [:]) {
        self.input = input
        self.output = output
        self.score = score
        self.justification = justification
        self.gradingContext = gradingContext
    }
}

extension JudgeDefinition {
    /// A definition from a parsed YAML or JSON document (the keys of MLflow's `make_genai_metric`:
    /// `name`, `definition`, `grading_prompt`, `examples`, `grading_context_columns`, `include_input`,
    /// `model`, `parameters`, `aggregations`, `greater_is_better`, `max_workers`, `version`, plus
    /// `scale`: `{type: integer, min: 1, max: 5}`, `{type: number, min: 0, max: 1}`, `{type: boolean}`
    /// or `{type: categories, labels: {pass: 1, fail: 0}}`).
    public init(document: DataValue, source: String) throws(AssayError) {
        guard case .object(let fields) = document else { throw .invalidInput("\(source): a judge definition must be a mapping") }
        if fields["type"]?.stringValue == "pairwise" {
            throw .invalidInput("\(source): a pairwise judge (type: pairwise) compares two runs' outputs; it does not score one run")
        }
        let known: Set = [
            "name", "version", "definition", "grading_prompt", "rubric", "examples", "grading_context_columns",
            "include_input", "model", "parameters", "aggregations", "greater_is_better", "max_workers", "scale",
            "metric_metadata", "mlflow_version", "fn_name", "proxy_url", "extra_headers",
        ]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw .invalidInput("\(source): unknown key '\(unknown)'; a judge has \(known.sorted().joined(separator: ", "))")
        }
        func text(_ key: String) throws(AssayError) -> String {
            guard let value = fields[key]?.stringValue, !value.isEmpty else { throw .invalidInput("\(source): '\(key)' is missing") }
            return value
        }
        let name = try text("name")
        guard !name.contains("/") else { throw .invalidInput("\(source): judge name '\(name)' must not contain '/'") }
        let rubric = fields["grading_prompt"]?.stringValue ?? fields["rubric"]?.stringValue
        guard let rubric, !rubric.isEmpty else { throw .invalidInput("\(source): 'grading_prompt' (the rubric) is missing") }
        self.init(name: name, definition: try text("definition"), rubric: rubric)
        let common = try JudgeFileFields(fields, source: source)
        if let version = common.version { self.version = version }
        if let columns = common.gradingContextColumns { gradingContextColumns = columns }
        if let include = common.includeInput { includeInput = include }
        model = common.model
        proxyURL = common.proxyURL
        extraHeaders = common.extraHeaders
        if let values = common.parameters { parameters = values }
        if case .list(let names)? = fields["aggregations"] {
            var aggregations: [Aggregation] = []
            for name in names {
                guard let aggregation = Aggregation(named: name.text) else {
                    throw .invalidInput("\(source): unknown aggregation '\(name.text)'; use mean, variance, p90, median, min, max or ratio")
                }
                aggregations.append(aggregation)
            }
            self.aggregations = aggregations
        }
        if case .bool(let greater)? = fields["greater_is_better"] { greaterIsBetter = greater }
        if let workers = common.maxWorkers { maxWorkers = workers }
        // A definition read back from genai_custom_metrics.json keeps its scale in metric_metadata.
        if case .object(let metadata)? = fields["metric_metadata"], let scale = metadata["scale"], fields["scale"] == nil {
            self.scale = try Self.scale(scale, source: source)
        }
        if let scale = fields["scale"] { self.scale = try Self.scale(scale, source: source) }
        if case .list(let items)? = fields["examples"] {
            examples = try items.enumerated().map { i, item throws(AssayError) in
                guard case .object(let example) = item, let output = example["output"]?.stringValue,
                    let score = example["score"]?.doubleValue
                else {
                    throw .invalidInput("\(source): example \(i + 1) needs 'output' and a numeric 'score'")
                }
                var context: [String: String] = [:]
                if case .object(let values)? = example["grading_context"] { context = values.mapValues(\.text) }
                return JudgeExample(
                    input: example["input"]?.stringValue, output: output, score: score,
                    justification: example["justification"]?.stringValue ?? "", gradingContext: context)
            }
        }
    }

    private static func scale(_ value: DataValue, source: String) throws(AssayError) -> JudgeScale {
        guard case .object(let fields) = value, let type = fields["type"]?.stringValue else {
            throw .invalidInput("\(source): 'scale' needs a 'type': integer, number, boolean or categories")
        }
        switch type {
        case "integer":
            guard let low = fields["min"]?.doubleValue, let high = fields["max"]?.doubleValue, low < high else {
                throw .invalidInput("\(source): an integer scale needs 'min' < 'max'")
            }
            return .integers(Int(low)...Int(high))
        case "number":
            guard let low = fields["min"]?.doubleValue, let high = fields["max"]?.doubleValue, low < high else {
                throw .invalidInput("\(source): a number scale needs 'min' < 'max'")
            }
            return .numbers(low...high)
        case "boolean":
            return .boolean
        case "categories":
            guard case .object(let labels)? = fields["labels"], !labels.isEmpty else {
                throw .invalidInput("\(source): a categories scale needs 'labels': {label: score, ...}")
            }
            var scores: [String: Double] = [:]
            for (label, score) in labels {
                guard let number = score.doubleValue else { throw .invalidInput("\(source): label '\(label)' needs a numeric score") }
                scores[label] = number
            }
            return .categories(scores)
        default:
            throw .invalidInput("\(source): unknown scale type '\(type)'; use integer, number, boolean or categories")
        }
    }

    /// The `metric_args` MLflow stores in `genai_custom_metrics.json` (credentials never included).
    var metricArguments: DataValue {
        var scaleValue: DataValue
        switch scale {
        case .integers(let r): scaleValue = .object(["type": "integer", "min": .int(r.lowerBound), "max": .int(r.upperBound)])
        case .numbers(let r): scaleValue = .object(["type": "number", "min": .double(r.lowerBound), "max": .double(r.upperBound)])
        case .boolean: scaleValue = .object(["type": "boolean"])
        case .categories(let labels): scaleValue = .object(["type": "categories", "labels": .object(labels.mapValues(DataValue.double))])
        }
        let exampleValues: [DataValue] = examples.map { example in
            .object([
                "grading_context": example.gradingContext.isEmpty ? .null : .object(example.gradingContext.mapValues(DataValue.string)),
                "input": example.input.map(DataValue.string) ?? .null, "justification": .string(example.justification),
                "output": .string(example.output), "score": .double(example.score),
            ])
        }
        return .object([
            "name": .string(name), "definition": .string(definition), "grading_prompt": .string(rubric),
            "examples": examples.isEmpty ? .null : .list(exampleValues), "version": .string(version),
            "model": model.map { .string($0.description) } ?? .null,
            "grading_context_columns": .list(gradingContextColumns.map(DataValue.string)),
            "include_input": .bool(includeInput), "parameters": .object(parameters),
            "aggregations": .list(aggregations.map { .string($0.name) }), "greater_is_better": .bool(greaterIsBetter),
            "max_workers": .int(maxWorkers), "metric_metadata": .object(["scale": scaleValue]), "mlflow_version": .null,
            "fn_name": "make_genai_metric",
        ])
    }
}

/// The fields a judge file and a pairwise judge file share: `version`, `grading_context_columns`,
/// `include_input`, `model`, `parameters`, `max_workers`, `proxy_url`, `extra_headers`.
struct JudgeFileFields {
    var version: String?
    var gradingContextColumns: [String]?
    var includeInput: Bool?
    var model: ModelURI?
    var parameters: [String: DataValue]?
    var maxWorkers: Int?
    var proxyURL: String?
    var extraHeaders: [String: String] = [:]

    init(_ fields: [String: DataValue], source: String) throws(AssayError) {
        version = fields["version"]?.stringValue
        switch fields["grading_context_columns"] {
        case .string(let column)?: gradingContextColumns = [column]
        case .list(let columns)?: gradingContextColumns = columns.map(\.text)
        case .null?, nil: break
        default: throw .invalidInput("\(source): 'grading_context_columns' must be a list of column names")
        }
        if case .bool(let include)? = fields["include_input"] { includeInput = include }
        if let uri = fields["model"]?.stringValue { model = try ModelURI(uri) }
        if case .object(let values)? = fields["parameters"] { parameters = values }
        if let workers = fields["max_workers"]?.doubleValue { maxWorkers = max(1, Int(workers)) }
        proxyURL = fields["proxy_url"]?.stringValue
        if case .object(let headers)? = fields["extra_headers"] { extraHeaders = headers.mapValues(\.text) }
    }
}
