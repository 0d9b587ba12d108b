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

    /// The local server, patiently (it answers one request at a time).
    static var options: ProviderOptions {
        var options = ProviderOptions()
        options.baseURL = baseURL
        options.timeout = .seconds(120)
        options.concurrency = 2
        return options
    }

    static func model(cache: String) throws -> ChatModel {
        let spec = ModelSpec(
            model: try ModelURI("openai:/gemma-3-270m"),
            messages: [
                MessageTemplate(role: "system", content: try PromptTemplate("Answer the following question in two sentences")),
                MessageTemplate(role: "user", content: try PromptTemplate("{inputs}")),
            ],
            parameters: ["temperature": 0, "max_tokens": 48, "seed": 1])
        return try ChatModel(spec: spec, options: options, cache: try ResponseCache(directory: cache))
    }

    /// The local model as a judge (no prompt of its own), with a response cache in `cache`.
    static func judge(cache: String) throws -> ChatModel {
        try ChatModel(
            spec: ModelSpec(model: try ModelURI("openai:/gemma-3-270m")), options: options, cache: try ResponseCache(directory: cache))
    }

    /// The local server's OpenAI endpoint addressed as any HTTP application would be: a body template,
    /// the answer and the usage read by their paths.
    @Test func theLocalServerAsAnHTTPApplication() async throws {
        let folder = try TemporaryFolder()
        var spec = try EndpointSpec(url: Self.baseURL + "/chat/completions")
        spec.body = try BodyTemplate(
            json: #"{"model": "gemma-3-270m", "messages": [{"role": "user", "content": "Answer briefly: {inputs}"}], "max_tokens": 24, "temperature": 0, "seed": 1}"#
        )
        spec.reply.output = try ReplyPath("$.choices[0].message.content")
        spec.reply.promptTokens = try ReplyPath("$.usage.prompt_tokens")
        spec.reply.completionTokens = try ReplyPath("$.usage.completion_tokens")
        let data = Dataset(columns: ["inputs"], rows: [["What is the capital of France?"], ["What is Swift?"], ["Name a colour."]])
        var configuration = EvaluationConfiguration()
        configuration.concurrency = 2
        let model = try EndpointModel(spec: spec, options: Self.options, cache: try ResponseCache(directory: folder.url.path))
        let result = try await evaluate(data, model: model, extraMetrics: [.tokenCount, .latency], configuration: configuration)
        await model.shutdown()
        let errors = try result.table.column("error") ?? []
        #expect(result.failedRows == 0, "\(errors)")
        #expect(try result.table.column("outputs")?.allSatisfy { !($0.stringValue ?? "").isEmpty } == true)
        #expect(result.usage.promptTokens > 0 && result.usage.completionTokens > 0)

        let again = try EndpointModel(spec: spec, options: Self.options, cache: try ResponseCache(directory: folder.url.path))
        let cached = try await evaluate(data, model: again, extraMetrics: [.tokenCount], configuration: configuration)
        await again.shutdown()
        #expect(cached.usage.cachedAnswers == 3)
        #expect(try cached.table.column("outputs") == (try result.table.column("outputs")))
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
        let judge = try Self.judge(cache: folder.url.path)
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

    /// Conversation judges on the local model: every row a score on 1..5 or a counted invalid answer.
    @Test func theLocalModelJudgesConversations() async throws {
        let folder = try TemporaryFolder()
        let judge = try Self.judge(cache: folder.url.path)
        func conversation(_ question: String, _ tool: String, _ arguments: String, _ result: String, _ answer: String) throws -> DataValue {
            try DataValue(
                json: """
                    [{"role": "system", "content": "You are a helpful assistant with a weather tool and a calculator."},
                     {"role": "user", "content": "\(question)"},
                     {"role": "assistant", "tool_calls": [{"name": "\(tool)", "arguments": \(arguments)}]},
                     {"role": "tool", "content": "\(result)"}, {"role": "assistant", "content": "\(answer)"}]
                    """)
        }
        let data = Dataset(
            columns: ["outputs", "messages"],
            rows: [
                ["It is 18 degrees in Paris.", try conversation("Weather in Paris?", "weather", #"{"city": "Paris"}"#, "18 C", "It is 18 degrees in Paris.")],
                ["56.", try conversation("What is 7 times 8?", "weather", #"{"city": "Oslo"}"#, "2 C", "56.")],
            ])
        var configuration = EvaluationConfiguration()
        configuration.concurrency = 2
        let judges = [BuiltinJudges.conversationCompleteness, BuiltinJudges.toolCallCorrectness]
        let result = try await evaluate(
            data, predictions: "outputs", extraMetrics: judges.map { .judge($0, model: judge) }, configuration: configuration)
        await judge.shutdown()
        for definition in judges {
            let scores = try #require(try result.table.column("\(definition.key)/score"))
            let invalid = Int(try #require(result.metrics["\(definition.key)/invalid_count"]))
            #expect(scores.allSatisfy { $0.isNull || ((1...5).contains($0.doubleValue ?? 0) && $0.doubleValue == $0.doubleValue?.rounded()) })
            #expect(scores.filter(\.isNull).count == invalid)
        }
    }

    /// The local model calling tools (llama.cpp's chatml-function-calling format on a second port) over
    /// the example tool-using dataset (weather, calculator, a handbook search), with a tool server in the
    /// test answering from fixed tables: every row ends with a conversation, and a second run comes
    /// from the cache. The small model's calls are often wrong; the metrics say how wrong. Each of the
    /// two steps names its tool (`keepsToolChoice`): left to choose (`auto`), llama-cpp-python generates
    /// without max_tokens and the small model can write arguments for minutes, holding the
    /// one-request-at-a-time server. Answering after tool results is tested against a scripted agent.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ASSAY_LLM_TOOLS_URL"] != nil, "scripts/test starts it"))
    func theLocalModelCallsToolsStepByStep() async throws {
        let tools = try await FakeChatServer.start { request in
            let name = request.json?["name"] as? String ?? ""
            let arguments = request.json?["arguments"] as? [String: Any] ?? [:]
            switch name {
            case "weather":
                let table = ["paris": "18 C, cloudy", "oslo": "2 C, snow", "lima": "25 C, sunny"]
                let city = (arguments["city"] as? String ?? "").lowercased()
                return table[city].map { .json(["result": $0]) } ?? .json(["error": "no weather station in \(city)"])
            case "calculator":
                let expression = arguments["expression"] as? String ?? ""
                let numbers = expression.split { !$0.isNumber }.compactMap { Int($0) }
                guard numbers.count == 2, expression.contains("*") else { return .json(["error": "cannot evaluate \(expression)"]) }
                return .json(["result": String(numbers[0] * numbers[1])])
            case "search":
                return .json(["result": "New employees get 25 vacation days a year."])
            default:
                return .json(["error": "no tool \(name)"])
            }
        }
        let folder = try TemporaryFolder()
        var options = Self.options
        options.baseURL = ProcessInfo.processInfo.environment["ASSAY_LLM_TOOLS_URL"]
        let agents = URL(fileURLWithPath: Self.examples).deletingLastPathComponent().appendingPathComponent("agents")
        let schema = try ToolCallingModel.loadTools(agents.appendingPathComponent("tools.json").path)
        func model() throws -> ToolCallingModel {
            let spec = ModelSpec(
                model: try ModelURI("openai:/gemma-3-270m"),
                messages: [
                    MessageTemplate(role: "system", content: try PromptTemplate("You can call tools. Use a tool when it helps answer.")),
                    MessageTemplate(role: "user", content: try PromptTemplate("{inputs}")),
                ],
                parameters: [
                    "temperature": 0, "max_tokens": 48, "seed": 1,
                    "tool_choice": try DataValue(json: #"{"type": "function", "function": {"name": "weather"}}"#),
                ])
            let cache = try ResponseCache(directory: folder.url.path)
            return try ToolCallingModel(
                chat: try ChatModel(spec: spec, options: options, cache: cache), tools: schema,
                results: .endpoint("http://127.0.0.1:\(tools.port)/tools"), maxSteps: 2, keepsToolChoice: true, options: options,
                cache: cache)
        }
        let data = try Dataset(contentsOf: agents.appendingPathComponent("questions.jsonl").path)
        var configuration = EvaluationConfiguration()
        configuration.concurrency = 1
        let metrics: [Metric] = [.toolCallF1, .toolNameAccuracy, .trajectorySupersetMatch, .toolCallCount, .toolErrorCount]
        let first = try model()
        let result = try await evaluate(data, model: first, extraMetrics: metrics, configuration: configuration)
        await first.shutdown()
        let errors = try result.table.column("error") ?? []
        let conversations = try #require(try result.table.column("messages"))
        for (conversation, error) in zip(conversations, errors) {
            let roles = conversation.listValue?.compactMap { $0.member("role")?.stringValue } ?? []
            #expect(
                roles == ["system", "user", "assistant", "tool", "assistant", "tool"] || !error.isNull,
                "a conversation of two steps, each with its tool result, or a recorded error: \(roles) \(error)")
        }
        #expect(try result.table.column("stop_reason")?.allSatisfy { $0.isNull || $0.text == "max_steps" } == true)
        #expect(result.usage.modelCalls > 0 && tools.counters.requests > 0)

        tools.resetCounters()
        let second = try model()
        let again = try await evaluate(data, model: second, extraMetrics: metrics, configuration: configuration)
        await second.shutdown()
        #expect(again.usage.cachedAnswers == result.rowCount - result.failedRows && tools.counters.requests == 0)
        #expect(try again.table.column("messages") == conversations)
        await tools.stop()
    }

    /// The pairwise judge on the local model, over the example's predictions and its targets as the
    /// "candidate": whatever the small model prefers, every row is a win, tie, loss or counted invalid
    /// answer, and a second run is answered from the cache.
    @Test func theLocalModelAsAPairwiseJudge() async throws {
        let folder = try TemporaryFolder()
        let data = try Dataset(contentsOf: Self.examples).rows().prefix(6)
        func side(_ column: String) -> ComparedRun {
            let table = LoggedTable(
                columns: ["inputs", "ground_truth", "outputs"], rows: data.map { [$0["inputs"], $0["ground_truth"], $0[column]] })
            return ComparedRun(id: column, name: column, table: table)
        }
        var judge = PairwiseJudge.preference
        judge.parameters["max_tokens"] = 64
        judge.maxWorkers = 2
        let model = try Self.judge(cache: folder.url.path)
        let result = try await judge.judge(side("predictions"), side("ground_truth"), model: model)
        #expect(model.activity.calls > 0)
        #expect(result.rows.count == 6)
        #expect(result.wins + result.ties + result.losses + result.invalid == 6)
        if let bias = result.positionBias { #expect((0...1).contains(bias)) }
        let calls = model.activity.calls
        let again = try await judge.judge(side("predictions"), side("ground_truth"), model: model)
        #expect(model.activity.calls == calls, "answered from the cache")
        #expect(again.rows.map(\.outcome) == result.rows.map(\.outcome))
        await model.shutdown()
    }
}
