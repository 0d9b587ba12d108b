public import Assay
import Foundation

extension JudgeDefinition {
    /// Reads judge definitions from a YAML or JSON file: one definition, or a list of them.
    public static func load(_ path: String) throws(AssayError) -> [JudgeDefinition] {
        let document = try ModelSpec.loadObject(path)
        if case .list(let items) = document {
            return try items.enumerated().map { i, item throws(AssayError) in
                try JudgeDefinition(document: item, source: "\(path), judge \(i + 1)")
            }
        }
        return [try JudgeDefinition(document: document, source: path)]
    }
}

extension PairwiseJudge {
    /// Reads a pairwise judge (`type: pairwise`) from a YAML or JSON file.
    public static func load(_ path: String) throws(AssayError) -> PairwiseJudge {
        try PairwiseJudge(document: try ModelSpec.loadObject(path), source: path)
    }
}

/// Judge models by URI for one run, sharing the response cache, so that judges naming the same model
/// share its connections and rate limit.
public final class JudgeModels: @unchecked Sendable {
    // `models` is read and written only while `lock` is held; everything else is immutable.
    private let lock = NSLock()
    private let options: ProviderOptions
    private let cache: ResponseCache?
    private let policy: ChatModel.CachePolicy
    private let prices: PriceTable
    private let budget: CostBudget?
    private var models: [String: ChatModel] = [:]

    /// Judge models made with these settings.
    public init(
        options: ProviderOptions, cache: ResponseCache?, cachePolicy: ChatModel.CachePolicy, prices: PriceTable,
        budget: CostBudget?
    ) {
        self.options = options
        self.cache = cache
        self.policy = cachePolicy
        self.prices = prices
        self.budget = budget
    }

    /// The model for a URI (with an optional proxy URL and extra headers), made on first use.
    public func model(_ uri: ModelURI, proxyURL: String? = nil, extraHeaders: [String: String] = [:]) throws(AssayError) -> ChatModel {
        let key = ([uri.description, proxyURL ?? ""] + extraHeaders.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
            .joined(separator: "\n")
        let spec = ModelSpec(model: uri, proxyURL: proxyURL, extraHeaders: extraHeaders)
        lock.lock()
        defer { lock.unlock() }
        if let existing = models[key] { return existing }
        let model = try ChatModel(spec: spec, options: options, cache: cache, cachePolicy: policy, prices: prices, budget: budget)
        models[key] = model
        return model
    }

    /// The model a judge definition names, or nil when it names none.
    public func model(for definition: JudgeDefinition) throws(AssayError) -> ChatModel? {
        guard let uri = definition.model else { return nil }
        return try model(uri, proxyURL: definition.proxyURL, extraHeaders: definition.extraHeaders)
    }

    /// Calls made and cache hits over all judge models.
    public var activity: ChatModel.Activity {
        lock.withLock { Array(models.values) }.reduce(into: ChatModel.Activity()) { total, model in
            total.calls += model.activity.calls
            total.cacheHits += model.activity.cacheHits
        }
    }

    /// Closes every judge model's connections.
    public func shutdown() async {
        for model in lock.withLock({ Array(models.values) }) { await model.shutdown() }
    }
}
