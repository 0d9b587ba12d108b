public import Assay
import AssayMLflowAPI
public import Foundation
import NIOHTTP1

/// The tracking store behind an MLflow-compatible server (`http(s)://host:port`): an `assay server`, or
/// MLflow's own tracking server. Every call is one of MLflow's REST requests; credentials come from the
/// same variables the mlflow client reads (MLFLOW_TRACKING_TOKEN, MLFLOW_TRACKING_USERNAME/PASSWORD,
/// or ASSAY_SERVER_TOKEN).
///
/// ```swift
/// let store = try RESTTrackingStore(url: "http://127.0.0.1:5000")
/// let runs = try await store.runs(in: ["0"], view: .activeOnly)
/// ```
///
/// Batches larger than MLflow's request limits (1000 metrics, 100 params and tags) are sent in several
/// requests, so only each request, not the whole batch, is all-or-nothing.
public final class RESTTrackingStore: TrackingStore {
    let client: RESTClient

    /// A store for the server at `url`; credentials from `environment` (the process's by default).
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(AssayError) {
        client = try RESTClient(url: url, authorization: RESTClient.authorization(from: environment))
    }

    /// The repository of this server's artifact proxy (`mlflow-artifacts:` URIs).
    public var artifacts: RESTArtifactRepository { RESTArtifactRepository(client: client) }

    // MARK: - Experiments

    public func createExperiment(named name: String, artifactLocation: String?, tags: [KeyValue]) async throws(AssayError) -> Experiment {
        let request = MLflow.CreateExperiment(name: name, artifactLocation: artifactLocation, tags: tags.map(MLflow.KeyValue.init))
        let answer = try await client.call(.POST, "experiments/create", request, as: MLflow.CreateExperimentResponse.self)
        return try await experiment(id: answer.experimentID)
    }

    public func experiment(id: String) async throws(AssayError) -> Experiment {
        let answer = try await client.call(
            .GET, "experiments/get", MLflow.GetExperiment(experimentID: id), as: MLflow.ExperimentResponse.self)
        return Experiment(answer.experiment)
    }

    public func experiment(named name: String) async throws(AssayError) -> Experiment? {
        do {
            let request = MLflow.GetExperimentByName(experimentName: name)
            return Experiment(
                try await client.call(.GET, "experiments/get-by-name", request, as: MLflow.ExperimentResponse.self).experiment)
        } catch  where error.kind == .notFound {
            return nil
        }
    }

    public func searchExperiments(_ query: ExperimentQuery) async throws(AssayError) -> SearchPage<Experiment> {
        let request = MLflow.SearchExperiments(
            maxResults: Int64(query.maxResults), filter: query.filter.conditions.isEmpty ? nil : query.filter.text,
            orderBy: query.orderBy.map(\.text), pageToken: query.offset > 0 ? PageToken.encode(offset: query.offset) : nil,
            viewType: query.view.wireName)
        let answer = try await client.call(.POST, "experiments/search", request, as: MLflow.SearchExperimentsResponse.self)
        return SearchPage(items: answer.experiments.map(Experiment.init), nextPageToken: answer.nextPageToken)
    }

    /// Counted page by page: the protocol has no aggregate request.
    public func experimentActivity() async throws(AssayError) -> [String: ExperimentActivity] {
        let experiments = try await experiments(view: .activeOnly).map(\.id)
        var activity: [String: ExperimentActivity] = [:]
        for run in try await runs(in: experiments, view: .activeOnly) {
            var entry = activity[run.experimentID] ?? ExperimentActivity(runCount: 0, lastStartTime: run.startTime)
            entry.runCount += 1
            entry.lastStartTime = max(entry.lastStartTime, run.startTime)
            activity[run.experimentID] = entry
        }
        return activity
    }

    public func renameExperiment(id: String, to name: String) async throws(AssayError) {
        _ = try await client.call(
            .POST, "experiments/update", MLflow.UpdateExperiment(experimentID: id, newName: name), as: MLflow.Empty.self)
    }

    public func setExperimentLifecycle(id: String, _ stage: LifecycleStage) async throws(AssayError) {
        let endpoint = stage == .deleted ? "experiments/delete" : "experiments/restore"
        _ = try await client.call(.POST, endpoint, MLflow.GetExperiment(experimentID: id), as: MLflow.Empty.self)
    }

    public func setExperimentTag(id: String, _ tag: KeyValue) async throws(AssayError) {
        let request = MLflow.SetExperimentTag(experimentID: id, key: tag.key, value: tag.value)
        _ = try await client.call(.POST, "experiments/set-experiment-tag", request, as: MLflow.Empty.self)
    }

    public func deleteExperimentTag(id: String, key: String) async throws(AssayError) {
        let request = MLflow.SetExperimentTag(experimentID: id, key: key, value: nil)
        _ = try await client.call(.POST, "experiments/delete-experiment-tag", request, as: MLflow.Empty.self)
    }

    // MARK: - Runs

    public func createRun(
        in experimentID: String, named name: String?, startTime: Int64, userID: String?, tags: [KeyValue]
    )
        async throws(AssayError) -> RunInfo
    {
        let request = MLflow.CreateRun(
            experimentID: experimentID, userID: userID, runName: name, startTime: startTime, tags: tags.map(MLflow.KeyValue.init))
        return try Self.read(try await client.call(.POST, "runs/create", request, as: MLflow.RunResponse.self).run).info
    }

    public func run(id: String) async throws(AssayError) -> Run {
        let request = MLflow.RunRequest(runID: id, runUUID: id)
        return try Self.read(try await client.call(.GET, "runs/get", request, as: MLflow.RunResponse.self).run)
    }

    public func updateRun(id: String, status: RunStatus?, endTime: Int64?, name: String?) async throws(AssayError) -> RunInfo {
        let request = MLflow.UpdateRun(runID: id, runUUID: id, status: status?.rawValue, endTime: endTime, runName: name)
        let answer = try await client.call(.POST, "runs/update", request, as: MLflow.UpdateRunResponse.self)
        do {
            return try RunInfo(answer.runInfo)
        } catch {
            throw Self.malformed("runs/update", error)
        }
    }

    public func setRunLifecycle(id: String, _ stage: LifecycleStage) async throws(AssayError) {
        let endpoint = stage == .deleted ? "runs/delete" : "runs/restore"
        _ = try await client.call(.POST, endpoint, MLflow.RunRequest(runID: id), as: MLflow.Empty.self)
    }

    public func searchRuns(_ query: RunQuery) async throws(AssayError) -> SearchPage<Run> {
        let request = MLflow.SearchRuns(
            experimentIDs: query.experimentIDs, filter: query.filter.conditions.isEmpty ? nil : query.filter.text,
            runViewType: query.view.wireName, maxResults: Int64(query.maxResults), orderBy: query.orderBy.map(\.text),
            pageToken: query.offset > 0 ? PageToken.encode(offset: query.offset) : nil)
        let answer = try await client.call(.POST, "runs/search", request, as: MLflow.SearchRunsResponse.self)
        return SearchPage(items: try answer.runs.map { run throws(AssayError) in try Self.read(run) }, nextPageToken: answer.nextPageToken)
    }

    // MARK: - Logging

    public func logBatch(run id: String, metrics: [MetricPoint], params: [KeyValue], tags: [KeyValue]) async throws(AssayError) {
        var metrics = metrics[...]
        var pairs = params.map { (true, $0) }[...] + tags.map { (false, $0) }
        repeat {
            let chunkMetrics = metrics.prefix(1000)
            metrics = metrics.dropFirst(chunkMetrics.count)
            let chunkPairs = pairs.prefix(min(100, 1000 - chunkMetrics.count))
            pairs = pairs.dropFirst(chunkPairs.count)
            let request = MLflow.LogBatch(
                runID: id, metrics: chunkMetrics.map(MLflow.Metric.init),
                params: chunkPairs.filter(\.0).map { MLflow.KeyValue($0.1) },
                tags: chunkPairs.filter { !$0.0 }.map { MLflow.KeyValue($0.1) })
            _ = try await client.call(.POST, "runs/log-batch", request, as: MLflow.Empty.self)
        } while !metrics.isEmpty || !pairs.isEmpty
    }

    public func deleteTag(run id: String, key: String) async throws(AssayError) {
        _ = try await client.call(.POST, "runs/delete-tag", MLflow.RunKeyValue(runID: id, key: key), as: MLflow.Empty.self)
    }

    public func metricHistory(run id: String, key: String) async throws(AssayError) -> [MetricPoint] {
        var points: [MetricPoint] = []
        var token: String?
        repeat {
            let request = MLflow.GetMetricHistory(runID: id, runUUID: id, metricKey: key, pageToken: token, maxResults: 25_000)
            let answer = try await client.call(.GET, "metrics/get-history", request, as: MLflow.MetricHistoryResponse.self)
            points += answer.metrics.map(MetricPoint.init)
            token = answer.nextPageToken
        } while token != nil
        return points
    }

    public func logInputs(run id: String, datasets: [DatasetInput]) async throws(AssayError) {
        let request = MLflow.LogInputs(runID: id, datasets: datasets.map(MLflow.DatasetInput.init))
        _ = try await client.call(.POST, "runs/log-inputs", request, as: MLflow.Empty.self)
    }

    // MARK: - Reading MLflow's messages

    static func read(_ run: MLflow.Run) throws(AssayError) -> Run {
        do {
            return try Run(run)
        } catch {
            throw malformed("a run", error)
        }
    }

    static func malformed(_ what: String, _ error: WireError) -> AssayError {
        .serviceFailure("the tracking server's answer to \(what) lacks what MLflow's protocol requires: \(error.message)")
    }
}
