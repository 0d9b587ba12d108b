import Assay
import AssayStoreSQL
import AssayStoreSQLite
import AssayTesting
import Foundation
import Testing

/// MLflow 3's records in both database stores: logged models and run outputs, what a client says about
/// a trace before or after its spans, trace tags, links to runs, searches, and assessments.
@Suite struct MLflow3StoreTests {
    static let trace = "5b8aa5a2d2c872e8321cf37308d69df2"

    static func summary(_ id: String, experiment: String, metadata: [String: String] = [:], tags: [String: String] = [:]) -> TraceSummary {
        var t = TraceSummary(
            traceID: id, experimentID: experiment, name: "", startTimeNanos: 0, endTimeNanos: 0, status: "UNSET", spanCount: 0,
            model: nil, inputTokens: nil, outputTokens: nil, inputs: nil, outputs: nil, context: [])
        t.state = "OK"
        t.requestTime = 1_700_000_000_000
        t.executionDuration = 70
        t.requestPreview = #"{"question": "What is Spark?"}"#
        t.metadata = metadata
        t.tags = tags.merging(["mlflow.traceName": "answer"]) { a, _ in a }
        return t
    }

    @Test(arguments: Backend.available)
    func loggedModelsAreCreatedFinalizedTaggedSearchedAndDeleted(backend: Backend) async throws {
        try await backend.withStore { opened in
            let store = try #require(opened as? any LoggedModelStore)
            let experiment = try await store.createExperiment(named: "agents", artifactLocation: nil, tags: [])
            let run = try await store.createRun(in: experiment.id, named: "log", startTime: 1, userID: nil, tags: [])
            let model = try await store.createLoggedModel(
                in: experiment.id, name: "agent", sourceRunID: run.id, modelType: "agent", tags: [KeyValue("team", "nlp")],
                params: [KeyValue("temperature", "0.1")])
            #expect(model.id.hasPrefix("m-") && model.id.count == 34 && model.status == .pending)
            #expect(model.artifactLocation == "\(experiment.artifactLocation)/models/\(model.id)/artifacts")
            #expect(try await store.setLoggedModelStatus(id: model.id, .ready, message: nil).status == .ready)
            try await store.setLoggedModelTags(id: model.id, [KeyValue("team", "search"), KeyValue("stage", "dev")])
            try await store.logLoggedModelParams(id: model.id, [KeyValue("temperature", "0.1"), KeyValue("top_p", "1")])
            let changed = await errorMessage { try await store.logLoggedModelParams(id: model.id, [KeyValue("temperature", "0.9")]) }
            #expect(changed?.contains("Changing param values is not allowed") == true)
            try await store.deleteLoggedModelTag(id: model.id, key: "stage")
            let read = try await store.loggedModel(id: model.id)
            #expect(read.tags == [KeyValue("team", "search")] && read.params == [KeyValue("temperature", "0.1"), KeyValue("top_p", "1")])

            let other = try await store.createLoggedModel(
                in: experiment.id, name: "other", sourceRunID: nil, modelType: nil, tags: [], params: [])
            func search(_ filter: String) async throws -> [String] {
                try await store.searchLoggedModels(
                    LoggedModelQuery(experimentIDs: [experiment.id], filter: try SearchFilter(filter, for: .loggedModels))
                ).items.map(\.id)
            }
            #expect(try await search("name = 'agent'") == [model.id])
            #expect(try await search("tags.team = 'search' AND params.top_p = '1'") == [model.id])
            #expect(try await search("status = 'LOGGED_MODEL_PENDING'") == [other.id])
            #expect(try await search("").count == 2)
            let page = try await store.searchLoggedModels(LoggedModelQuery(experimentIDs: [experiment.id], maxResults: 1))
            #expect(page.items.count == 1 && page.nextPageToken != nil)

            try await store.logOutputs(run: run.id, models: [RunModelOutput(modelID: model.id), RunModelOutput(modelID: model.id)])
            #expect(try await store.run(id: run.id).modelOutputs == [RunModelOutput(modelID: model.id)])
            let unknown = await errorMessage { try await store.logOutputs(run: run.id, models: [RunModelOutput(modelID: "m-nope")]) }
            #expect(unknown == "Logged model with ID 'm-nope' not found.")
            // The models a run evaluated: its inputs, each once, beside its datasets.
            try await store.logModelInputs(run: run.id, modelIDs: [model.id, other.id, model.id])
            #expect(try await store.run(id: run.id).modelInputs == [model.id, other.id])
            #expect(await errorMessage { try await store.logModelInputs(run: run.id, modelIDs: ["m-nope"]) } != nil)

            try await store.deleteLoggedModel(id: other.id)
            #expect(await errorMessage { _ = try await store.loggedModel(id: other.id) } == "Logged model with ID '\(other.id)' not found.")
            let bad = await errorMessage {
                _ = try await store.createLoggedModel(
                    in: experiment.id, name: "nul\u{0}", sourceRunID: nil, modelType: nil, tags: [], params: [])
            }
            #expect(bad != nil)
        }
    }

    @Test(arguments: Backend.available)
    func aTraceMeetsItsSpansInEitherOrderAndIsTaggedLinkedSearchedAndScored(backend: Backend) async throws {
        try await backend.withStore { opened in
            let store = try #require(opened as? any TraceStore)
            let experiment = try await store.createExperiment(named: "traced", artifactLocation: nil, tags: []).id
            let run = try await store.createRun(in: experiment, named: "eval", startTime: 1, userID: nil, tags: []).id
            let spans = [
                SpanRecord(
                    traceID: Self.trace, spanID: "00f067aa0ba902b7", parentSpanID: nil, name: "answer", startTimeNanos: 1_000,
                    endTimeNanos: 71_000_000, statusCode: "OK",
                    attributes: ["mlflow.spanInputs": .object(["question": "What is Spark?"]), "mlflow.spanOutputs": "An engine."])
            ]
            // The client's record first, then the spans.
            _ = try await store.record(Self.summary(Self.trace, experiment: experiment, metadata: ["mlflow.sourceRun": run]))
            var (stored, _, _) = try await store.trace(id: Self.trace)
            #expect(stored.spanCount == 0 && stored.state == "OK" && stored.requestTime == 1_700_000_000_000 && stored.name == "answer")
            try await store.ingest(spans, experimentID: experiment)
            (stored, _, _) = try await store.trace(id: Self.trace)
            #expect(stored.spanCount == 1 && stored.state == "OK" && stored.metadata["mlflow.sourceRun"] == run)
            #expect(stored.requestPreview == #"{"question": "What is Spark?"}"#)
            // Spans first, then the record.
            let second = "6c9bb6b3e3d983f9432d048419e7ae03"
            try await store.ingest(
                spans.map {
                    var s = $0; s.traceID = second; return s
                }, experimentID: experiment)
            _ = try await store.record(Self.summary(second, experiment: experiment, tags: ["reviewed": "no"]))
            (stored, _, _) = try await store.trace(id: second)
            #expect(stored.spanCount == 1 && stored.state == "OK" && stored.tags == ["mlflow.traceName": "answer", "reviewed": "no"])

            try await store.setTraceTag(id: second, KeyValue("reviewed", "yes"))
            #expect(try await store.trace(id: second).0.tags["reviewed"] == "yes")
            try await store.deleteTraceTag(id: second, key: "reviewed")
            #expect(await errorMessage { try await store.deleteTraceTag(id: second, key: "reviewed") } != nil)
            #expect(await errorMessage { try await store.setTraceTag(id: "nope", KeyValue("a", "b")) } == "Trace with ID 'nope' not found.")

            func search(_ filter: String) async throws -> [String] {
                try await store.searchTraces(
                    experimentIDs: [experiment], filter: try SearchFilter(filter, for: .traces), maxResults: 100, offset: 0
                ).items.map(\.traceID)
            }
            #expect(try await search("attributes.run_id = '\(run)'") == [Self.trace])
            try await store.linkTraces([second], toRun: run)
            #expect(Set(try await search("run_id = '\(run)'")) == [Self.trace, second])
            #expect(try await search("request_metadata.`mlflow.sourceRun` = '\(run)'") == [Self.trace])
            #expect(try await search("attributes.status = 'OK' AND attributes.timestamp_ms > 1600000000000").count == 2)
            #expect(try await search("tags.`mlflow.traceName` = 'answer'").count == 2)
            // A trace may be linked before it arrives (its spans still on their way), as MLflow allows.
            try await store.linkTraces(["not-yet"], toRun: run)
            #expect(Set(try await search("run_id = '\(run)'")) == [Self.trace, second])
            #expect(
                await errorMessage { try await store.linkTraces((0...100).map { "t\($0)" }, toRun: run) }?.contains("more than 100") == true
            )
            #expect(await errorMessage { try await store.linkTraces([second], toRun: "no-such-run") } != nil)

            // Assessments: an evaluation run's score replaces its earlier one; a person's sits beside it.
            try await store.logAssessments([TraceAssessment(traceID: Self.trace, name: "relevance", value: 2, rationale: "meh", runID: run)]
            )
            let judged = try await store.logAssessments([
                TraceAssessment(traceID: Self.trace, name: "relevance", value: 4, rationale: "good", runID: run)
            ])
            let human = try await store.logAssessments([
                TraceAssessment(
                    traceID: Self.trace, name: "helpful", data: true, rationale: "Answers it.",
                    source: TraceAssessment.Source(type: "HUMAN", id: "reviewer@example.com"), metadata: ["note": "ok"])
            ])[0]
            var assessments = try await store.trace(id: Self.trace).2
            #expect(assessments.count == 2)
            let relevance = try #require(assessments.first { $0.name == "relevance" })
            #expect(relevance.value == 4 && relevance.id == judged[0].id && relevance.source.type == "LLM_JUDGE")
            #expect(human.id.hasPrefix("a-") && human.value == 1)
            let fetched = try await store.assessment(trace: Self.trace, id: human.id)
            #expect(fetched.data == true && fetched.metadata == ["note": "ok"] && fetched.source.id == "reviewer@example.com")
            var changed = fetched
            changed.data = .object(["label": "great", "score": 0.5])
            try await store.logAssessments([changed])
            #expect(try await store.assessment(trace: Self.trace, id: human.id).data == .object(["label": "great", "score": 0.5]))
            try await store.deleteAssessment(trace: Self.trace, id: human.id)
            assessments = try await store.trace(id: Self.trace).2
            #expect(assessments.map(\.name) == ["relevance"])
            #expect(await errorMessage { try await store.deleteAssessment(trace: Self.trace, id: human.id) } != nil)

            #expect(try await store.traces(ids: [second, "nope", Self.trace]).map(\.0.traceID) == [second, Self.trace])
            #expect(try await store.deleteTraces(in: experiment, ids: [Self.trace], before: nil, maxTraces: nil) == 1)
            #expect(await errorMessage { _ = try await store.trace(id: Self.trace) } != nil)
            #expect(try await store.deleteTraces(in: experiment, ids: nil, before: Int64.max / 1_000_000, maxTraces: 10) == 1)
            #expect(try await store.traces(in: experiment, since: nil, limit: 10, offset: 0).isEmpty)
        }
    }

    @Test(arguments: Backend.available)
    func valuesLoggedForAModelAreItsMetricsAndNarrowItsSearch(backend: Backend) async throws {
        try await backend.withStore { opened in
            let store = try #require(opened as? any LoggedModelStore)
            let experiment = try await store.createExperiment(named: "models", artifactLocation: nil, tags: []).id
            let run = try await store.createRun(in: experiment, named: "eval", startTime: 1, userID: nil, tags: []).id
            // MLflow keeps a source run as given, even one this store has never seen.
            let first = try await store.createLoggedModel(
                in: experiment, name: "first", sourceRunID: "123", modelType: nil, tags: [], params: [])
            #expect(first.sourceRunID == "123")
            let second = try await store.createLoggedModel(
                in: experiment, name: "second", sourceRunID: nil, modelType: nil, tags: [], params: [])
            try await store.logBatch(
                run: run,
                metrics: [
                    MetricPoint(
                        key: "accuracy", value: 0.5, timestamp: 10, step: 1, modelID: first.id, datasetName: "qa", datasetDigest: "d1"),
                    MetricPoint(
                        key: "accuracy", value: 0.7, timestamp: 20, step: 2, modelID: first.id, datasetName: "qa", datasetDigest: "d1"),
                    MetricPoint(key: "accuracy", value: 0.9, timestamp: 30, step: 1, modelID: second.id, datasetName: "other"),
                    MetricPoint(key: "loss", value: 1.5, timestamp: 30, step: 1),
                ], params: [], tags: [])
            // A value logged again is kept once.
            try await store.logMetric(
                run: run,
                MetricPoint(key: "accuracy", value: 0.5, timestamp: 10, step: 1, modelID: first.id, datasetName: "qa", datasetDigest: "d1"))
            let metrics = try await store.loggedModel(id: first.id).metrics
            #expect(metrics.map(\.value) == [0.5, 0.7] && metrics.allSatisfy { $0.runID == run && $0.datasetDigest == "d1" })
            #expect(try await store.run(id: run).metrics.count == 2, "the run keeps its own latest values too")

            func search(
                _ filter: String, datasets: [LoggedModelQuery.DatasetFilter] = [], order: [(String, Bool)] = []
            ) async throws -> [String] {
                try await store.searchLoggedModels(
                    LoggedModelQuery(
                        experimentIDs: [experiment], filter: try SearchFilter(filter, for: .loggedModels), orderBy: order,
                        datasets: datasets)
                ).items.map(\.name)
            }
            #expect(try await search("", datasets: [.init(name: "qa", digest: "d1")]) == ["first"])
            #expect(try await search("", datasets: [.init(name: "qa", digest: "other")]).isEmpty)
            // Both models may be made within one millisecond, so their order is not asked here.
            #expect(Set(try await search("metrics.accuracy > 0.6")) == ["first", "second"])
            #expect(try await search("metrics.accuracy > 0.8") == ["second"])
            #expect(try await search("metrics.accuracy > 0.6", datasets: [.init(name: "qa")]) == ["first"])
            #expect(try await search("", order: [("metrics.accuracy", true)]) == ["first", "second"])
            let unknown = await errorMessage {
                try await store.logMetric(run: run, MetricPoint(key: "accuracy", value: 1, modelID: "m-nope"))
            }
            #expect(unknown?.contains("m-nope") == true)
            try await store.deleteLoggedModel(id: first.id)
            #expect(try await search("metrics.accuracy > 0").count == 1)
        }
    }

    @Test(arguments: Backend.available)
    func anOverrideInvalidatesTheAssessmentUntilItIsDeleted(backend: Backend) async throws {
        try await backend.withStore { opened in
            let store = try #require(opened as? any TraceStore)
            let experiment = try await store.createExperiment(named: "reviewed", artifactLocation: nil, tags: []).id
            _ = try await store.record(Self.summary(Self.trace, experiment: experiment))
            let human = TraceAssessment.Source(type: "HUMAN", id: "reviewer")
            let original = try await store.logAssessments([TraceAssessment(traceID: Self.trace, name: "quality", data: 4, source: human)])[
                0]
            let correction = try await store.logAssessments([
                TraceAssessment(traceID: Self.trace, name: "quality", data: 2, source: human, overrides: original.id)
            ])[0]
            #expect(try await store.assessment(trace: Self.trace, id: original.id).valid == false)
            #expect(try await store.assessment(trace: Self.trace, id: correction.id).valid)
            try await store.deleteAssessment(trace: Self.trace, id: correction.id)
            #expect(try await store.assessment(trace: Self.trace, id: original.id).valid)
        }
    }

    @Test(arguments: Backend.available)
    func tracesAreSearchedByTheirTextAndCountedTogether(backend: Backend) async throws {
        try await backend.withStore { opened in
            let store = try #require(opened as? any TraceStore)
            let experiment = try await store.createExperiment(named: "analytics", artifactLocation: nil, tags: []).id
            // Ten traces: six prod ones that ran a tool, then four dev ones of which the first ran a tool.
            for i in 0..<10 {
                let id = String(format: "%032x", i + 1)
                let prod = i < 6
                var summary = Self.summary(
                    id, experiment: experiment, tags: ["env": prod ? "prod" : "dev", "kind": prod || i == 6 ? "TOOL" : "LLM"])
                summary.state = i == 9 ? "ERROR" : "OK"
                summary.executionDuration = Int64(10 * (i + 1))
                _ = try await store.record(summary)
                try await store.ingest(
                    [
                        SpanRecord(
                            traceID: id, spanID: String(format: "%016x", i + 1), parentSpanID: nil, name: "step\(i)", startTimeNanos: 1_000,
                            endTimeNanos: 1_000 + Int64(10 * (i + 1)) * 1_000_000, statusCode: "OK",
                            attributes: [
                                "mlflow.spanType": .string(prod ? "TOOL" : "LLM"), "note": .string(i == 3 ? "I like it" : "plain"),
                            ])
                    ], experimentID: experiment)
            }
            let found = try await store.searchTraces(
                experimentIDs: [experiment], filter: try SearchFilter("trace.text LIKE '%I like it%'", for: .traces), maxResults: 100,
                offset: 0)
            #expect(found.items.map(\.traceID) == [String(format: "%032x", 4)])
            let named = try await store.searchTraces(
                experimentIDs: [experiment], filter: try SearchFilter("trace.text LIKE '%step%' AND tags.env = 'dev'", for: .traces),
                maxResults: 100, offset: 0)
            #expect(named.items.count == 4)

            let correlation = try await store.filterCorrelation(
                experimentIDs: [experiment], try SearchFilter("tags.env = 'prod'", for: .traces),
                try SearchFilter("tags.kind = 'TOOL'", for: .traces))
            #expect((correlation.totalCount, correlation.filter1Count, correlation.filter2Count, correlation.jointCount) == (10, 6, 7, 6))
            // NPMI of that table, computed by hand: log(6·10 / (6·7)) / −log(6/10).
            #expect(abs(correlation.npmi - log(60.0 / 42.0) / -log(0.6)) < 1e-12)
            let none = try await store.filterCorrelation(
                experimentIDs: [experiment], try SearchFilter("tags.env = 'staging'", for: .traces), try SearchFilter("", for: .traces))
            #expect(none.filter1Count == 0 && none.npmi.isNaN)

            let byStatus = try await store.traceMetrics(
                experimentIDs: [experiment],
                try TraceMetricQuery(view: .traces, metric: "trace_count", aggregations: [.count], dimensions: ["trace_status"]))
            #expect(byStatus.map(\.dimensions) == [["trace_status": "ERROR"], ["trace_status": "OK"]])
            #expect(byStatus.map { $0.values["COUNT"] } == [1, 9])
            let latency = try await store.traceMetrics(
                experimentIDs: [experiment],
                try TraceMetricQuery(
                    view: .traces, metric: "latency", aggregations: [.average, .percentile(50)], filters: ["trace.tag.env = 'prod'"]))
            // Prod traces take 10…60 ms: mean 35, median 35.
            #expect(latency.count == 1 && latency[0].values == ["AVG": 35, "P50.0": 35])
            let spans = try await store.traceMetrics(
                experimentIDs: [experiment],
                try TraceMetricQuery(
                    view: .spans, metric: "span_count", aggregations: [.count], dimensions: ["span_type"], filters: ["span.type = 'LLM'"]))
            #expect(spans == [TraceMetricPoint(metric: "span_count", dimensions: ["span_type": "LLM"], values: ["COUNT": 4])])
            #expect(await errorMessage { _ = try TraceMetricQuery(view: .traces, metric: "latency", aggregations: [.count]) } != nil)
            #expect(await errorMessage { _ = try TraceMetricQuery(view: .spans, metric: "bogus", aggregations: [.count]) } != nil)
        }
    }

    /// Scores that `assay evaluate --traces` wrote before assessments had ids keep their values through
    /// the upgrade, under ids of their own, and a later evaluation of the same run replaces them.
    @Test func earlierScoresSurviveTheUpgrade() async throws {
        let store = SQLiteTrackingStore(database: try SQLiteDatabase(), artifactRoot: "mlflow-artifacts:")
        try await store.database.migrate(Array(store.migrations.prefix(4)))
        try await store.database.transaction { s in
            try await s.execute(
                """
                INSERT INTO traces (trace_id, experiment_id, name, start_time, end_time, status, span_count, context)
                VALUES (\(Self.trace), 0, 'chat', 1, 2, 'OK', 1, '[]')
                """)
            try await s.execute(
                """
                INSERT INTO assessments (trace_id, name, value, rationale, run_uuid)
                VALUES (\(Self.trace), 'toxicity/v1', 0.25, 'mild', 'r1'), (\(Self.trace), 'token_count', 12, NULL, 'r1')
                """)
        }
        try await store.migrate()
        let assessments = try await store.trace(id: Self.trace).2
        #expect(assessments.map(\.name).sorted() == ["token_count", "toxicity/v1"])
        let toxicity = try #require(assessments.first { $0.name == "toxicity/v1" })
        #expect(toxicity.value == 0.25 && toxicity.rationale == "mild" && toxicity.source.type == "LLM_JUDGE" && toxicity.runID == "r1")
        #expect(toxicity.metadata["mlflow.assessment.sourceRunId"] == "r1")
        try await store.logAssessments([TraceAssessment(traceID: Self.trace, name: "toxicity/v1", value: 0.5, rationale: nil, runID: "r1")])
        let again = try await store.trace(id: Self.trace).2
        #expect(again.count == 2 && again.first { $0.name == "toxicity/v1" }?.id == toxicity.id)
    }
}
