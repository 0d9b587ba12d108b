public import Assay
import NIOConcurrencyHelpers

/// What an application model does around each call, whatever carries it (HTTP or a command): the
/// response cache, the budget, the activity counts, and reading the reply into a response.
final class ApplicationCalls: Sendable {
    let format: ReplyFormat
    let cache: ResponseCache?
    let cachePolicy: ChatModel.CachePolicy
    let budget: CostBudget?
    /// The cache's provider column (`http`, `exec`) and the model's identifier.
    let provider: String
    let identifier: String
    private let activityBox = NIOLockedValueBox(ModelActivity())

    init(
        format: ReplyFormat, cache: ResponseCache?, cachePolicy: ChatModel.CachePolicy, budget: CostBudget?, provider: String,
        identifier: String
    ) {
        self.format = format
        self.cache = cachePolicy == .bypass ? nil : cache
        self.cachePolicy = cachePolicy
        self.budget = budget
        self.provider = provider
        self.identifier = identifier
    }

    var activity: ModelActivity { activityBox.withLockedValue { $0 } }

    /// Checks that the request's placeholders name columns of the dataset.
    func validate(_ placeholders: [String], columns: [String], owner: String) throws(AssayError) {
        for name in placeholders where !columns.contains(name) {
            throw .invalidInput(
                "\(owner)'s placeholder {\(name)} names no column; the dataset's columns are: "
                    + columns.map { "'\($0)'" }.joined(separator: ", "))
        }
    }

    /// The cache key of a call: what identifies the request, and the application's version.
    func key(version: String?, target: String, request: [UInt8], sample: Int) -> String {
        ResponseCache.key(provider: provider, model: version ?? "", url: target, body: request, sample: sample)
    }

    /// The cached answer for a key, read again with today's reply paths; nil when there is none to use.
    func cached(_ key: String) async throws -> ModelResponse? {
        guard let cache, cachePolicy == .use, let entry = try await cache.entry(for: key),
            case .answer(var response) = format.read(Array(entry.body.utf8))
        else { return nil }
        activityBox.withLockedValue { $0.cacheHits += 1 }
        response.cached = true
        response.latency = entry.latency
        return response
    }

    /// Runs one call within the budget (an application reports its cost only afterwards, so a call is
    /// let through while anything is left) and reads its reply; `rename` adapts the reading's error
    /// messages to what the reply is (a command's output).
    func call(
        key: String, rename: @Sendable (String) -> String = { $0 },
        _ send: () async throws -> (reply: [UInt8], seconds: Double, note: String)
    ) async throws -> ModelResponse {
        try await budget?.admit()
        activityBox.withLockedValue { $0.calls += 1 }
        let sent: (reply: [UInt8], seconds: Double, note: String)
        do {
            sent = try await send()
        } catch {
            await budget?.settle(reservation: 0, cost: 0, usage: nil)
            throw error
        }
        switch format.read(sent.reply) {
        case .answer(var response):
            await budget?.settle(reservation: 0, cost: response.cost ?? 0, usage: response.usage)
            response.latency = sent.seconds
            if let cache {
                let entry = ResponseCache.Entry(
                    output: response.output.text, body: String(decoding: sent.reply, as: UTF8.self), latency: sent.seconds,
                    usage: response.usage, cost: response.cost)
                try await cache.store(entry, for: key, provider: provider, model: identifier)
            }
            return response
        case .malformed(let problem), .failed(let problem):
            await budget?.settle(reservation: 0, cost: 0, usage: nil)
            throw AssayError(.serviceFailure, rename(problem) + sent.note)
        }
    }
}
