import Foundation

/// Records an evaluation as a run of a tracking store, the way `mlflow.evaluate` logs one: params,
/// metrics at step 0, the dataset as an input, and the artifacts `eval_results_table.json` and
/// `genai_custom_metrics.json` with the `mlflow.loggedArtifacts` tag, so MLflow's tools can read it.
///
/// ```swift
/// let artifacts = LocalArtifactRepository(root: URL(fileURLWithPath: "assay-artifacts"))
/// let recorder = RunRecorder(store: store, artifacts: artifacts)
/// let run = try await recorder.record(result, experiment: "llm-eval-demo", runName: "baseline")
/// ```
public struct RunRecorder: Sendable {
    /// The store runs are recorded in.
    public let store: any TrackingStore
    /// Where the runs' artifacts go.
    public let artifacts: any ArtifactRepository

    public init(store: any TrackingStore, artifacts: any ArtifactRepository) {
        self.store = store
        self.artifacts = artifacts
    }

    /// What to record besides the result.
    public struct Details: Sendable {
        /// Parameters of the run (model URI, prompt, inference settings, ...), as strings.
        public var params: [KeyValue] = []
        /// The dataset the run evaluated.
        public var dataset: DatasetInput?
        /// More files to store with the run, by path within its artifacts (such as `model/spec.yaml`).
        public var files: [(path: String, contents: String)] = []
        /// More tags of the run (`assay.gate`: the conditions the run was gated on).
        public var tags: [KeyValue] = []

        public init() {}

        /// Records the model (its params and files, see ``LanguageModel/runParams``) and how often each
        /// row was asked.
        public mutating func add(model: any LanguageModel, repeats: Int) {
            params += model.runParams
            if repeats > 1 { params.append(KeyValue("repeats", String(repeats))) }
            files += model.runFiles
        }

        /// Records the default judge and how often each row was judged.
        public mutating func add(judge identifier: String?, repeats: Int) {
            if let identifier { params.append(KeyValue("judge", identifier)) }
            if repeats > 1 { params.append(KeyValue("judge_repeats", String(repeats))) }
        }

        /// Records a dataset file as the run's input, as MLflow records a local dataset: its name,
        /// a digest of its bytes, its path and its row count.
        public mutating func add(datasetFile path: String, name: String, digest: String, rows: Int) {
            dataset = DatasetInput(
                name: name, digest: digest, sourceType: "local", source: DataValue.object(["path": .string(path)]).description,
                profile: DataValue.object(["num_rows": .int(rows)]).description)
        }
    }

    /// Records `result` as a finished run (killed when the evaluation was interrupted) in the experiment
    /// named `experiment`, creating it when needed.
    public func record(
        _ result: EvaluationResult, experiment name: String, runName: String?, details: Details = .init()
    )
        async throws(AssayError) -> RunInfo
    {
        let experiment: Experiment
        if let existing = try await store.experiment(named: name) {
            experiment = existing
        } else {
            experiment = try await store.createExperiment(named: name, artifactLocation: nil, tags: [])
        }
        let user = ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? NSUserName()
        let run = try await store.createRun(
            // The run spans the evaluation: it started when the evaluation did.
            in: experiment.id, named: runName, startTime: result.startTime > 0 ? result.startTime : MetricPoint.now(), userID: user,
            tags: [KeyValue("mlflow.user", user), KeyValue("mlflow.source.name", "assay"), KeyValue("mlflow.source.type", "LOCAL")])
        do {
            // Files are written to a staging folder first, then handed to the repository (a local folder or a server).
            let staging = FileManager.default.temporaryDirectory.appendingPathComponent("assay-run-\(run.id)")
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: staging) }
            var files: [String] = []
            var logged: [String] = []
            try result.table.write(to: staging.appendingPathComponent("eval_results_table.json").path)
            files.append("eval_results_table.json")
            logged.append("eval_results_table.json")
            if !result.judges.isEmpty {
                try result.writeCustomMetrics(to: staging.appendingPathComponent("genai_custom_metrics.json").path)
                files.append("genai_custom_metrics.json")
            }
            for file in details.files {
                let url = staging.appendingPathComponent(file.path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(file.contents.utf8).write(to: url, options: .atomic)
                files.append(file.path)
            }
            for file in files { try await artifacts.store(file: staging.appendingPathComponent(file), at: file, of: run) }
            // The tag MLflow's UI uses to find tables, spaced as Python's json.dumps writes it.
            let tables = logged.map { "{\"path\": \"\($0)\", \"type\": \"table\"}" }.joined(separator: ", ")
            let now = MetricPoint.now()
            let metrics = result.metricKeys.map { MetricPoint(key: $0, value: result.metrics[$0]!, timestamp: now, step: 0) }
            var params = details.params
            if let modelType = result.modelType { params.append(KeyValue("model_type", modelType.rawValue)) }
            params.append(KeyValue("dataset_name", result.datasetName))
            if let digest = details.dataset?.digest { params.append(KeyValue("dataset_digest", digest)) }
            params.append(KeyValue("rows", String(result.rowCount)))
            try await store.logBatch(
                run: run.id, metrics: metrics, params: params,
                tags: [KeyValue("mlflow.loggedArtifacts", "[\(tables)]")] + details.tags)
            if let dataset = details.dataset { try await store.logInputs(run: run.id, datasets: [dataset]) }
            return try await store.updateRun(
                id: run.id, status: result.usage.interrupted ? .killed : .finished, endTime: MetricPoint.now(), name: nil)
        } catch {
            _ = try? await store.updateRun(id: run.id, status: .failed, endTime: MetricPoint.now(), name: nil)
            if let error = error as? AssayError { throw error }
            throw .internal("cannot record run \(run.id): \(error)")
        }
    }
}
