import Foundation
import NIOConcurrencyHelpers
import Testing

/// `assay evaluate` with your own application as the model: the Swift example app as a command, and
/// an HTTP service started by the test.
@Suite struct ApplicationCommandTests {
    typealias CLI = CommandLineTests

    /// The example application built beside the tests (ExampleApps/qa-app).
    static var qaApp: String {
        Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("qa-app").path
    }

    static func runID(_ output: CLI.Output) throws -> String {
        String(try #require(output.stdout.firstMatch(of: /Recorded run ([0-9a-f]{32})/)?.1))
    }

    /// The files a run recorded, by their path under its artifacts.
    static func recordedFile(_ path: String, run: String) throws -> String? {
        let root = URL(fileURLWithPath: CLI.trackingDatabase).deletingLastPathComponent()
        let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
        guard let match = files.first(where: { $0.contains(run) && $0.hasSuffix(path) }) else { return nil }
        return try String(contentsOfFile: root.appendingPathComponent(match).path, encoding: .utf8)
    }

    @Test func aSwiftApplicationIsEvaluatedAsACommandAndAgainFromItsRecordedSpec() async throws {
        let folder = try TemporaryFolder()
        let json = folder.path("results.json")
        let first = try await CLI.runDetached([
            "evaluate", "examples/qa.jsonl", "--targets", "ground_truth", "--model", "exec:" + Self.qaApp,
            "--metrics", "exact_match,rougeL", "--cache-dir", folder.path("cache"), "--experiment", "applications",
            "--output-json", json,
        ])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("Model calls: 12 sent, 0 answered from the cache"), "\(first.stdout)")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        let table = try #require(object?["eval_results_table"] as? [String: Any])
        let columns = try #require(table["columns"] as? [String])
        let rows = try #require(table["data"] as? [[Any]])
        let context = try #require(columns.firstIndex(of: "context"))
        let outputs = try #require(columns.firstIndex(of: "outputs"))
        let paris = try #require(rows.first { ($0[0] as? String) == "What is the capital of France?" })
        #expect(paris[outputs] as? String == "Paris is the capital of France.")
        #expect((paris[context] as? [String])?.first == "Paris is the capital of France. It lies on the Seine.")
        let run = try Self.runID(first)
        let spec = try #require(try Self.recordedFile("model/spec.yaml", run: run))
        #expect(spec.contains("command:") && spec.contains("qa-app"), "\(spec)")

        // The recorded spec runs the same application again; its answers are in the cache.
        let again = try await CLI.runDetached([
            "evaluate", "examples/qa.jsonl", "--targets", "ground_truth", "--model", "runs:/\(run)/model",
            "--metrics", "exact_match,rougeL", "--cache-dir", folder.path("cache"), "--experiment", "applications",
        ])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("Model calls: 0 sent, 12 answered from the cache"), "\(again.stdout)")
    }

    @Test func anHTTPServiceIsEvaluatedWithItsContextAndItsSecretIsNotRecorded() async throws {
        let authorizations = NIOLockedValueBox<[String]>([])
        let server = try await FakeChatServer.start { request in
            authorizations.withLockedValue { $0.append(request.headers.first { $0.0.lowercased() == "authorization" }?.1 ?? "") }
            guard let question = request.json?["question"] as? String else { return .json(["detail": "no question"], status: 422) }
            return .json(["answer": "You asked: \(question)", "docs": ["a passage on \(question)"], "cost": 0.002])
        }
        let folder = try TemporaryFolder()
        let json = folder.path("results.json")
        let result = try await CLI.runDetached(
            [
                "evaluate", "examples/qa.jsonl", "--targets", "ground_truth", "--model", "http://127.0.0.1:\(server.port)/ask",
                "--body", #"{"question": "{inputs}", "user": "evaluator"}"#, "--answer-path", "$.answer", "--context-path", "$.docs",
                "--header", "Authorization: Bearer ${QA_SERVICE_TOKEN}", "--metrics", "token_count", "--no-cache",
                "--experiment", "applications", "--output-json", json,
            ], setting: ["QA_SERVICE_TOKEN": "tok-123"])
        await server.stop()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(authorizations.withLockedValue { $0 }.allSatisfy { $0 == "Bearer tok-123" })
        #expect(authorizations.withLockedValue { $0 }.count == 12)
        let text = try String(contentsOfFile: json, encoding: .utf8)
        #expect(text.contains("You asked: What is MLflow?"))
        #expect(text.contains("a passage on What is Swift?"))
        let spec = try #require(try Self.recordedFile("model/spec.yaml", run: try Self.runID(result)))
        #expect(spec.contains("${QA_SERVICE_TOKEN}") && !spec.contains("tok-123"), "\(spec)")
        #expect(spec.contains("$.answer") && spec.contains("{inputs}"), "\(spec)")
    }

    @Test func theExampleSpecFilesRun() async throws {
        let folder = try TemporaryFolder()
        let json = folder.path("results.json")
        // The example names .build/debug/qa-app; the program given here is the one built beside the tests.
        let result = try await CLI.runDetached([
            "evaluate", "examples/qa.jsonl", "--targets", "ground_truth", "--model-spec", "examples/applications/qa-app.yaml",
            "--model", "exec:" + Self.qaApp, "--metrics", "exact_match", "--no-tracking", "--cache-dir", folder.path("cache"),
            "--output-json", json,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let text = try String(contentsOfFile: json, encoding: .utf8)
        #expect(text.contains("\"retrieved_ids\"") && text.contains("[\"mercury\"]"), "\(text.prefix(400))")
        #expect(text.contains("Mercury is the planet closest to the Sun. It has no moons."))

        // The HTTP example parses, and its service not being there is each row's recorded error, not a crash.
        let http = try await CLI.runDetached(
            [
                "evaluate", "examples/qa.jsonl", "--targets", "ground_truth", "--model-spec", "examples/applications/rag-service.yaml",
                "--model", "http://127.0.0.1:9/ask", "--metrics", "exact_match", "--no-tracking", "--no-cache", "--max-retries", "1",
                // One wave of refused connections (the client tries to connect for up to 10 s).
                "--concurrency", "12",
                "--output-json", json,
            ], setting: ["RAG_TOKEN": "t"])
        #expect(http.status == 0, "\(http.stderr)")
        #expect(http.stdout.contains("12 rows failed; their errors are in the table's error column"), "\(http.stdout)")
    }

    /// `--tools` with the example tool-using dataset, against a scripted agent on loopback that calls
    /// the tool the question names and answers with its result.
    @Test func aToolCallingModelRunsTheAgentExample() async throws {
        let server = try await FakeChatServer.start { request in
            let messages = request.json?["messages"] as? [[String: Any]] ?? []
            if let last = messages.last, last["role"] as? String == "tool" {
                return .chatCompletion("Answer: \(last["content"] as? String ?? "")")
            }
            let question = messages.last?["content"] as? String ?? ""
            let (name, arguments) =
                question.contains("weather") ? ("weather", #"{"city": "Paris"}"#)
                : question.contains("times") ? ("calculator", #"{"expression": "17 * 23"}"#) : ("search", #"{"query": "vacation days"}"#)
            return .json([
                "choices": [
                    [
                        "index": 0,
                        "message": ["role": "assistant", "tool_calls": [["id": "c1", "type": "function", "function": ["name": name, "arguments": arguments]]]],
                    ]
                ]
            ])
        }
        let folder = try TemporaryFolder()
        let json = folder.path("results.json")
        let result = try await CLI.runDetached([
            "evaluate", "examples/agents/questions.jsonl", "--model", "openai:/agent", "--base-url", server.baseURL, "--tools",
            "examples/agents/tools.json", "--max-steps", "3",
            "--metrics", "tool_call_accuracy,tool_call_f1,trajectory_superset_match,tool_call_count", "--no-tracking", "--cache-dir",
            folder.path("cache"), "--output-json", json,
        ], setting: ["OPENAI_API_KEY": "unused"])
        await server.stop()
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        let metrics = try #require(object?["metrics"] as? [String: Double])
        // The scripted agent gets the first three right and searches the handbook for the fourth.
        #expect(metrics["tool_call_accuracy/mean"] == 0.75, "\(metrics)")
        #expect(metrics["trajectory_superset_match/mean"] == 0.75, "\(metrics)")
        let text = try String(contentsOfFile: json, encoding: .utf8)
        #expect(text.contains("Answer: 391") && text.contains("Answer: 18 C, cloudy"))
        #expect(text.contains("\"stop_reason\""))
    }

    @Test func mistakesAreNamedBeforeAnyRowRuns() async throws {
        let folder = try TemporaryFolder()
        let spec = folder.path("app.yaml")
        try "url: http://127.0.0.1:9/ask\nrespons:\n  output: $.answer\n".write(toFile: spec, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["--model-spec", spec], "\(spec): unknown key 'respons'"),
            (["--model", "exec:./no-such-app"], "./no-such-app does not exist"),
            (["--model", "http://127.0.0.1:9/ask", "--prompt", "{inputs}"], "--prompt applies to provider models"),
            (["--model", "http://127.0.0.1:9/ask", "--body", "{question: {inputs}}"], "--body: the body must be JSON"),
            (["--model", "http://127.0.0.1:9/ask", "--body", #"{"q": "{question}"}"#], "placeholder {question} names no column"),
            (["--model", "http://127.0.0.1:9/ask", "--answer-path", "$.["], "the reply path '$.[' has an empty name"),
            (["--model", "http://127.0.0.1:9/ask", "--header", "X-Key: ${NOT_SET_FOR_ASSAY}"], "uses ${NOT_SET_FOR_ASSAY}, which is not set"),
            (["--model", "exec:/bin/echo", "--header", "A: b"], "--header does not apply to a command"),
        ]
        for (arguments, message) in cases {
            let result = try await CLI.runDetached(
                ["evaluate", "examples/qa.jsonl", "--targets", "ground_truth", "--metrics", "exact_match", "--no-tracking"] + arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
