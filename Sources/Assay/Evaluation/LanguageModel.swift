/// A model that answers one dataset row: the seam between the evaluation engine and whatever produces
/// outputs (an HTTP chat model, a local function, a cached replay).
///
/// ```swift
/// struct Shouty: LanguageModel {
///     var identifier: String { "shouty" }
///     func respond(to row: DataRow) async throws -> ModelResponse {
///         ModelResponse(output: .string(row["inputs"].text.uppercased()))
///     }
/// }
/// ```
public protocol LanguageModel: Sendable {
    /// A name for the model in results, such as a model URI (`openai:/gpt-4o-mini`).
    var identifier: String { get }
    /// Answers one row. Throwing records the error for that row and the evaluation goes on, except
    /// for an ``AssayError`` of kind `invalidInput` (bad credentials, a rejected request), which would
    /// fail every row alike and so stops the run.
    func respond(to row: DataRow) async throws -> ModelResponse
    /// Checks, before any row runs, that the dataset has the columns the model reads (its prompt's
    /// placeholders). The default accepts any columns.
    func validate(columns: [String]) throws(AssayError)
    /// What a run records of the model as params (a live model's URI, prompt and settings). None by default.
    var runParams: [KeyValue] { get }
    /// Files a run keeps of the model, by path within its artifacts (`model/spec.yaml`). None by default.
    var runFiles: [(path: String, contents: String)] { get }
    /// The names of the further outputs (``ModelResponse/otherOutputs``) the model gives for each row,
    /// such as `context` for the documents an application retrieved. Each becomes a column of the row
    /// that metrics and judges read (replacing a dataset column of that name) and of the results
    /// table. None by default.
    var outputColumns: [String] { get }
}

extension LanguageModel {
    public func validate(columns: [String]) throws(AssayError) {}
    public var runParams: [KeyValue] { [] }
    public var runFiles: [(path: String, contents: String)] { [] }
    public var outputColumns: [String] { [] }
}

/// A model's answer to one row.
public struct ModelResponse: Sendable {
    /// The main output, which metrics score.
    public var output: DataValue
    /// Further named outputs (retrieved documents, say) that metrics and judges read as columns; the
    /// model lists their names in ``LanguageModel/outputColumns``.
    public var otherOutputs: [String: DataValue]
    /// Tokens the call used, when the provider reports them.
    public var usage: TokenUsage?
    /// What the call cost in US dollars, when the model's prices are known.
    public var cost: Double?
    /// Whether the answer came from a response cache rather than a call.
    public var cached: Bool
    /// The seconds the call took when it was made; for a cached answer, the time recorded then.
    /// When nil, the engine's own measurement is used.
    public var latency: Double?

    /// Creates a response.
    public init(
        output: DataValue, otherOutputs: [String: DataValue] = [:], usage: TokenUsage? = nil, cost: Double? = nil,
        cached: Bool = false, latency: Double? = nil
    ) {
        self.output = output
        self.otherOutputs = otherOutputs
        self.usage = usage
        self.cost = cost
        self.cached = cached
        self.latency = latency
    }
}

/// Tokens a model call used.
public struct TokenUsage: Sendable, Hashable {
    /// Tokens of the prompt.
    public var promptTokens: Int
    /// Tokens of the completion.
    public var completionTokens: Int

    /// Creates a usage record.
    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}

/// A ``LanguageModel`` made from a closure, for evaluating any Swift function.
///
/// ```swift
/// let model = ClosureModel("echo") { row in ModelResponse(output: row["inputs"]) }
/// ```
public struct ClosureModel: LanguageModel {
    public let identifier: String
    private let body: @Sendable (DataRow) async throws -> ModelResponse

    /// Wraps a closure as a model.
    public init(_ identifier: String, _ body: @escaping @Sendable (DataRow) async throws -> ModelResponse) {
        self.identifier = identifier
        self.body = body
    }

    public func respond(to row: DataRow) async throws -> ModelResponse {
        try await body(row)
    }
}
