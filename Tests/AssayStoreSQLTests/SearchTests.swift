import Assay
import AssayTesting
import Testing

/// MLflow's search grammar run as SQL on both backends: the same runs, the same answers.
@Suite struct SearchTests {
    struct Fixture {
        let store: any TrackingStore
        let experiment: String
        let a: String, b: String, c: String, d: String

        func search(_ filter: String?, orderBy: [String] = [], max: Int = 1000, offset: Int = 0) async throws -> SearchPage<Run> {
            try await store.searchRuns(
                RunQuery(
                    experimentIDs: [experiment], filter: SearchFilter(filter, for: .runs),
                    orderBy: SearchOrder.parse(orderBy, for: .runs), maxResults: max, offset: offset))
        }

        func names(_ filter: String?, orderBy: [String] = []) async throws -> [String] {
            try await search(filter, orderBy: orderBy).items.map(\.info.name)
        }
    }

    /// run-a (0.81, gpt, dev, FINISHED), run-b (0.42, claude, prod, FINISHED), run-c (0.95, gpt, no stage,
    /// RUNNING, weird = NaN), run-d (no accuracy, table tag, FINISHED, weird2 = +inf, dataset "qa");
    /// started in that order, one second apart.
    func fixture(_ store: any TrackingStore) async throws -> Fixture {
        let experiment = try await store.createExperiment(named: "search", artifactLocation: nil, tags: []).id
        var ids: [String] = []
        for (index, name) in ["run-a", "run-b", "run-c", "run-d"].enumerated() {
            ids.append(
                try await store.createRun(in: experiment, named: name, startTime: Int64(1000 * (index + 1)), userID: "root", tags: []).id)
        }
        let (a, b, c, d) = (ids[0], ids[1], ids[2], ids[3])
        try await store.logBatch(
            run: a, metrics: [MetricPoint(key: "accuracy", value: 0.81), MetricPoint(key: "weird", value: 1)],
            params: [KeyValue("model", "gpt")], tags: [KeyValue("stage", "dev")])
        try await store.logBatch(
            run: b, metrics: [MetricPoint(key: "accuracy", value: 0.42)], params: [KeyValue("model", "claude")],
            tags: [KeyValue("stage", "prod")])
        try await store.logBatch(
            run: c, metrics: [MetricPoint(key: "accuracy", value: 0.95), MetricPoint(key: "weird", value: .nan)],
            params: [KeyValue("model", "gpt")], tags: [])
        try await store.logBatch(
            run: d, metrics: [MetricPoint(key: "weird2", value: .infinity)], params: [],
            tags: [KeyValue("mlflow.loggedArtifacts", #"[{"path": "eval_results_table.json", "type": "table"}]"#)])
        try await store.logInputs(run: d, datasets: [DatasetInput(name: "qa", digest: "0d6ed5bc", sourceType: "code", source: "{}")])
        for id in [a, b, d] { _ = try await store.updateRun(id: id, status: .finished, endTime: 9000, name: nil) }
        return Fixture(store: store, experiment: experiment, a: a, b: b, c: c, d: d)
    }

    /// The parser's limits are ones both databases answer: the most comparisons (each on its own metric,
    /// param or tag), the most order-by clauses and the most IN values.
    @Test(arguments: Backend.available)
    func searchesAtTheLimitsAreAnswered(backend: Backend) async throws {
        try await backend.withStore { store in
            let f = try await fixture(store)
            let kinds = ["metrics.m", "params.p", "tags.t"]
            let most = (0..<SearchFilter.maxConditions).map { (i: Int) -> String in
                let comparison = i % 3 == 0 ? " >= 0" : " != 'x'"
                return kinds[i % 3] + String(i) + comparison
            }
            #expect(try await f.names(most.joined(separator: " and ")).isEmpty)
            let orders = (0..<SearchOrder.maxClauses).map { (i: Int) -> String in kinds[i % 3] + String(i) + " DESC" }
            #expect(try await f.names(nil, orderBy: orders).count == 4)
            let ids = ([f.a] + (1..<SearchFilter.maxListValues).map { "id\($0)" }).map { "'\($0)'" }.joined(separator: ",")
            #expect(try await f.names("attributes.run_id IN (\(ids))") == ["run-a"])
        }
    }

    @Test(arguments: Backend.available)
    func comparisonsOnMetricsParamsTagsAndAttributes(backend: Backend) async throws {
        try await backend.withStore { store in
            let f = try await fixture(store)
            #expect(try await f.names(nil) == ["run-d", "run-c", "run-b", "run-a"])
            #expect(try await f.names("metrics.accuracy > 0.5 and params.model = 'gpt'") == ["run-c", "run-a"])
            #expect(try await f.names("metrics.accuracy <= 0.42") == ["run-b"])
            #expect(try await f.names("tags.stage != 'dev'") == ["run-b"], "a run without the tag never matches !=")
            #expect(try await f.names("tags.stage IS NULL") == ["run-d", "run-c"])
            #expect(try await f.names("params.model IS NOT NULL and attributes.status = 'RUNNING'") == ["run-c"])
            #expect(try await f.names("metrics.weird2 > 1000") == ["run-d"], "+inf is kept and compares")
            #expect(try await f.names("metrics.weird > -1") == ["run-a"], "NaN matches no comparison")
            #expect(try await f.names("created > 2500") == ["run-d", "run-c"])
            #expect(try await f.names("attributes.end_time = 9000 and run_name != 'run-a'") == ["run-d", "run-b"])
            #expect(try await f.names("dataset.name = 'qa' and dataset.digest IN ('0d6ed5bc', 'x')") == ["run-d"])
            #expect(try await f.names("attributes.run_id IN ('\(f.a)', '\(f.b)')") == ["run-b", "run-a"])
            #expect(try await f.names("attributes.run_id NOT IN ('\(f.a)', '\(f.b)')") == ["run-d", "run-c"])
        }
    }

    @Test(arguments: Backend.available)
    func likeIsCaseSensitiveAndIlikeIsNot(backend: Backend) async throws {
        try await backend.withStore { store in
            let f = try await fixture(store)
            #expect(
                try await f.names("tags.`mlflow.runName` ILIKE 'RUN-%' and attributes.run_id IN ('\(f.a)', '\(f.b)')") == [
                    "run-b", "run-a",
                ])
            #expect(try await f.names("tags.mlflow.runName LIKE 'RUN-%'") == [])
            #expect(try await f.names("tags.\"mlflow.runName\" LIKE 'run-_'") == ["run-d", "run-c", "run-b", "run-a"])
            // The filter mlflow.load_table sends: % runs across quotes, colons and commas.
            let table = #"tags.mlflow.loggedArtifacts LIKE '%"path"%:%"eval_results_table.json",%"type"%:%"table"%'"#
            #expect(try await f.names("\(table) and attributes.run_id IN ('\(f.d)')") == ["run-d"])
            #expect(try await f.names("params.model = 'x'' OR 1=1 --'") == [], "a quote in a value stays a value")
        }
    }

    @Test(arguments: Backend.available)
    func orderingPutsMissingLastAndPagesWithTokens(backend: Backend) async throws {
        try await backend.withStore { store in
            let f = try await fixture(store)
            let order = ["metrics.accuracy ASC", "attributes.start_time DESC"]
            let first = try await f.search("attributes.status != 'RUNNING'", orderBy: order, max: 2)
            #expect(first.items.map(\.info.name) == ["run-b", "run-a"])
            let token = try #require(first.nextPageToken)
            #expect(token == "eyJvZmZzZXQiOiAyfQ==")
            let second = try await f.search("attributes.status != 'RUNNING'", orderBy: order, max: 2, offset: try PageToken.offset(token))
            #expect(second.items.map(\.info.name) == ["run-d"])
            #expect(second.nextPageToken == nil)
            #expect(try await f.names(nil, orderBy: ["metrics.accuracy DESC"]) == ["run-c", "run-a", "run-b", "run-d"])
            #expect(
                try await f.names(nil, orderBy: ["metrics.weird DESC"]) == ["run-a", "run-c", "run-d", "run-b"],
                "NaN after numbers, missing last")
            #expect(try await f.names(nil, orderBy: ["params.model"]) == ["run-b", "run-c", "run-a", "run-d"])
            #expect(try await f.names(nil, orderBy: ["attributes.end_time ASC"]) == ["run-d", "run-b", "run-a", "run-c"])
            let run = try #require(try await f.search("metrics.accuracy > 0.9").items.first)
            #expect(run.metrics.map(\.key) == ["accuracy", "weird"])
            #expect(run.metrics[1].value.isNaN)
            #expect(run.params == [KeyValue("model", "gpt")])
        }
    }

    @Test(arguments: Backend.available)
    func experimentsSearch(backend: Backend) async throws {
        try await backend.withStore { store in
            _ = try await store.createExperiment(named: "llm-eval-demo", artifactLocation: nil, tags: [KeyValue("team", "nlp")])
            _ = try await store.createExperiment(named: "LLM-other", artifactLocation: nil, tags: [])
            func names(_ filter: String, _ orderBy: [String] = []) async throws -> [String] {
                try await store.searchExperiments(
                    ExperimentQuery(filter: SearchFilter(filter, for: .experiments), orderBy: SearchOrder.parse(orderBy, for: .experiments))
                ).items.map(\.name)
            }
            #expect(try await names("name LIKE 'llm%'") == ["llm-eval-demo"])
            #expect(try await names("name ILIKE 'llm%'", ["name ASC"]) == ["LLM-other", "llm-eval-demo"])
            #expect(try await names("tags.team = 'nlp'") == ["llm-eval-demo"])
            #expect(try await names("attributes.experiment_id IN ('0', '2')") == ["LLM-other", "Default"])
            let run = try await store.createRun(in: "2", named: "r", startTime: 42, userID: nil, tags: [])
            _ = try await store.createRun(in: "2", named: "s", startTime: 7, userID: nil, tags: [])
            #expect(try await store.experimentActivity() == ["2": ExperimentActivity(runCount: 2, lastStartTime: 42)])
            try await store.setRunLifecycle(id: run.id, .deleted)
            #expect(try await store.experimentActivity() == ["2": ExperimentActivity(runCount: 1, lastStartTime: 7)])
            let page = try await store.searchExperiments(ExperimentQuery(maxResults: 2))
            #expect(page.items.count == 2 && page.nextPageToken != nil)
        }
    }
}
