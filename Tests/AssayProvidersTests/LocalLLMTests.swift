import Assay
import AssayProviders
import AssayTesting
import Foundation
import Testing

/// End to end against the real local model (`scripts/local-llm start`); `.ci/run` sets ASSAY_LLM_URL.
/// Real generation is not predictable, so these tests check structure, not wording.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ASSAY_LLM_URL"] != nil, "set ASSAY_LLM_URL, or run scripts/test"))
struct LocalLLMTests {
    static var baseURL: String { ProcessInfo.processInfo.environment["ASSAY_LLM_URL"] ?? "" }

    static var examples: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/qa.jsonl").path
    }

    static func model(cache: String) throws -> ChatModel {
        var options = ProviderOptions()
        options.baseURL = baseURL
        options.timeout = .seconds(120)
        options.concurrency = 2
        let spec = ModelSpec(
            model: try ModelURI("openai:/gemma-3-270m"),
            messages: [
                MessageTemplate(role: "system", content: try PromptTemplate("Answer the following question in two sentences")),
                MessageTemplate(role: "user", content: try PromptTemplate("{inputs}")),
            ],
            parameters: ["temperature": 0, "max_tokens": 48, "seed": 1])
        return try ChatModel(spec: spec, options: options, cache: try ResponseCache(directory: cache))
    }

    @Test func evaluatesTheExampleWithTheLocalModelThenFromTheCache() async throws {
        let folder = try TemporaryFolder()
        let data = try Dataset(contentsOf: Self.examples)
        var configuration = EvaluationConfiguration()
        configuration.concurrency = 2

        let model = try Self.model(cache: folder.url.path)
        let result = try await evaluate(
            data, model: model, targets: "ground_truth", modelType: .questionAnswering,
            extraMetrics: [.latency, Metric.rouge("rougeL")!], configuration: configuration)
        await model.shutdown()
        #expect(result.rowCount == 12)
        #expect(result.failedRows == 0)
        #expect(result.usage.modelCalls == 12)
        #expect(result.usage.completionTokens > 0)
        let outputs = try #require(try result.table.column("outputs"))
        #expect(outputs.allSatisfy { !($0.stringValue ?? "").isEmpty }, "every row has a generated answer")
        let latencies = try #require(try result.table.column("latency")).compactMap(\.doubleValue)
        #expect(latencies.count == 12 && latencies.allSatisfy { $0 > 0 })
        #expect(result.metrics["latency/mean"]! > 0)
        #expect(result.metrics["rougeL/v1/mean"] != nil)
        #expect(result.metrics["exact_match/v1"] != nil)

        let again = try Self.model(cache: folder.url.path)
        let cached = try await evaluate(
            data, model: again, targets: "ground_truth", modelType: .questionAnswering,
            extraMetrics: [.latency, Metric.rouge("rougeL")!], configuration: configuration)
        await again.shutdown()
        #expect(again.activity.calls == 0)
        #expect(cached.usage.cachedAnswers == 12)
        #expect(try cached.table.column("outputs") == outputs)
        #expect(cached.metrics["rougeL/v1/mean"] == result.metrics["rougeL/v1/mean"])
    }

    @Test func theLocalModelAsAJudgeGivesScoresOrCountedInvalidAnswers() async throws {
        let folder = try TemporaryFolder()
        var options = ProviderOptions()
        options.baseURL = Self.baseURL
        options.timeout = .seconds(120)
        options.concurrency = 2
        let judge = try ChatModel(
            spec: ModelSpec(model: try ModelURI("openai:/gemma-3-270m")), options: options,
            cache: try ResponseCache(directory: folder.url.path))
        var configuration = EvaluationConfiguration()
        configuration.judge = judge
        configuration.concurrency = 2
        let result = try await evaluate(
            try Dataset(contentsOf: Self.examples), targets: "ground_truth", predictions: "predictions",
            extraMetrics: [try Metric.named("answer_correctness", configuration: configuration)], configuration: configuration)
        await judge.shutdown()
        let scores = try #require(try result.table.column("answer_correctness/v1/score"))
        let justifications = try #require(try result.table.column("answer_correctness/v1/justification")).map(\.text)
        let invalid = Int(try #require(result.metrics["answer_correctness/v1/invalid_count"]))
        // Each row is either a score on the 1..5 scale or a counted invalid answer that keeps its raw text.
        for (score, justification) in zip(scores, justifications) {
            if let value = score.doubleValue {
                #expect((1...5).contains(value) && value == value.rounded())
            } else {
                #expect(justification.hasPrefix("invalid answer ("))
            }
        }
        #expect(scores.filter(\.isNull).count == invalid)
        #expect(result.metrics.values.allSatisfy { !$0.isNaN })
    }
}
