/// A chat model that completes a list of messages: what a judge needs of a model.
///
/// `ChatModel` (in AssayProviders) implements it over HTTP with the response cache, retries and rate
/// limiting; tests and Swift users can implement it with anything.
public protocol ChatCompleting: Sendable {
    /// The model's URI or name, recorded with the judge's results.
    var identifier: String { get }
    /// Completes one request.
    func complete(_ request: ChatRequest) async throws -> ChatCompletion
}

/// One chat request.
public struct ChatRequest: Sendable {
    /// The messages.
    public var messages: [ChatMessage]
    /// Inference parameters (temperature, max_tokens, top_p, seed, ...).
    public var parameters: [String: DataValue]
    /// A JSON schema the reply should follow, sent as structured output where the provider supports it.
    public var outputSchema: DataValue?
    /// Which sample this is, for repeated asks of the same request (part of the cache key).
    public var sample: Int

    public init(messages: [ChatMessage], parameters: [String: DataValue] = [:], outputSchema: DataValue? = nil, sample: Int = 0) {
        self.messages = messages
        self.parameters = parameters
        self.outputSchema = outputSchema
        self.sample = sample
    }
}

/// A chat model's reply.
public struct ChatCompletion: Sendable {
    /// The reply's text.
    public var text: String
    /// Tokens used, when reported.
    public var usage: TokenUsage?
    /// Dollars, when the price is known.
    public var cost: Double?
    /// Whether the reply came from the response cache.
    public var cached: Bool

    public init(text: String, usage: TokenUsage? = nil, cost: Double? = nil, cached: Bool = false) {
        self.text = text
        self.usage = usage
        self.cost = cost
        self.cached = cached
    }
}
