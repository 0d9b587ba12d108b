import Assay
import AssayStorePostgres
import AssayStoreSQLite
import AssayTesting
import Testing

/// Traces in both database stores: spans arriving in pieces, summaries from the GenAI conventions,
/// listing by time, assessments.
@Suite struct TraceStoreTests {
    static let trace = "0af7651916cd43dd8448eb211c80319c"

    static func span(
        _ id: String, parent: String?, _ name: String, start: Int64, end: Int64, _ attributes: [String: DataValue] = [:],
        events: [SpanEvent] = [], status: String = "OK"
    ) -> SpanRecord {
        SpanRecord(
            traceID: trace, spanID: id, parentSpanID: parent, name: name, kind: "INTERNAL", startTimeNanos: start, endTimeNanos: end,
            statusCode: status, attributes: attributes, events: events, resource: ["service.name": "app"])
    }

    @Test(arguments: Backend.available)
    func spansBecomeTracesWithSummariesAndScores(backend: Backend) async throws {
        try await backend.withStore { opened in
            let store = try #require(opened as? any TraceStore)
            let experiment = try await store.createExperiment(named: "chat-app", artifactLocation: nil, tags: []).id
            // Children first, the root in a later export, as batching exporters often send them.
            try await store.ingest(
                [
                    Self.span(
                        "b7ad6b7169203331", parent: "a1b2c3d4e5f60718", "retrieve", start: 1_100, end: 1_400,
                        [
                            "gen_ai.retrieval.documents": .string(
                                #"[{"content": "Paris is the capital of France."}, "France is in Europe."]"#)
                        ]),
                    Self.span(
                        "c0ffee0000000001", parent: "a1b2c3d4e5f60718", "chat", start: 1_500, end: 2_900,
                        [
                            "gen_ai.request.model": "gemma-3-270m", "gen_ai.usage.input_tokens": 20, "gen_ai.usage.output_tokens": 5,
                            "gen_ai.input.messages": .string(
                                #"[{"role": "system", "parts": [{"type": "text", "content": "Be brief."}]}, {"role": "user", "parts": [{"type": "text", "content": "Capital of France?"}]}]"#
                            ),
                            "gen_ai.output.messages": .string(
                                #"[{"role": "assistant", "parts": [{"type": "text", "content": "Paris."}]}]"#),
                        ]),
                ], experimentID: experiment)
            try await store.ingest(
                [Self.span("a1b2c3d4e5f60718", parent: nil, "answer", start: 1_000, end: 3_000)], experimentID: experiment)
            let (summary, spans, _) = try await store.trace(id: Self.trace)
            #expect(summary.name == "answer" && summary.spanCount == 3 && summary.experimentID == experiment)
            #expect(summary.startTimeNanos == 1_000 && summary.endTimeNanos == 3_000 && summary.status == "OK")
            #expect(summary.model == "gemma-3-270m" && summary.inputTokens == 20 && summary.outputTokens == 5)
            #expect(summary.inputs == "Capital of France?" && summary.outputs == "Paris.")
            #expect(summary.context == ["Paris is the capital of France.", "France is in Europe."])
            #expect(summary.instructions == "Be brief.", "the system message of the input messages")
            #expect(spans.map(\.name) == ["answer", "retrieve", "chat"])
            #expect(spans[0].resource["service.name"] == "app")

            // The older attributes and the events give the same summary.
            let other = "1bf7651916cd43dd8448eb211c80319c"
            try await store.ingest(
                [
                    SpanRecord(
                        traceID: other, spanID: "d1d1d1d1d1d1d1d1", parentSpanID: nil, name: "legacy", startTimeNanos: 5_000,
                        endTimeNanos: 6_000,
                        statusCode: "ERROR", statusMessage: "timeout",
                        attributes: ["gen_ai.prompt": .string(#"[{"role": "user", "content": "Hi?"}]"#), "gen_ai.completion": "Hello."]),
                    SpanRecord(
                        traceID: other, spanID: "e1e1e1e1e1e1e1e1", parentSpanID: "d1d1d1d1d1d1d1d1", name: "events", startTimeNanos: 5_100,
                        endTimeNanos: 5_900,
                        events: [
                            SpanEvent(
                                name: "gen_ai.user.message", timeNanos: 5_100, attributes: ["content": "ignored, the prompt came first"]),
                            SpanEvent(
                                name: "gen_ai.choice", timeNanos: 5_800,
                                attributes: ["message": .string(#"{"role": "assistant", "content": "Hello there."}"#)]),
                        ]),
                ], experimentID: experiment)
            let legacy = try await store.trace(id: other).0
            #expect(legacy.inputs == "Hi?" && legacy.outputs == "Hello there." && legacy.status == "ERROR")

            // Tool spans (OpenTelemetry's execute_tool, MLflow's TOOL) are kept as the trace's steps, in time order.
            try await store.ingest(
                [
                    SpanRecord(
                        traceID: other, spanID: "f1f1f1f1f1f1f1f1", parentSpanID: "d1d1d1d1d1d1d1d1", name: "lookup", startTimeNanos: 5_300,
                        endTimeNanos: 5_400, attributes: ["mlflow.spanType": #""TOOL""#, "mlflow.spanInputs": #"{"id": 7}"#]),
                    SpanRecord(
                        traceID: other, spanID: "f2f2f2f2f2f2f2f2", parentSpanID: "d1d1d1d1d1d1d1d1", name: "execute_tool search",
                        startTimeNanos: 5_200, endTimeNanos: 5_250, statusCode: "ERROR",
                        attributes: ["gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.arguments": #"{"q": "hi"}"#]),
                ], experimentID: experiment)
            let steps = try await store.trace(id: other).0.toolSteps
            #expect(
                steps == [ToolStep(name: "search", arguments: ["q": "hi"], failed: true), ToolStep(name: "lookup", arguments: ["id": 7])])

            #expect(try await store.traces(in: experiment, since: nil, limit: 10, offset: 0).map(\.traceID) == [other, Self.trace])
            #expect(try await store.traces(in: experiment, since: 4_000, limit: 10, offset: 0).map(\.traceID) == [other])
            #expect(try await store.traces(in: "0", since: nil, limit: 10, offset: 0).isEmpty)

            let run = try await store.createRun(in: experiment, named: "judged", startTime: 1, userID: nil, tags: [])
            try await store.logAssessments([
                TraceAssessment(traceID: Self.trace, name: "toxicity/v1", value: 0, rationale: "harmless", runID: run.id),
                TraceAssessment(traceID: Self.trace, name: "answer_relevance/v1", value: nil, rationale: "100 out of 5", runID: run.id),
            ])
            let assessments = try await store.trace(id: Self.trace).2
            #expect(assessments.map(\.name) == ["answer_relevance/v1", "toxicity/v1"] && assessments[0].value == nil)
            let missing = await errorMessage { _ = try await store.trace(id: "ffffffffffffffffffffffffffffffff") }
            // The REST store names the trace as the mlflow client does (`tr-…`).
            #expect(missing?.hasSuffix("ffffffffffffffffffffffffffffffff' not found.") == true, "\(missing ?? "")")
        }
    }
}
