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
    /// Answers one row. Throwing records the error for that row; the evaluation goes on.
    func respond(to row: DataRow) async throws -> ModelResponse
}

/// A model's answer to one row.
public struct ModelResponse: Sendable {
    /// The main output, which metrics score.
    public var output: DataValue
    /// Further named outputs (retrieved documents, say) that metrics may read by name.
    public var otherOutputs: [String: DataValue]

    /// Creates a response.
    public init(output: DataValue, otherOutputs: [String: DataValue] = [:]) {
        self.output = output
        self.otherOutputs = otherOutputs
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
