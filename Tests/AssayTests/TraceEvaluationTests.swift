import Assay
import AssayStoreSQLite
import AssayTesting
import Foundation
import Testing

/// `assay evaluate --traces`: recorded traces scored without calling the model again, with judges that
/// need no ground truth, and the scores written back to the traces.
@Suite struct TraceEvaluationTests {
    @Test func tracesAreEvaluatedAndScored() async throws {
        let folder = try TemporaryFolder()
        let database = folder.path("assay.db")
        let store = try SQLiteTrackingStore(path: database)
        let experiment = try await store.createExperiment(named: "chat-app", artifactLocation: nil, tags: [])
        let questions = ["What is 2+2?", "Capital of France?", "Spider legs?", "Slow one"]
        var spans: [SpanRecord] = []
        for (i, question) in questions.enumerated() {
            let trace = String(format: "%032x", i + 1)
            let start = Int64(1_700_000_000_000_000_000) + Int64(i) * 1_000_000_000
            spans.append(
                SpanRecord(
                    traceID: trace, spanID: String(format: "%016x", i + 1), parentSpanID: nil, name: "answer", startTimeNanos: start,
                    endTimeNanos: start + (i == 3 ? 900_000_000 : 100_000_000),
                    attributes: [
                        "gen_ai.request.model": i == 2 ? "other-model" : "gemma", "gen_ai.prompt": .string(question),
                        "gen_ai.completion": .string("Answer \(i)"), "gen_ai.retrieval.documents": .string(#"["Doc \#(i)"]"#),
                    ]))
        }
        try await store.ingest(spans, experimentID: experiment.id)

        let judge = try await FakeChatServer.start { _ in .chatCompletion(#"{"score": 1, "justification": "looks fine"}"#) }
        let result = try await CommandLineTests.runDetached([
            "evaluate", "--traces", "chat-app", "--trace-filter", "model = 'gemma' and latency_ms < 500",
            "--metrics", "toxicity,answer_relevance,faithfulness,token_count", "--judge", "openai:/judge", "--judge-base-url",
            judge.baseURL,
            "--tracking-uri", database, "--cache-dir", folder.url.path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Evaluated 2 rows of traces of chat-app"), "\(result.stdout)")
        #expect(result.stdout.contains("toxicity/v1/mean") && result.stdout.contains("faithfulness/v1/mean"))
        #expect(result.stdout.contains("Attached 8 scores to the 2 traces of 'chat-app'"), "\(result.stdout)")
        #expect(judge.counters.requests == 6, "three judges for each of the two traces, and no model call")
        let (_, _, assessments) = try await store.trace(id: String(format: "%032x", 1))
        #expect(Set(assessments.map(\.name)) == ["toxicity/v1", "answer_relevance/v1", "faithfulness/v1", "token_count"])
        #expect(assessments.first { $0.name == "toxicity/v1" }?.rationale == "looks fine")
        let runs = try await store.runs(in: [experiment.id], view: .activeOnly)
        #expect(runs.count == 1, "the run is recorded in the traces' experiment")
        let run = try await store.run(id: runs[0].id)
        #expect(run.tags.contains(KeyValue("assay.traces.experiment_id", experiment.id)))
        #expect(run.inputs.first?.sourceType == "traces")

        let since = try await CommandLineTests.runDetached([
            "evaluate", "--traces", experiment.id, "--since", "1d", "--metrics", "token_count", "--tracking-uri", database, "--no-tracking",
        ])
        #expect(since.status == 2 && since.stderr.contains("no traces in experiment 'chat-app' match"), "\(since.stderr)")
        let badFilter = try await CommandLineTests.runDetached([
            "evaluate", "--traces", "chat-app", "--trace-filter", "metrics.x > 1", "--metrics", "token_count", "--tracking-uri", database,
        ])
        #expect(badFilter.status == 2 && badFilter.stderr.contains("Invalid entity type 'metrics'"), "\(badFilter.stderr)")
        await judge.stop()
    }

    /// An agent's traces (OpenTelemetry GenAI `execute_tool` spans, one failing) become conversations with
    /// their trajectories, scored by the tool-call metrics and a conversation judge.
    @Test func agentTracesBecomeTrajectoriesAndAreScored() async throws {
        let folder = try TemporaryFolder()
        let database = folder.path("assay.db")
        let store = try SQLiteTrackingStore(path: database)
        let experiment = try await store.createExperiment(named: "agent", artifactLocation: nil, tags: [])
        let trace = String(repeating: "a", count: 32)
        let start = Int64(1_700_000_000_000_000_000)
        func span(_ id: Int, _ name: String, at offset: Int64, _ attributes: [String: DataValue], status: String = "OK") -> SpanRecord {
            SpanRecord(
                traceID: trace, spanID: String(format: "%016x", id), parentSpanID: id == 1 ? nil : String(format: "%016x", 1), name: name,
                startTimeNanos: start + offset, endTimeNanos: start + offset + 1_000_000, statusCode: status, attributes: attributes)
        }
        // The exporter sends the later tool first: order comes from the start times.
        try await store.ingest(
            [
                span(
                    3, "execute_tool calculator", at: 3_000_000,
                    [
                        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "calculator",
                        "gen_ai.tool.call.arguments": #"{"expression": "18 * 9 / 5 + 32"}"#,
                    ], status: "ERROR"),
                span(
                    2, "execute_tool weather", at: 2_000_000,
                    [
                        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "weather",
                        "gen_ai.tool.call.arguments": #"{"city": "Paris"}"#, "gen_ai.tool.call.result": "18 C",
                        "gen_ai.tool.call.id": "call_w1",
                    ]),
                span(
                    1, "invoke_agent", at: 0,
                    ["gen_ai.prompt": "Weather in Paris, in Fahrenheit?", "gen_ai.completion": "It is 18 C; I could not convert it."]),
            ], experimentID: experiment.id)
        let (summary, _, _) = try await store.trace(id: trace)
        #expect(summary.toolSteps.map(\.name) == ["weather", "calculator"])
        #expect(summary.toolSteps[0].arguments == ["city": "Paris"] && summary.toolSteps[0].result == "18 C")
        #expect(summary.toolSteps.map(\.failed) == [false, true])

        let judge = try await FakeChatServer.start { request in
            let sawTrajectory = request.lastMessage.contains(#"[assistant calls] weather({"city":"Paris"})"#)
                && request.lastMessage.contains("[tool result, failed]")
            return .chatCompletion(#"{"score": \#(sawTrajectory ? 3 : 1), "justification": "the conversion failed"}"#)
        }
        let json = folder.path("results.json")
        let result = try await CommandLineTests.runDetached([
            "evaluate", "--traces", "agent", "--metrics", "tool_call_count,tool_error_count,tool_call_correctness", "--judge", "openai:/judge",
            "--judge-base-url", judge.baseURL, "--tracking-uri", database, "--cache-dir", folder.url.path, "--output-json", json,
        ])
        await judge.stop()
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        let table = try #require(object?["eval_results_table"] as? [String: Any])
        let columns = try #require(table["columns"] as? [String])
        let row = try #require((table["data"] as? [[Any]])?.first)
        func cell(_ name: String) throws -> Any {
            row[try #require(columns.firstIndex(of: name), "no column \(name) in \(columns)")]
        }
        #expect(try cell("tool_call_count") as? Int == 2)
        #expect(try cell("tool_error_count") as? Int == 1)
        #expect(try cell("tool_call_correctness/v1/score") as? Int == 3)
        let messages = try #require(try cell("messages") as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String ?? "" } == ["user", "assistant", "tool", "assistant", "tool", "assistant"])
        #expect(messages[2]["tool_call_id"] as? String == "call_w1" && messages[4]["tool_call_id"] as? String == "call_2")
        let (_, _, assessments) = try await store.trace(id: trace)
        #expect(assessments.first { $0.name == "tool_error_count" }?.value == 1)
    }
}
