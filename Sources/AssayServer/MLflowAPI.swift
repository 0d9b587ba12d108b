import Assay
import Foundation

/// The handlers of MLflow's tracking RPCs, by method and path below `/api/2.0/mlflow/`.
struct MLflowAPI {
    let store: any TrackingStore
    let artifacts: ArtifactStore

    typealias Handler = @Sendable (MLflowAPI, RequestFields) async throws -> DataValue

    static func handler(_ method: String, _ endpoint: String) -> Handler? {
        routes["\(method) \(endpoint)"]
    }

    static let routes: [String: Handler] = [
        "GET experiments/get-by-name": { try await $0.experimentByName($1) },
        "POST experiments/create": { try await $0.createExperiment($1) },
        "GET experiments/get": { try await $0.getExperiment($1) },
        "POST experiments/search": { try await $0.searchExperiments($1) },
        "GET experiments/search": { try await $0.searchExperiments($1) },
        "POST experiments/update": { try await $0.updateExperiment($1) },
        "POST experiments/delete": { try await $0.setExperimentLifecycle($1, .deleted) },
        "POST experiments/restore": { try await $0.setExperimentLifecycle($1, .active) },
        "POST experiments/set-experiment-tag": { try await $0.setExperimentTag($1) },
        "POST runs/create": { try await $0.createRun($1) },
        "POST runs/update": { try await $0.updateRun($1) },
        "POST runs/delete": { try await $0.setRunLifecycle($1, .deleted) },
        "POST runs/restore": { try await $0.setRunLifecycle($1, .active) },
        "GET runs/get": { try await $0.getRun($1) },
        "POST runs/search": { try await $0.searchRuns($1) },
        "POST runs/log-metric": { try await $0.logMetric($1) },
        "POST runs/log-parameter": { try await $0.logParam($1) },
        "POST runs/set-tag": { try await $0.setTag($1) },
        "POST runs/delete-tag": { try await $0.deleteTag($1) },
        "POST runs/log-batch": { try await $0.logBatch($1) },
        "POST runs/log-inputs": { try await $0.logInputs($1) },
        "GET metrics/get-history": { try await $0.metricHistory($1) },
        "GET artifacts/list": { try await $0.listRunArtifacts($1) },
        // Assay has no logged models yet; the client looks them up before artifact listings.
        "POST logged-models/search": { _, _ in .object([:]) },
    ]

    static let empty = DataValue.object([:])

    // MARK: - Experiments

    func experimentByName(_ f: RequestFields) async throws -> DataValue {
        let name = try f.requiredString("experiment_name")
        guard let experiment = try await store.experiment(named: name) else {
            throw APIError.notFound("Could not find experiment with name '\(name)'")
        }
        return .object(["experiment": MLflowJSON.experiment(experiment)])
    }

    func createExperiment(_ f: RequestFields) async throws -> DataValue {
        let name = try f.requiredString("name")
        guard !name.isEmpty else { throw APIError.missing("name") }
        let location = try f.string("artifact_location").flatMap { $0.isEmpty ? nil : $0 }
        let tags = try f.list("tags").map { item throws(APIError) in try RequestFields.keyValue(item, in: "tags") }
        let experiment = try await store.createExperiment(named: name, artifactLocation: location, tags: tags)
        return .object(["experiment_id": .string(experiment.id)])
    }

    func getExperiment(_ f: RequestFields) async throws -> DataValue {
        let experiment = try await store.experiment(id: try f.requiredString("experiment_id"))
        return .object(["experiment": MLflowJSON.experiment(experiment)])
    }

    func searchExperiments(_ f: RequestFields) async throws -> DataValue {
        let query = ExperimentQuery(
            filter: try SearchFilter(try f.string("filter"), for: .experiments),
            orderBy: try SearchOrder.parse(try f.strings("order_by"), for: .experiments), view: try f.view("view_type"),
            maxResults: try Self.maxResults(f, default: 1000), offset: try PageToken.offset(try f.string("page_token")))
        let page = try await store.searchExperiments(query)
        var fields: [String: DataValue] = [:]
        if !page.items.isEmpty { fields["experiments"] = .list(page.items.map(MLflowJSON.experiment)) }
        if let token = page.nextPageToken { fields["next_page_token"] = .string(token) }
        return .object(fields)
    }

    func updateExperiment(_ f: RequestFields) async throws -> DataValue {
        let id = try f.requiredString("experiment_id")
        if let name = try f.string("new_name"), !name.isEmpty { try await store.renameExperiment(id: id, to: name) }
        return Self.empty
    }

    func setExperimentLifecycle(_ f: RequestFields, _ stage: LifecycleStage) async throws -> DataValue {
        try await store.setExperimentLifecycle(id: try f.requiredString("experiment_id"), stage)
        return Self.empty
    }

    func setExperimentTag(_ f: RequestFields) async throws -> DataValue {
        let tag = KeyValue(try f.requiredString("key"), try f.string("value") ?? "")
        try Self.validate(tag: tag)
        try await store.setExperimentTag(id: try f.requiredString("experiment_id"), tag)
        return Self.empty
    }

    // MARK: - Runs

    func createRun(_ f: RequestFields) async throws -> DataValue {
        let tags = try f.list("tags").map { item throws(APIError) in try RequestFields.keyValue(item, in: "tags") }
        for tag in tags { try Self.validate(tag: tag) }
        let experiment = try f.string("experiment_id").flatMap { $0.isEmpty ? nil : $0 } ?? "0"
        let name = try f.string("run_name").flatMap { $0.isEmpty ? nil : $0 }
        let info = try await store.createRun(
            in: experiment, named: name, startTime: try f.int64("start_time") ?? MetricPoint.now(), userID: try f.string("user_id"),
            tags: tags)
        return .object(["run": MLflowJSON.run(try await store.run(id: info.id))])
    }

    func updateRun(_ f: RequestFields) async throws -> DataValue {
        var status: RunStatus?
        if let text = try f.string("status") {
            guard let parsed = RunStatus(rawValue: text.uppercased()) else {
                throw APIError.invalid("Invalid value '\(text)' for parameter 'status': use one of \(RunStatus.allCases.map(\.rawValue)).")
            }
            status = parsed
        }
        let name = try f.string("run_name").flatMap { $0.isEmpty ? nil : $0 }
        let info = try await store.updateRun(id: try f.runID(), status: status, endTime: try f.int64("end_time"), name: name)
        return .object(["run_info": MLflowJSON.runInfo(info)])
    }

    func setRunLifecycle(_ f: RequestFields, _ stage: LifecycleStage) async throws -> DataValue {
        try await store.setRunLifecycle(id: try f.runID(), stage)
        return Self.empty
    }

    func getRun(_ f: RequestFields) async throws -> DataValue {
        .object(["run": MLflowJSON.run(try await store.run(id: try f.runID()))])
    }

    func searchRuns(_ f: RequestFields) async throws -> DataValue {
        let query = RunQuery(
            experimentIDs: try f.strings("experiment_ids"), filter: try SearchFilter(try f.string("filter"), for: .runs),
            orderBy: try SearchOrder.parse(try f.strings("order_by"), for: .runs), view: try f.view("run_view_type"),
            maxResults: try Self.maxResults(f, default: 1000), offset: try PageToken.offset(try f.string("page_token")))
        let page = try await store.searchRuns(query)
        var fields: [String: DataValue] = [:]
        if !page.items.isEmpty { fields["runs"] = .list(page.items.map(MLflowJSON.run)) }
        if let token = page.nextPageToken { fields["next_page_token"] = .string(token) }
        return .object(fields)
    }

    static func maxResults(_ f: RequestFields, default value: Int64) throws(APIError) -> Int {
        let n = try f.int64("max_results") ?? value
        guard (1...50_000).contains(n) else {
            throw APIError.invalid("Invalid value \(n) for parameter 'max_results' supplied. It must be at most 50000, and at least 1.")
        }
        return Int(n)
    }

    // MARK: - Logging

    func logMetric(_ f: RequestFields) async throws -> DataValue {
        try await store.logMetric(run: try f.runID(), try Self.metric(f))
        return Self.empty
    }

    func logParam(_ f: RequestFields) async throws -> DataValue {
        let param = KeyValue(try f.requiredString("key"), try f.requiredString("value"))
        try Self.validate(param: param)
        try await store.logParam(run: try f.runID(), param)
        return Self.empty
    }

    func setTag(_ f: RequestFields) async throws -> DataValue {
        let tag = KeyValue(try f.requiredString("key"), try f.string("value") ?? "")
        try Self.validate(tag: tag)
        try await store.setTag(run: try f.runID(), tag)
        return Self.empty
    }

    func deleteTag(_ f: RequestFields) async throws -> DataValue {
        try await store.deleteTag(run: try f.runID(), key: try f.requiredString("key"))
        return Self.empty
    }

    func logBatch(_ f: RequestFields) async throws -> DataValue {
        let metrics = try f.list("metrics").map { item throws(APIError) in try Self.metric(try RequestFields.object(item, in: "metrics")) }
        let params = try f.list("params").map { item throws(APIError) in try RequestFields.keyValue(item, in: "params") }
        let tags = try f.list("tags").map { item throws(APIError) in try RequestFields.keyValue(item, in: "tags") }
        guard metrics.count <= 1000, params.count + tags.count <= 100, metrics.count + params.count + tags.count <= 1000 else {
            throw APIError.invalid(
                "A batch logging request can contain at most 1000 metrics, 100 params and tags together, and 1000 values in all; got \(metrics.count) metrics, \(params.count) params and \(tags.count) tags.")
        }
        for param in params { try Self.validate(param: param) }
        for tag in tags { try Self.validate(tag: tag) }
        let id = try f.runID()
        try await store.logBatch(run: id, metrics: metrics, params: params, tags: tags)
        return Self.empty
    }

    func logInputs(_ f: RequestFields) async throws -> DataValue {
        let id = try f.runID()
        let datasets = try f.list("datasets").map { item throws(APIError) -> DatasetInput in
            let input = try RequestFields.object(item, in: "datasets")
            guard let dataset = try input.object("dataset") else { throw APIError.missing("dataset") }
            let tags = try input.list("tags").map { tag throws(APIError) in try RequestFields.keyValue(tag, in: "tags") }
            return DatasetInput(
                name: try dataset.requiredString("name"), digest: try dataset.requiredString("digest"),
                sourceType: try dataset.requiredString("source_type"), source: try dataset.requiredString("source"),
                schema: try dataset.string("schema"), profile: try dataset.string("profile"), tags: tags)
        }
        try await store.logInputs(run: id, datasets: datasets)
        return Self.empty
    }

    func metricHistory(_ f: RequestFields) async throws -> DataValue {
        let key = try f.requiredString("metric_key")
        let points = try await store.metricHistory(run: try f.runID(), key: key)
        let limit = Int(try f.int64("max_results") ?? 25_000)
        guard limit > 0 else { throw APIError.invalid("Invalid value \(limit) for parameter 'max_results' supplied.") }
        let offset = try PageToken.offset(try f.string("page_token"))
        let page = SearchPage(fetched: Array(points.dropFirst(offset).prefix(limit + 1)), limit: limit, offset: offset)
        var fields: [String: DataValue] = [:]
        if !page.items.isEmpty { fields["metrics"] = .list(page.items.map(MLflowJSON.metric)) }
        if let token = page.nextPageToken { fields["next_page_token"] = .string(token) }
        return .object(fields)
    }

    /// The run-scoped listing MLflow's web UI uses: `{"root_uri", "files"}` below the run's artifact URI.
    func listRunArtifacts(_ f: RequestFields) async throws -> DataValue {
        let run = try await store.run(id: try f.runID())
        let uri = run.info.artifactURI
        guard uri.hasPrefix("mlflow-artifacts:") else { return .object(["root_uri": .string(uri)]) }
        let base = String(uri.dropFirst("mlflow-artifacts:".count).drop { $0 == "/" })
        let sub = try f.string("path") ?? ""
        let entries = try artifacts.list(sub.isEmpty ? base : base + "/" + sub)
        var listing = TrackingServer.listing(entries)
        if case .object(var fields) = listing {
            fields["root_uri"] = .string(uri)
            if case .list(let files)? = fields["files"], !sub.isEmpty {
                // This listing names entries by their path within the run, not by basename.
                fields["files"] = .list(
                    files.map { file in
                        guard case .object(var entry) = file, let name = entry["path"]?.stringValue else { return file }
                        entry["path"] = .string(sub + "/" + name)
                        return .object(entry)
                    })
            }
            listing = .object(fields)
        }
        return listing
    }

    // MARK: - Validation

    static func metric(_ f: RequestFields) throws(APIError) -> MetricPoint {
        let key = try f.requiredString("key")
        try validate(key: key)
        guard let value = try f.double("value") else { throw APIError.missing("value") }
        guard let timestamp = try f.int64("timestamp") else { throw APIError.missing("timestamp") }
        return MetricPoint(key: key, value: value, timestamp: timestamp, step: try f.int64("step") ?? 0)
    }

    static func validate(key: String) throws(APIError) {
        guard !key.isEmpty else { throw APIError.missing("key") }
        guard key.count <= 250 else { throw APIError.invalid("Key '\(key.prefix(40))…' is \(key.count) characters long; the limit is 250.") }
    }

    static func validate(param: KeyValue) throws(APIError) {
        try validate(key: param.key)
        guard param.value.count <= 6000 else {
            throw APIError.invalid("Param value for '\(param.key)' is \(param.value.count) characters long; the limit is 6000.")
        }
    }

    static func validate(tag: KeyValue) throws(APIError) {
        try validate(key: tag.key)
        guard tag.value.count <= 8000 else {
            throw APIError.invalid("Tag value for '\(tag.key)' is \(tag.value.count) characters long; the limit is 8000.")
        }
    }
}
