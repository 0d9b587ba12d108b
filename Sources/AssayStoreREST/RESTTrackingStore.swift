public import Assay
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
        var body: [String: DataValue] = ["name": .string(name), "tags": Self.pairs(tags)]
        if let artifactLocation { body["artifact_location"] = .string(artifactLocation) }
        let answer = try await client.call(.POST, "experiments/create", body: body)
        guard let id = answer["experiment_id"]?.stringValue else { throw Self.malformed("experiments/create") }
        return try await experiment(id: id)
    }

    public func experiment(id: String) async throws(AssayError) -> Experiment {
        let answer = try await client.call(.GET, "experiments/get", query: [("experiment_id", id)])
        return try Self.experiment(answer["experiment"])
    }

    public func experiment(named name: String) async throws(AssayError) -> Experiment? {
        do {
            let answer = try await client.call(.GET, "experiments/get-by-name", query: [("experiment_name", name)])
            return try Self.experiment(answer["experiment"])
        } catch where error.kind == .notFound {
            return nil
        }
    }

    public func searchExperiments(_ query: ExperimentQuery) async throws(AssayError) -> SearchPage<Experiment> {
        var body: [String: DataValue] = [
            "max_results": .int(query.maxResults), "view_type": .string(Self.viewName(query.view)),
            "order_by": .list(query.orderBy.map { .string($0.text) }),
        ]
        if !query.filter.conditions.isEmpty { body["filter"] = .string(query.filter.text) }
        if query.offset > 0 { body["page_token"] = .string(PageToken.encode(offset: query.offset)) }
        let answer = try await client.call(.POST, "experiments/search", body: body)
        let items = try (answer["experiments"]?.listValue ?? []).map { item throws(AssayError) in try Self.experiment(item) }
        return SearchPage(items: items, nextPageToken: answer["next_page_token"]?.stringValue)
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
        _ = try await client.call(.POST, "experiments/update", body: ["experiment_id": .string(id), "new_name": .string(name)])
    }

    public func setExperimentLifecycle(id: String, _ stage: LifecycleStage) async throws(AssayError) {
        _ = try await client.call(.POST, stage == .deleted ? "experiments/delete" : "experiments/restore", body: ["experiment_id": .string(id)])
    }

    public func setExperimentTag(id: String, _ tag: KeyValue) async throws(AssayError) {
        _ = try await client.call(
            .POST, "experiments/set-experiment-tag", body: ["experiment_id": .string(id), "key": .string(tag.key), "value": .string(tag.value)])
    }

    // MARK: - Runs

    public func createRun(in experimentID: String, named name: String?, startTime: Int64, userID: String?, tags: [KeyValue])
        async throws(AssayError) -> RunInfo
    {
        var body: [String: DataValue] = [
            "experiment_id": .string(experimentID), "start_time": .int(Int(startTime)), "tags": Self.pairs(tags),
        ]
        if let name { body["run_name"] = .string(name) }
        if let userID { body["user_id"] = .string(userID) }
        let answer = try await client.call(.POST, "runs/create", body: body)
        return try Self.run(answer["run"]).info
    }

    public func run(id: String) async throws(AssayError) -> Run {
        let answer = try await client.call(.GET, "runs/get", query: [("run_id", id), ("run_uuid", id)])
        return try Self.run(answer["run"])
    }

    public func updateRun(id: String, status: RunStatus?, endTime: Int64?, name: String?) async throws(AssayError) -> RunInfo {
        var body: [String: DataValue] = ["run_id": .string(id), "run_uuid": .string(id)]
        if let status { body["status"] = .string(status.rawValue) }
        if let endTime { body["end_time"] = .int(Int(endTime)) }
        if let name { body["run_name"] = .string(name) }
        let answer = try await client.call(.POST, "runs/update", body: body)
        return try Self.runInfo(answer["run_info"])
    }

    public func setRunLifecycle(id: String, _ stage: LifecycleStage) async throws(AssayError) {
        _ = try await client.call(.POST, stage == .deleted ? "runs/delete" : "runs/restore", body: ["run_id": .string(id)])
    }

    public func searchRuns(_ query: RunQuery) async throws(AssayError) -> SearchPage<Run> {
        var body: [String: DataValue] = [
            "experiment_ids": .list(query.experimentIDs.map { .string($0) }), "max_results": .int(query.maxResults),
            "run_view_type": .string(Self.viewName(query.view)), "order_by": .list(query.orderBy.map { .string($0.text) }),
        ]
        if !query.filter.conditions.isEmpty { body["filter"] = .string(query.filter.text) }
        if query.offset > 0 { body["page_token"] = .string(PageToken.encode(offset: query.offset)) }
        let answer = try await client.call(.POST, "runs/search", body: body)
        let items = try (answer["runs"]?.listValue ?? []).map { item throws(AssayError) in try Self.run(item) }
        return SearchPage(items: items, nextPageToken: answer["next_page_token"]?.stringValue)
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
            let body: [String: DataValue] = [
                "run_id": .string(id),
                "metrics": .list(
                    chunkMetrics.map {
                        .object([
                            "key": .string($0.key), "value": Self.double($0.value), "timestamp": .int(Int($0.timestamp)),
                            "step": .int(Int($0.step)),
                        ])
                    }),
                "params": Self.pairs(chunkPairs.filter(\.0).map(\.1)),
                "tags": Self.pairs(chunkPairs.filter { !$0.0 }.map(\.1)),
            ]
            _ = try await client.call(.POST, "runs/log-batch", body: body)
        } while !metrics.isEmpty || !pairs.isEmpty
    }

    public func deleteTag(run id: String, key: String) async throws(AssayError) {
        _ = try await client.call(.POST, "runs/delete-tag", body: ["run_id": .string(id), "key": .string(key)])
    }

    public func metricHistory(run id: String, key: String) async throws(AssayError) -> [MetricPoint] {
        var points: [MetricPoint] = []
        var token: String?
        repeat {
            var query = [("run_id", id), ("run_uuid", id), ("metric_key", key), ("max_results", "25000")]
            if let token { query.append(("page_token", token)) }
            let answer = try await client.call(.GET, "metrics/get-history", query: query)
            points += try (answer["metrics"]?.listValue ?? []).map { item throws(AssayError) in try Self.metric(item) }
            token = answer["next_page_token"]?.stringValue
        } while token != nil
        return points
    }

    public func logInputs(run id: String, datasets: [DatasetInput]) async throws(AssayError) {
        let inputs: [DataValue] = datasets.map { input in
            var dataset: [String: DataValue] = [
                "name": .string(input.name), "digest": .string(input.digest), "source_type": .string(input.sourceType),
                "source": .string(input.source),
            ]
            if let schema = input.schema { dataset["schema"] = .string(schema) }
            if let profile = input.profile { dataset["profile"] = .string(profile) }
            return .object(["dataset": .object(dataset), "tags": Self.pairs(input.tags)])
        }
        _ = try await client.call(.POST, "runs/log-inputs", body: ["run_id": .string(id), "datasets": .list(inputs)])
    }

    // MARK: - Reading MLflow's JSON

    static func malformed(_ what: String) -> AssayError {
        .serviceFailure("the tracking server's answer to \(what) lacks fields MLflow's protocol requires")
    }

    static func viewName(_ view: LifecycleView) -> String {
        switch view {
        case .activeOnly: "ACTIVE_ONLY"
        case .deletedOnly: "DELETED_ONLY"
        case .all: "ALL"
        }
    }

    static func pairs(_ pairs: [KeyValue]) -> DataValue {
        .list(pairs.map { .object(["key": .string($0.key), "value": .string($0.value)]) })
    }

    static func double(_ d: Double) -> DataValue {
        d.isNaN ? .string("NaN") : d.isInfinite ? .string(d > 0 ? "Infinity" : "-Infinity") : .double(d)
    }

    static func fields(_ value: DataValue?, _ what: String) throws(AssayError) -> [String: DataValue] {
        guard case .object(let fields)? = value else { throw malformed(what) }
        return fields
    }

    static func int64(_ value: DataValue?) -> Int64? {
        switch value {
        case .int(let i)?: Int64(i)
        case .double(let d)?: Int64(d)
        case .string(let s)?: Int64(s)
        default: nil
        }
    }

    static func readPairs(_ value: DataValue?) -> [KeyValue] {
        (value?.listValue ?? []).compactMap { item in
            guard case .object(let pair) = item, let key = pair["key"]?.stringValue else { return nil }
            return KeyValue(key, pair["value"]?.stringValue ?? "")
        }
    }

    static func experiment(_ value: DataValue?) throws(AssayError) -> Experiment {
        let f = try fields(value, "an experiment")
        guard let id = f["experiment_id"]?.stringValue, let name = f["name"]?.stringValue else { throw malformed("an experiment") }
        return Experiment(
            id: id, name: name, artifactLocation: f["artifact_location"]?.stringValue ?? "",
            lifecycleStage: LifecycleStage(rawValue: f["lifecycle_stage"]?.stringValue ?? "active") ?? .active,
            creationTime: int64(f["creation_time"]) ?? 0, lastUpdateTime: int64(f["last_update_time"]) ?? 0, tags: readPairs(f["tags"]))
    }

    static func runInfo(_ value: DataValue?) throws(AssayError) -> RunInfo {
        let f = try fields(value, "a run")
        guard let id = f["run_id"]?.stringValue ?? f["run_uuid"]?.stringValue else { throw malformed("a run") }
        let end = int64(f["end_time"])
        return RunInfo(
            id: id, experimentID: f["experiment_id"]?.stringValue ?? "0", name: f["run_name"]?.stringValue ?? "",
            userID: f["user_id"]?.stringValue ?? "", status: RunStatus(rawValue: f["status"]?.stringValue ?? "") ?? .running,
            startTime: int64(f["start_time"]) ?? 0, endTime: end == 0 ? nil : end, artifactURI: f["artifact_uri"]?.stringValue ?? "",
            lifecycleStage: LifecycleStage(rawValue: f["lifecycle_stage"]?.stringValue ?? "active") ?? .active)
    }

    static func metric(_ value: DataValue?) throws(AssayError) -> MetricPoint {
        let f = try fields(value, "a metric")
        guard let key = f["key"]?.stringValue else { throw malformed("a metric") }
        let number: Double
        switch f["value"] {
        case .string("NaN")?: number = .nan
        case .string("Infinity")?: number = .infinity
        case .string("-Infinity")?: number = -.infinity
        case let other?: number = other.doubleValue ?? .nan
        case nil: number = 0
        }
        return MetricPoint(key: key, value: number, timestamp: int64(f["timestamp"]) ?? 0, step: int64(f["step"]) ?? 0)
    }

    static func run(_ value: DataValue?) throws(AssayError) -> Run {
        let f = try fields(value, "a run")
        let data = (try? fields(f["data"], "run data")) ?? [:]
        let inputs = (try? fields(f["inputs"], "run inputs")) ?? [:]
        let datasets: [DatasetInput] = (inputs["dataset_inputs"]?.listValue ?? []).compactMap { item in
            guard case .object(let input) = item, case .object(let d)? = input["dataset"] else { return nil }
            return DatasetInput(
                name: d["name"]?.stringValue ?? "", digest: d["digest"]?.stringValue ?? "", sourceType: d["source_type"]?.stringValue ?? "",
                source: d["source"]?.stringValue ?? "", schema: d["schema"]?.stringValue, profile: d["profile"]?.stringValue,
                tags: readPairs(input["tags"]))
        }
        return Run(
            info: try runInfo(f["info"]),
            metrics: try (data["metrics"]?.listValue ?? []).map { item throws(AssayError) in try metric(item) },
            params: readPairs(data["params"]), tags: readPairs(data["tags"]), inputs: datasets)
    }
}
