import Assay
import AssayServer
import AssayStorePostgres
import AssayStoreREST
import AssayStoreSQLite
import AssayTesting
import Foundation
import HummingbirdTesting
import Logging
import Testing

/// The store backends the suite runs against: SQLite; an `assay server` over SQLite, through the REST
/// store; and PostgreSQL when ASSAY_POSTGRES_URL names a server (`.ci/run` starts one with scripts/test-postgres).
enum Backend: String, CaseIterable, CustomTestStringConvertible {
    case sqlite, rest, postgres

    static var available: [Backend] {
        ProcessInfo.processInfo.environment["ASSAY_POSTGRES_URL"] == nil ? [.sqlite, .rest] : [.sqlite, .rest, .postgres]
    }

    var testDescription: String { rawValue }

    /// Runs `body` with a fresh, empty store: an in-memory SQLite database; a server over one, driven through
    /// the REST store on a free port; or a new PostgreSQL database of its own. The server and the
    /// connection pool stop when `body` returns.
    func withStore(_ body: @escaping @Sendable (any TrackingStore) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            try await body(try SQLiteTrackingStore(inMemoryWithArtifactRoot: "mlflow-artifacts:"))
        case .rest:
            var configuration = TrackingServer.Configuration()
            configuration.port = 0
            var logger = Logger(label: "assay.server.test")
            logger.logLevel = .critical
            // The artifact folder goes with the test (it used to stay behind in the temporary directory).
            let artifacts = try TemporaryFolder()
            let server = try TrackingServer(
                store: try SQLiteTrackingStore(inMemoryWithArtifactRoot: "mlflow-artifacts:"), artifactRoot: artifacts.url,
                configuration: configuration, logger: logger)
            try await server.application().test(.live) { client in
                try await body(try RESTTrackingStore(url: "http://127.0.0.1:\(client.port ?? 0)", environment: [:]))
            }
            withExtendedLifetime(artifacts) {}
        case .postgres:
            let url = ProcessInfo.processInfo.environment["ASSAY_POSTGRES_URL"]!
            let name = "assay_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["psql", url, "-q", "-c", "CREATE DATABASE \(name)"]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw AssayError.internal("psql could not create \(name)") }
            let base = url[..<url.lastIndex(of: "/")!]
            let store = try PostgresTrackingStore(url: "\(base)/\(name)")
            try await store.withRunning {
                try await store.migrate()
                try await body(store)
            }
        }
    }
}

@Suite struct TrackingStoreTests {
    @Test(arguments: Backend.available)
    func experimentsStartWithDefaultAndKeepNamesUnique(backend: Backend) async throws {
        try await backend.withStore { store in
            let defaultExperiment = try await store.experiment(id: "0")
            #expect(defaultExperiment.name == "Default")
            #expect(defaultExperiment.artifactLocation == "mlflow-artifacts:/0")
            #expect(defaultExperiment.lifecycleStage == .active)
            let first = try await store.createExperiment(named: "llm-eval-demo", artifactLocation: nil, tags: [KeyValue("team", "nlp")])
            let second = try await store.createExperiment(named: "other", artifactLocation: nil, tags: [])
            #expect(first.id == "1" && second.id == "2")
            #expect(first.tags == [KeyValue("team", "nlp")])
            #expect(try await store.experiment(named: "llm-eval-demo")?.id == "1")
            #expect(try await store.experiment(named: "missing") == nil)
            #expect(try await store.experiments(view: .activeOnly).map(\.id) == ["2", "1", "0"])
            let duplicate = await errorMessage { _ = try await store.createExperiment(named: "other", artifactLocation: nil, tags: []) }
            #expect(duplicate == "Experiment 'other' already exists.")
            let missing = await errorMessage { _ = try await store.experiment(id: "999999") }
            #expect(missing == "No Experiment with id=999999 exists")
            try await store.setExperimentLifecycle(id: "2", .deleted)
            #expect(try await store.experiments(view: .activeOnly).map(\.id) == ["1", "0"])
            #expect(try await store.experiments(view: .deletedOnly).map(\.id) == ["2"])
            try await store.renameExperiment(id: "1", to: "renamed")
            #expect(try await store.experiment(id: "1").name == "renamed")
        }
    }

    /// A run's metrics, params and tags come back ordered by their keys' UTF-8 bytes on every backend
    /// (capitals before lowercase, non-ASCII last), whatever order they were logged in, over several batches.
    @Test(arguments: Backend.available)
    func aRunsKeysComeBackInByteOrder(backend: Backend) async throws {
        try await backend.withStore { store in
            let run = try await store.createRun(in: "0", named: "order", startTime: 1, userID: nil, tags: [])
            let keys = ["zeta", "Zeta", "émile", "alpha", "b_2", "b-2", "B", "a"]
            for (i, key) in keys.enumerated() {
                try await store.logBatch(
                    run: run.id, metrics: [MetricPoint(key: key, value: Double(i), timestamp: 1, step: 0)],
                    params: [KeyValue(key, "v\(i)")], tags: [KeyValue("t." + key, "x")])
            }
            let sorted = keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            #expect(sorted == ["B", "Zeta", "a", "alpha", "b-2", "b_2", "zeta", "émile"])
            let loaded = try await store.run(id: run.id)
            #expect(loaded.metrics.map(\.key) == sorted)
            #expect(loaded.params.map(\.key) == sorted)
            #expect(loaded.tags.map(\.key).filter { $0.hasPrefix("t.") } == sorted.map { "t." + $0 })
        }
    }

    @Test(arguments: Backend.available)
    func runsRecordMetricsParamsTagsAndTheLatestMetricRule(backend: Backend) async throws {
        try await backend.withStore { store in
            let info = try await store.createRun(in: "0", named: nil, startTime: 1_000, userID: "root", tags: [KeyValue("stage", "dev")])
            #expect(info.id.count == 32)
            #expect(info.artifactURI == "mlflow-artifacts:/0/\(info.id)/artifacts")
            #expect(!info.name.isEmpty)
            try await store.logBatch(
                run: info.id,
                metrics: [
                    MetricPoint(key: "loss", value: 0.9, timestamp: 10, step: 0),
                    MetricPoint(key: "loss", value: 0.3, timestamp: 50, step: 3),
                    MetricPoint(key: "loss", value: 0.25, timestamp: 50, step: 4),
                    MetricPoint(key: "acc", value: 0.8, timestamp: 90, step: 1),
                    MetricPoint(key: "acc", value: 0.7, timestamp: 20, step: 2),
                    MetricPoint(key: "weird", value: .nan, timestamp: 5, step: 0),
                    MetricPoint(key: "huge", value: .infinity, timestamp: 5, step: 0),
                ],
                params: [KeyValue("model", "gpt")], tags: [KeyValue("team", "nlp")])
            let run = try await store.run(id: info.id)
            let latest = Dictionary(uniqueKeysWithValues: run.metrics.map { ($0.key, $0) })
            #expect(latest["loss"]?.value == 0.25, "same timestamp: the larger step wins")
            #expect(latest["acc"]?.value == 0.7, "a larger step wins even with an older timestamp")
            #expect(latest["weird"]?.value.isNaN == true)
            #expect(latest["huge"]?.value == .infinity)
            #expect(run.params == [KeyValue("model", "gpt")])
            #expect(run.tags.contains(KeyValue("stage", "dev")) && run.tags.contains(KeyValue("mlflow.runName", info.name)))
            let history = try await store.metricHistory(run: info.id, key: "loss")
            #expect(history.map(\.value) == [0.9, 0.3, 0.25])

            // Params are immutable; a batch that breaks the rule keeps nothing.
            try await store.logParam(run: info.id, KeyValue("model", "gpt"))
            let changed = await errorMessage {
                try await store.logBatch(
                    run: info.id, metrics: [MetricPoint(key: "loss", value: 0.1, timestamp: 99, step: 9)],
                    params: [KeyValue("model", "different")], tags: [])
            }
            #expect(
                changed?.hasPrefix("Changing param values is not allowed. Param with key='model' was already logged with value='gpt'")
                    == true)
            #expect(try await store.metricHistory(run: info.id, key: "loss").count == 3)

            try await store.setTag(run: info.id, KeyValue("team", "search"))
            try await store.deleteTag(run: info.id, key: "stage")
            let tags = try await store.run(id: info.id).tags
            #expect(tags.contains(KeyValue("team", "search")) && !tags.contains { $0.key == "stage" })

            let finished = try await store.updateRun(id: info.id, status: .finished, endTime: 2_000, name: "baseline")
            #expect(finished.status == .finished && finished.endTime == 2_000 && finished.name == "baseline")
            try await store.setRunLifecycle(id: info.id, .deleted)
            #expect(try await store.runs(in: ["0"], view: .activeOnly).isEmpty)
            #expect(try await store.runs(in: ["0"], view: .all).map(\.id) == [info.id])
            #expect(await errorMessage { _ = try await store.run(id: "nope") } == "Run with id=nope not found")
        }
    }

    @Test(arguments: Backend.available)
    func inputsAreRecordedOnce(backend: Backend) async throws {
        try await backend.withStore { store in
            let dataset = DatasetInput(name: "qa.jsonl", digest: "0d6ed5bc", sourceType: "local", source: "{}", tags: [KeyValue("k", "v")])
            let id = try await store.createRun(in: "0", named: "r", startTime: 1, userID: nil, tags: []).id
            try await store.logInputs(run: id, datasets: [dataset, dataset])
            #expect(try await store.run(id: id).inputs == [dataset])
        }
    }

    /// A NUL or another control character in a name would be cut off or overwrite another key; a NUL in a
    /// value cannot be stored (PostgreSQL) or comes back shortened (SQLite). Both are refused, nothing is kept.
    @Test(arguments: Backend.available)
    func controlCharactersInNamesAndNULsInValuesAreRefused(backend: Backend) async throws {
        try await backend.withStore { store in
            let id = try await store.createRun(in: "0", named: "r", startTime: 1, userID: nil, tags: [KeyValue("k2", "kept")]).id
            let refused: [(String, [MetricPoint], [KeyValue], [KeyValue])] = [
                ("Invalid tag name: 'k2\\u{0}evil'", [], [], [KeyValue("k2\u{0}evil", "x")]),
                ("Invalid tag name: 'mlflow.runName\\u{0}x'", [], [], [KeyValue("mlflow.runName\u{0}x", "evil")]),
                ("Invalid tag name: 'a\\u{1b}[31m'", [], [], [KeyValue("a\u{1b}[31m", "x")]),
                ("Invalid tag 'k2' value: it holds a NUL character (U+0000) at character 7", [], [], [KeyValue("k2", "before\u{0}after")]),
                ("Invalid param name", [], [KeyValue("p\u{7f}", "v")], []),
                ("Invalid param 'p' value", [], [KeyValue("p", "\u{0}")], []),
                ("Invalid metric name: 'm\\u{a}'", [MetricPoint(key: "m\n", value: 1, timestamp: 1, step: 0)], [], []),
            ]
            for (message, metrics, params, tags) in refused {
                let error = await errorMessage { try await store.logBatch(run: id, metrics: metrics, params: params, tags: tags) }
                #expect(error?.hasPrefix(message) == true, "\(error ?? "no error")")
            }
            let run = try await store.run(id: id)
            #expect(run.tags.first { $0.key == "k2" }?.value == "kept" && run.info.name == "r" && run.params.isEmpty && run.metrics.isEmpty)
            try await store.logBatch(run: id, metrics: [], params: [KeyValue("multi", "line\nand\ttab")], tags: [])
            #expect(
                try await store.run(id: id).params == [KeyValue("multi", "line\nand\ttab")], "other control characters are fine in values")
            #expect(
                await errorMessage { try await store.setExperimentTag(id: "0", KeyValue("e\u{0}", "v")) }?.hasPrefix(
                    "Invalid experiment tag name") == true)
            #expect(
                await errorMessage { _ = try await store.createExperiment(named: "x\u{0}y", artifactLocation: nil, tags: []) }?.hasPrefix(
                    "Invalid experiment name") == true)
            #expect(
                await errorMessage { _ = try await store.updateRun(id: id, status: nil, endTime: nil, name: "n\u{0}") }?.hasPrefix(
                    "Invalid run name") == true)
        }
    }

    @Test func theSQLiteFileSurvivesReopening() async throws {
        let folder = try TemporaryFolder()
        let path = folder.path("assay.db")
        let dataset = DatasetInput(
            name: "qa.jsonl", digest: "0d6ed5bc", sourceType: "local", source: "{\"path\": \"examples/qa.jsonl\"}",
            schema: nil, profile: "{\"num_rows\": 12}", tags: [KeyValue("mlflow.data.context", "eval")])
        let id: String
        do {
            let store = try SQLiteTrackingStore(path: path)
            let experiment = try await store.createExperiment(named: "persisted", artifactLocation: nil, tags: [])
            id = try await store.createRun(in: experiment.id, named: "r", startTime: 1, userID: nil, tags: []).id
            try await store.logInputs(run: id, datasets: [dataset, dataset])
            try await store.logMetric(run: id, MetricPoint(key: "exact_match/v1", value: 0.25))
        }
        let reopened = try SQLiteTrackingStore(path: path)
        let run = try await reopened.run(id: id)
        #expect(run.inputs == [dataset])
        #expect(run.metrics.map(\.key) == ["exact_match/v1"])
        #expect(try await reopened.experiment(named: "persisted") != nil)
    }
}

/// A PostgreSQL database made by an earlier Assay (NaN stored as a value, before migration v3) keeps its
/// data and its NaN metrics once the shared schema upgrades it.
@Suite struct PostgresUpgradeTests {
    static let url = ProcessInfo.processInfo.environment["ASSAY_POSTGRES_URL"]

    @Test(.enabled(if: url != nil, "set ASSAY_POSTGRES_URL to a PostgreSQL server, or run scripts/test"))
    func aDatabaseOfTheEarlierSchemaKeepsItsNaNMetrics() async throws {
        let url = Self.url!
        let name = "assay_upgrade_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        let base = url[..<url.lastIndex(of: "/")!]
        // The earlier schema's metric tables, exactly as its v1 migration made them, and a run with NaN logged.
        let earlier = """
            CREATE DATABASE \(name);
            \\c \(name)
            CREATE TABLE assay_migrations (name TEXT PRIMARY KEY);
            CREATE TABLE experiments (experiment_id BIGINT GENERATED BY DEFAULT AS IDENTITY (START WITH 1) PRIMARY KEY,
                name TEXT NOT NULL UNIQUE, artifact_location TEXT NOT NULL, lifecycle_stage TEXT NOT NULL DEFAULT 'active',
                creation_time BIGINT NOT NULL, last_update_time BIGINT NOT NULL);
            CREATE TABLE experiment_tags (experiment_id BIGINT NOT NULL REFERENCES experiments(experiment_id) ON DELETE CASCADE,
                key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (experiment_id, key));
            CREATE TABLE runs (run_uuid TEXT PRIMARY KEY, experiment_id BIGINT NOT NULL REFERENCES experiments(experiment_id),
                name TEXT NOT NULL, user_id TEXT NOT NULL, status TEXT NOT NULL, start_time BIGINT NOT NULL, end_time BIGINT,
                artifact_uri TEXT NOT NULL, lifecycle_stage TEXT NOT NULL DEFAULT 'active');
            CREATE TABLE params (run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE, key TEXT NOT NULL,
                value TEXT NOT NULL, PRIMARY KEY (run_uuid, key));
            CREATE TABLE tags (run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE, key TEXT NOT NULL,
                value TEXT NOT NULL, PRIMARY KEY (run_uuid, key));
            CREATE TABLE metrics (run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE, key TEXT NOT NULL,
                value DOUBLE PRECISION NOT NULL, timestamp BIGINT NOT NULL, step BIGINT NOT NULL);
            CREATE TABLE latest_metrics (run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE, key TEXT NOT NULL,
                value DOUBLE PRECISION NOT NULL, timestamp BIGINT NOT NULL, step BIGINT NOT NULL, PRIMARY KEY (run_uuid, key));
            CREATE TABLE inputs (run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE, position INT NOT NULL,
                name TEXT NOT NULL, digest TEXT NOT NULL, source_type TEXT NOT NULL, source TEXT NOT NULL,
                schema TEXT, profile TEXT, tags TEXT NOT NULL, PRIMARY KEY (run_uuid, position));
            INSERT INTO experiments VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active', 1, 1);
            INSERT INTO assay_migrations VALUES ('v1: experiments, runs, params, tags, metrics, inputs');
            INSERT INTO runs VALUES ('aa', 0, 'old', '', 'FINISHED', 1, 2, 'mlflow-artifacts:/0/aa/artifacts', 'active');
            INSERT INTO metrics VALUES ('aa', 'loss', 'NaN', 1, 0), ('aa', 'loss', 0.5, 2, 0);
            INSERT INTO latest_metrics VALUES ('aa', 'loss', 'NaN', 1, 0);
            """
        let folder = try TemporaryFolder()
        let script = folder.path("earlier.sql")
        try earlier.write(toFile: script, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-f", script]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)

        let store = try PostgresTrackingStore(url: "\(base)/\(name)")
        try await store.withRunning {
            try await store.migrate()
            let run = try await store.run(id: "aa")
            #expect(run.metrics.count == 1 && run.metrics[0].value.isNaN)
            let history = try await store.metricHistory(run: "aa", key: "loss")
            #expect(history.count == 2 && history[0].value.isNaN && history[1].value == 0.5)
            // The upgraded tables take new points under the shared rule: a later step replaces NaN.
            try await store.logMetric(run: "aa", MetricPoint(key: "loss", value: 0.25, timestamp: 3, step: 1))
            #expect(try await store.run(id: "aa").metrics[0].value == 0.25)
            #expect(try await store.traces(in: "0", since: nil, limit: 10, offset: 0).isEmpty)
        }
    }
}
