import Assay
import AssayTesting
import Foundation
import Testing

@testable import AssayProviders

/// A tool-calling model against a scripted agent on loopback: tool results from the dataset or a tool
/// server (with faults), the whole conversation kept, steps bounded, and a second run from the cache.
@Suite struct ToolCallingTests {
    static let tools = try! DataValue(
        json: #"""
            [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
             {"type": "function", "function": {"name": "calculator", "parameters": {"type": "object"}}}]
            """#
    ).listValue!

    /// The agent: a question gets a tool call, a tool result gets the final answer; "loop" never stops calling.
    static func agent(_ request: FakeChatServer.Request) -> FakeChatServer.Reply {
        guard let json = request.json, json["tools"] != nil, let messages = json["messages"] as? [[String: Any]], let last = messages.last
        else { return .json(["error": ["message": "no tools offered"]], status: 400) }
        let question = (messages.first { $0["role"] as? String == "user" }?["content"] as? String) ?? ""
        func call(_ name: String, _ arguments: String) -> FakeChatServer.Reply {
            .json([
                "choices": [
                    [
                        "index": 0, "finish_reason": "tool_calls",
                        "message": [
                            "role": "assistant", "content": NSNull(),
                            "tool_calls": [["id": "call_\(messages.count)", "type": "function", "function": ["name": name, "arguments": arguments]]],
                        ],
                    ]
                ],
                "usage": ["prompt_tokens": 10, "completion_tokens": 3],
            ])
        }
        if last["role"] as? String == "tool", !question.hasPrefix("loop") {
            return .chatCompletion("The answer is: \(last["content"] as? String ?? "")")
        }
        if question.hasPrefix("loop") { return call("calculator", #"{"expression": "1+1"}"#) }
        let city = question.split(separator: " ").last.map(String.init) ?? ""
        return call("weather", #"{"city": "\#(city)"}"#)
    }

    static func chat(_ server: FakeChatServer, cache: ResponseCache?) throws -> ChatModel {
        var options = ProviderOptions()
        options.baseURL = server.baseURL
        options.environment = [:]
        options.timeout = .seconds(30)
        return try ChatModel(spec: ModelSpec(model: try ModelURI("openai:/agent")), options: options, cache: cache)
    }

    static func json(_ text: String) -> DataValue { try! DataValue(json: text) }

    static let data = Dataset(
        columns: ["inputs", "tool_responses", "expected_tool_calls"],
        rows: [
            ["weather in Paris", json(#"{"weather": {"{\"city\": \"Paris\"}": "18 C"}}"#), json(#"[{"name": "weather", "arguments": {"city": "Paris"}}]"#)],
            ["weather in Oslo", json(#"{"weather": {"{\"city\": \"Paris\"}": "18 C"}}"#), json(#"[{"name": "weather", "arguments": {"city": "Oslo"}}]"#)],
            ["weather in Lima", json(#"[{"name": "weather", "response": "25 C"}]"#), json(#"[{"name": "weather", "arguments": {"city": "Lima"}}]"#)],
            ["loop forever", json(#"{"calculator": "2"}"#), json(#"[{"name": "calculator", "arguments": {"expression": "1+1"}}]"#)],
        ])

    @Test func toolResultsFromTheDatasetAndTheConversationKept() async throws {
        let server = try await FakeChatServer.start(behaviour: Self.agent)
        let folder = try TemporaryFolder()
        let cache = try ResponseCache(directory: folder.path("cache"))
        let model = try ToolCallingModel(chat: try Self.chat(server, cache: cache), tools: Self.tools, results: .column("tool_responses"), maxSteps: 3)
        let metrics: [Metric] = [.toolCallF1, .toolCallCount, .toolErrorCount]
        let result = try await evaluate(Self.data, model: model, extraMetrics: metrics)
        await model.shutdown()
        #expect(result.failedRows == 0)
        #expect(try result.table.column("outputs") == ["The answer is: 18 C", "The answer is: no response recorded for weather({\"city\":\"Oslo\"}) in tool_responses", "The answer is: 25 C", ""])
        #expect(try result.table.column("stop_reason") == ["answer", "answer", "answer", "max_steps"])
        #expect(try result.scores("tool_call_count") == [1, 1, 1, 3])
        #expect(try result.scores("tool_error_count") == [0, 1, 0, 0])
        #expect(try result.scores("tool_call_f1/score") == [1, 1, 1, 1])
        let paris = try #require(try result.table.column("messages")?.first?.listValue)
        #expect(paris.map { $0.member("role")?.stringValue ?? "" } == ["user", "assistant", "tool", "assistant"])
        #expect(paris[2].member("tool_call_id") == "call_1" && paris[2].member("content") == "18 C")
        #expect(result.usage.promptTokens == 10 * 2 * 3 + 10 * 3, "every step's tokens are counted")
        #expect(server.counters.requests == 2 * 3 + 3)

        // Again: every step from the cache.
        server.resetCounters()
        let again = try ToolCallingModel(chat: try Self.chat(server, cache: cache), tools: Self.tools, results: .column("tool_responses"), maxSteps: 3)
        let second = try await evaluate(Self.data, model: again, extraMetrics: metrics)
        await again.shutdown()
        #expect(server.counters.requests == 0)
        #expect(second.usage.cachedAnswers == 4)
        #expect(try second.table.column("messages") == (try result.table.column("messages")))
        await server.stop()
    }

    @Test func aToolEndpointWithFaultsIsRetriedAndCached() async throws {
        let server = try await FakeChatServer.start(behaviour: Self.agent)
        let faults = FaultInjector(seed: 3, rate: 0.6, maxFaultsPerRequest: 2, slowDelay: .seconds(5))
        let tools = try await FakeChatServer.start(
            behaviour: faults.behaviour { request in
                let arguments = request.json?["arguments"] as? [String: Any]
                let city = arguments?["city"] as? String ?? "?"
                return city == "Oslo" ? .json(["error": "no station in Oslo"]) : .json(["result": "sunny in \(city)"])
            })
        let folder = try TemporaryFolder()
        let cache = try ResponseCache(directory: folder.path("cache"))
        var options = ProviderOptions()
        options.timeout = .seconds(2)
        options.maxRetryPause = .milliseconds(100)
        func model() throws -> ToolCallingModel {
            try ToolCallingModel(
                chat: try Self.chat(server, cache: cache), tools: Self.tools, results: .endpoint("http://127.0.0.1:\(tools.port)/run"),
                maxSteps: 2, options: options, cache: cache)
        }
        let first = try model()
        let data = Dataset(columns: ["inputs"], rows: (0..<12).map { [.string("weather in \($0 == 5 ? "Oslo" : "City\($0)")")] })
        let result = try await evaluate(data, model: first, extraMetrics: [.toolErrorCount])
        await first.shutdown()
        #expect(result.failedRows == 0)
        let outputs = try #require(try result.table.column("outputs")).map(\.text)
        #expect(outputs[0] == "The answer is: sunny in City0" && outputs[5] == "The answer is: no station in Oslo")
        #expect(try result.scores("tool_error_count")[5] == 1)
        #expect(faults.injectedFaults.values.reduce(0, +) > 3, "\(faults.injectedFaults)")

        server.resetCounters()
        tools.resetCounters()
        let second = try model()
        let again = try await evaluate(data, model: second, extraMetrics: [.toolErrorCount])
        await second.shutdown()
        #expect(server.counters.requests == 0 && tools.counters.requests == 0, "model steps and tool results come from the cache")
        #expect(try again.table.column("outputs")?.map(\.text) == outputs)
        await server.stop()
        await tools.stop()
    }

    @Test func toolsFilesAreReadOrRefusedWithTheirPlace() throws {
        let folder = try TemporaryFolder()
        let bare = folder.path("tools.yaml")
        try "- name: weather\n  parameters: {type: object}\n- {type: function, function: {name: calculator}}\n".write(
            toFile: bare, atomically: true, encoding: .utf8)
        let tools = try ToolCallingModel.loadTools(bare)
        #expect(tools.map { $0.member("function")?.member("name") } == ["weather", "calculator"])
        #expect(tools.allSatisfy { $0.member("type") == "function" })
        let broken = folder.path("broken.json")
        try #"[{"description": "no name"}]"#.write(toFile: broken, atomically: true, encoding: .utf8)
        #expect(throws: AssayError.self) { try ToolCallingModel.loadTools(broken) }
    }
}
