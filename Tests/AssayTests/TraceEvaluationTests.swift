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
}
