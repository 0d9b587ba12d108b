import Assay
import AssayProviders
import AssayTesting
import Foundation
import NIOConcurrencyHelpers
import Testing

/// Judges through the real HTTP path: a loopback server answers with crafted judge replies.
@Suite struct JudgeServerTests {
    /// The graded output: the text between the prompt's output markers.
    static func gradedOutput(_ prompt: String) -> String {
        prompt.components(separatedBy: "\n").drop { !$0.hasPrefix("<output-") }.dropFirst().prefix { !$0.hasPrefix("</output-") }
            .joined(separator: "\n")
    }

    static let replies: [String: String] = [
        "valid": "{\"score\": 5, \"justification\": \"complete\"}",
        "out of range": "{\"score\": 100, \"justification\": \"perfect\"}",
        "decimal": "{\"score\": 4.5, \"justification\": \"nearly\"}",
        "fenced": "```json\n{\"score\": 3, \"justification\": \"partial\"}\n```",
        "prose": "I think this is a reasonable answer overall.",
        "empty": "",
        "tricky": "Score: 2\nJustification: wrong; a grader might say score: 5 but not here",
        "echo": "Grading task (assay-judge): score one output of an AI system on the metric",
    ]

    @Test func craftedRepliesLandInTheRightBuckets() async throws {
        let server = try await FakeChatServer.start { request in
            .delayed(.milliseconds(20), .chatCompletion(Self.replies[Self.gradedOutput(request.lastMessage)] ?? "?"))
        }
        var options = ProviderOptions()
        options.baseURL = server.baseURL
        options.concurrency = 16
        let judge = try ChatModel(spec: ModelSpec(model: try ModelURI("openai:/judge")), options: options)
        var definition = BuiltinJudges.answerRelevance
        definition.maxWorkers = 3
        var configuration = EvaluationConfiguration()
        configuration.concurrency = 16
        let outputs = ["valid", "out of range", "decimal", "fenced", "prose", "empty", "tricky", "echo"]
        let data = Dataset(columns: ["inputs", "predictions"], rows: (0..<5).flatMap { _ in outputs.map { ["Q?", .string($0)] } })
        let result = try await evaluate(
            data, predictions: "predictions", extraMetrics: [.judge(definition, model: judge)], configuration: configuration)
        await judge.shutdown()

        let scores = try #require(try result.table.column("answer_relevance/v1/score")).prefix(8).map(\.doubleValue)
        #expect(scores == [5, nil, nil, 3, nil, nil, 2, nil])
        #expect(result.metrics["answer_relevance/v1/invalid_count"] == 25)
        #expect(result.metrics["answer_relevance/v1/mean"] == 10.0 / 3.0)
        #expect(server.counters.maxInFlight <= 3, "the judge's max_workers holds: \(server.counters.maxInFlight)")
        // Structured output is requested with the judge's schema.
        await server.stop()
    }

    @Test func conversationJudgesReadATranscriptNotJSON() async throws {
        let prompts = NIOLockedValueBox<[String]>([])
        let server = try await FakeChatServer.start { request in
            let prompt = request.lastMessage
            prompts.withLockedValue { $0.append(prompt) }
            let transcript =
                prompt.contains("[system] You are a travel assistant. Only discuss travel.")
                && prompt.contains(#"[assistant calls] weather({"city":"Paris"})"#) && prompt.contains("[tool result, failed] timeout")
                && prompt.contains("[user] My name is Ada.") && !prompt.contains(#""role""#)
            return .chatCompletion(#"{"score": \#(transcript ? 4 : 1), "justification": "read the turns"}"#)
        }
        var options = ProviderOptions()
        options.baseURL = server.baseURL
        let judge = try ChatModel(spec: ModelSpec(model: try ModelURI("openai:/judge")), options: options)
        let messages = try DataValue(
            json: #"""
                [{"role": "system", "content": "You are a travel assistant. Only discuss travel."},
                 {"role": "user", "content": "My name is Ada."}, {"role": "assistant", "content": "Hello Ada."},
                 {"role": "user", "content": "Weather in Paris?"},
                 {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\": \"Paris\"}"}}]},
                 {"role": "tool", "tool_call_id": "c1", "content": "timeout", "is_error": true},
                 {"role": "assistant", "content": "Sorry Ada, the weather service timed out."}]
                """#)
        let data = Dataset(columns: ["outputs", "messages"], rows: [["Sorry Ada, the weather service timed out.", messages]])
        let judges = [
            BuiltinJudges.conversationCompleteness, BuiltinJudges.roleAdherence, BuiltinJudges.knowledgeRetention,
            BuiltinJudges.toolCallCorrectness,
        ]
        let result = try await evaluate(data, predictions: "outputs", extraMetrics: judges.map { .judge($0, model: judge) })
        // The conversation as the prediction itself is shown once, as the output.
        let asPrediction = try await evaluate(
            data, predictions: "messages", extraMetrics: [.judge(BuiltinJudges.conversationCompleteness, model: judge)])
        await judge.shutdown()
        await server.stop()
        for definition in judges {
            #expect(result.metrics["\(definition.key)/mean"] == 4, "\(definition.key): \(prompts.withLockedValue { $0 }.first ?? "")")
        }
        #expect(asPrediction.metrics["conversation_completeness/v1/mean"] == 4)
        let last = try #require(prompts.withLockedValue { $0 }.last)
        #expect(last.components(separatedBy: "[user] My name is Ada.").count == 2, "the transcript appears once")
    }

    @Test func structuredOutputCarriesTheScaleSchema() async throws {
        let server = try await FakeChatServer.start { request in
            let format = request.json?["response_format"] as? [String: Any]
            let schema = format?["schema"] as? [String: Any]
            let score = (schema?["properties"] as? [String: Any])?["score"] as? [String: Any]
            let ok =
                format?["type"] as? String == "json_object" && score?["type"] as? String == "integer"
                && score?["minimum"] as? Int == 1 && score?["maximum"] as? Int == 5
            return .chatCompletion(ok ? "{\"score\": 4, \"justification\": \"schema seen\"}" : "no schema")
        }
        var options = ProviderOptions()
        options.baseURL = server.baseURL
        let judge = try ChatModel(spec: ModelSpec(model: try ModelURI("openai:/judge")), options: options)
        var configuration = EvaluationConfiguration()
        configuration.judge = judge
        let result = try await evaluate(
            Dataset(columns: ["inputs", "predictions"], rows: [["Q?", "A."]]), predictions: "predictions",
            extraMetrics: [try Metric.named("answer_relevance", configuration: configuration)], configuration: configuration)
        await judge.shutdown()
        #expect(try result.table.column("answer_relevance/v1/justification") == ["schema seen"])
        await server.stop()
    }
}
