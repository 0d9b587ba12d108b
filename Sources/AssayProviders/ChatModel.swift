public import Assay
import Foundation
import NIOConcurrencyHelpers

/// A chat model behind an HTTP API, as a ``LanguageModel``: it renders the prompt for each row, asks
/// the response cache, sends the request with retries and adaptive rate limiting, and reports tokens,
/// cost and latency.
///
/// ```swift
/// let spec = ModelSpec(model: try ModelURI("openai:/gpt-4o-mini"),
///                      messages: [MessageTemplate(role: "user", content: try PromptTemplate("{inputs}"))])
/// let model = try ChatModel(spec: spec, cache: try ResponseCache(directory: ResponseCache.defaultDirectory()))
/// let result = try await evaluate(data, model: model, targets: "ground_truth", modelType: .questionAnswering)
/// await model.shutdown()
/// ```
public final class ChatModel: LanguageModel {
    /// How the response cache is used.
    public enum CachePolicy: Sendable {
        /// Answer from the cache when it can, store new answers.
        case use
        /// Ask the model again and overwrite what the cache holds.
        case refresh
        /// Neither read nor write the cache.
        case bypass
    }

    /// Counts of what the model did in this process.
    public typealias Activity = ModelActivity

    public let identifier: String
    /// The spec this model was made from.
    public let spec: ModelSpec
    /// The resolved endpoint.
    public let endpoint: ProviderEndpoint
    let transport: HTTPTransport
    let cache: ResponseCache?
    let cachePolicy: CachePolicy
    let prices: PriceTable
    let budget: CostBudget?
    private let activityBox = NIOLockedValueBox(Activity())

    /// Creates the model; resolves the endpoint now, so a missing key or setting fails before any row.
    public init(
        spec: ModelSpec, options: ProviderOptions = .init(), cache: ResponseCache? = nil,
        cachePolicy: CachePolicy = .use, prices: PriceTable = .builtIn, budget: CostBudget? = nil
    ) throws(AssayError) {
        var options = options
        if let baseURL = spec.baseURL, options.baseURL == nil { options.baseURL = baseURL }
        if let proxyURL = spec.proxyURL, options.proxyURL == nil { options.proxyURL = proxyURL }
        options.extraHeaders.merge(spec.extraHeaders) { cli, _ in cli }
        self.spec = spec
        self.identifier = spec.model.description
        self.endpoint = try ProviderEndpoint(spec.model, options: options)
        if let budget, prices.price(for: spec.model.model) == nil {
            throw .needs(
                .price(model: spec.model.model),
                String(
                    format: "a spending limit of $%.2f needs the price of %@, which is not in the price table", budget.limit,
                    spec.model.model))
        }
        self.transport = HTTPTransport(options: options)
        self.cache = cachePolicy == .bypass ? nil : cache
        self.cachePolicy = cachePolicy
        self.prices = prices
        self.budget = budget
    }

    /// What the model has done so far.
    public var activity: Activity {
        var activity = activityBox.withLockedValue { $0 }
        activity.requests = transport.requestsSent
        return activity
    }

    /// The prompt's messages; with none given, the row's `inputs` column as one user message.
    /// The model URI, the prompt's messages (as JSON) and the inference parameters.
    public var runParams: [KeyValue] {
        let prompt = DataValue.list(
            messageTemplates.map { .object(["role": .string($0.role), "content": .string($0.content.source)]) })
        return [KeyValue("model", identifier), KeyValue("prompt", prompt.description)]
            + spec.parameters.sorted { $0.key < $1.key }.map { KeyValue($0.key, $0.value.text) }
    }

    /// The model's spec (`model/spec.yaml`: URI, base URL, messages, parameters; never secrets), which
    /// `--model runs:/RUN_ID/model` evaluates again.
    public var runFiles: [(path: String, contents: String)] {
        [(path: "model/spec.yaml", contents: spec.yaml)]
    }

    public var messageTemplates: [MessageTemplate] {
        if !spec.messages.isEmpty { return spec.messages }
        return [MessageTemplate(role: "user", content: try! PromptTemplate("{inputs}"))]
    }

    public func validate(columns: [String]) throws(AssayError) {
        for message in messageTemplates { try message.content.validate(columns: columns) }
    }

    /// The messages sent for a row.
    public func messages(for row: DataRow) throws(AssayError) -> [ChatMessage] {
        var messages: [ChatMessage] = []
        for template in messageTemplates {
            messages.append(ChatMessage(role: template.role, content: try template.content.render(row)))
        }
        return messages
    }

    /// The exact request body sent for a row (keys sorted, so equal requests are equal bytes).
    public func requestBody(for row: DataRow) throws(AssayError) -> [UInt8] {
        let body = endpoint.dialect.body(model: spec.model.model, messages: try messages(for: row), parameters: spec.parameters)
        return Array(body.description.utf8)
    }

    public func respond(to row: DataRow) async throws -> ModelResponse {
        let reply = try await send(
            body: try requestBody(for: row), sample: row.sample, promptTokens: { () throws(AssayError) in try self.promptTokens(for: row) },
            maxCompletionTokens: maxCompletionTokens)
        return ModelResponse(
            output: .string(reply.text), usage: reply.usage, cost: reply.cost, cached: reply.cached, latency: reply.latency)
    }

    /// What one send produced.
    struct SentReply {
        var text: String
        /// The provider's raw reply (from the cache, the body recorded then).
        var body: [UInt8]
        var usage: TokenUsage?
        var cost: Double?
        var cached: Bool
        var latency: Double
    }

    /// Answers a request body from the cache or by sending it, within the budget.
    func send(
        body: [UInt8], sample: Int, promptTokens: () throws(AssayError) -> Int, maxCompletionTokens: Int?
    ) async throws -> SentReply {
        let key = ResponseCache.key(
            provider: spec.model.provider.rawValue, model: spec.model.model, url: endpoint.url, body: body, sample: sample)
        if let cache, cachePolicy == .use, let entry = try await cache.entry(for: key) {
            activityBox.withLockedValue { $0.cacheHits += 1 }
            return SentReply(
                text: entry.output, body: Array(entry.body.utf8), usage: entry.usage, cost: entry.cost, cached: true, latency: entry.latency)
        }
        var reservation = 0.0
        if let budget, let price = prices.price(for: spec.model.model) {
            reservation = try await budget.reserve(
                promptTokens: try promptTokens(), maxCompletionTokens: maxCompletionTokens, price: price)
        }
        activityBox.withLockedValue { $0.calls += 1 }
        let dialect = endpoint.dialect
        let reply: HTTPTransport.Reply
        do {
            reply = try await transport.post(url: endpoint.url, headers: endpoint.headers, body: body) { dialect.parse($0) != nil }
        } catch {
            await budget?.settle(reservation: reservation, cost: 0, usage: nil)
            throw error
        }
        guard let (text, usage) = dialect.parse(reply.body) else {
            await budget?.settle(reservation: reservation, cost: 0, usage: nil)
            throw AssayError(.serviceFailure, "the reply could not be read")
        }
        let cost = usage.flatMap { prices.cost(model: spec.model.model, usage: $0) }
        await budget?.settle(reservation: reservation, cost: cost ?? 0, usage: usage)
        if let cache {
            let entry = ResponseCache.Entry(
                output: text, body: String(decoding: reply.body, as: UTF8.self), latency: reply.seconds, usage: usage, cost: cost)
            try await cache.store(entry, for: key, provider: spec.model.provider.rawValue, model: spec.model.model)
        }
        return SentReply(text: text, body: reply.body, usage: usage, cost: cost, cached: false, latency: reply.seconds)
    }

    /// The `max_tokens` parameter, when set.
    var maxCompletionTokens: Int? {
        spec.parameters["max_tokens"]?.doubleValue.map { Int($0) }
    }

    /// Prompt tokens of a row's request as the `cl100k_base` tokenizer counts them, with OpenAI's chat
    /// overhead of 3 tokens per message and 3 for the reply.
    func promptTokens(for row: DataRow) throws(AssayError) -> Int {
        let tokenizer = try BPETokenizer.cl100kBase()
        return try messages(for: row).reduce(3) { $0 + 3 + tokenizer.count($1.content) }
    }

    /// Closes the HTTP connections; call when done with the model.
    public func shutdown() async {
        await transport.shutdown()
    }
}

/// Counts of what a live model (a chat model, an HTTP endpoint, a command) did in this process.
public struct ModelActivity: Sendable, Equatable {
    /// Rows sent to the model (answered, failed or interrupted).
    public var calls = 0
    /// Rows answered from the cache.
    public var cacheHits = 0
    /// Requests made for those rows, retries included (for a command: the times it was run).
    public var requests = 0
}

extension ChatModel: ChatCompleting {
    /// Completes a judge's (or any) chat request through the same cache, budget and transport as
    /// the model's own rows. An output schema is sent as structured output where the provider takes one.
    public func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        var parameters = spec.parameters.merging(request.parameters) { _, requested in requested }
        if let schema = request.outputSchema, parameters["response_format"] == nil,
            let format = endpoint.structuredOutput(schema)
        {
            parameters["response_format"] = format
        }
        let body = Array(
            endpoint.dialect.body(model: spec.model.model, messages: request.messages, parameters: parameters).description.utf8)
        let tokenizer = try BPETokenizer.cl100kBase()
        let reply = try await send(
            body: body, sample: request.sample,
            promptTokens: { request.messages.reduce(3) { $0 + 3 + tokenizer.count($1.content) } },
            maxCompletionTokens: parameters["max_tokens"]?.doubleValue.map { Int($0) })
        return ChatCompletion(text: reply.text, usage: reply.usage, cost: reply.cost, cached: reply.cached)
    }
}

extension ProviderEndpoint {
    /// The `response_format` that asks this endpoint for JSON following `schema`, or nil when it has
    /// no such option (the judge's answer is then read from free text).
    func structuredOutput(_ schema: DataValue) -> DataValue? {
        switch dialect {
        case .openAI where url.contains("api.openai.com"), .azure:
            return .object(["type": "json_schema", "json_schema": .object(["name": "judgement", "schema": schema])])
        case .openAI:
            // OpenAI-compatible servers (llama.cpp, vLLM, Ollama) take a schema with json_object.
            return .object(["type": "json_object", "schema": schema])
        case .anthropic, .gateway:
            return nil
        }
    }
}
