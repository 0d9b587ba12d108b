import Assay
import AssayMLflowAPI
import Foundation
import Hummingbird

/// The handlers of MLflow's tracking RPCs, by method and path below `/api/2.0/mlflow/`. A GET reads its
/// fields from the query string, anything else from its JSON body; both are decoded into the RPC's
/// message type (``MLflow``), shared with the REST store.
struct MLflowAPI {
    let store: any TrackingStore
    let artifacts: any ArtifactStore
    let maxJSONBytes: Int
    var bodyTimeout: Duration = .seconds(60)

    /// One RPC: its method, path, and what it does with the request's fields. A path segment `:name`
    /// is a field too (`logged-models/:model_id`).
    struct Route: Sendable {
        let method: HTTPRequest.Method
        let path: String
        let handle: @Sendable (MLflowAPI, [String: DataValue], _ fromQuery: Bool) async throws -> DataValue

        var parameters: [String] {
            path.split(separator: "/").filter { $0.hasPrefix(":") }.map { String($0.dropFirst()) }
        }
    }

    static func rpc<Request: Decodable, Response: Encodable>(
        _ method: HTTPRequest.Method, _ path: String, _ type: Request.Type,
        _ body: @escaping @Sendable (MLflowAPI, Request) async throws -> Response
    ) -> Route {
        Route(method: method, path: path) { api, fields, fromQuery in
            let request: Request
            do {
                request = try ProtoJSON.decode(Request.self, from: fields, fromQuery: fromQuery)
            } catch let error as WireError {
                throw APIError.invalid(error.message)
            }
            return ProtoJSON.encode(try await body(api, request))
        }
    }

    static let routes: [Route] =
        [
            rpc(.get, "experiments/get-by-name", MLflow.GetExperimentByName.self) { api, r in try await api.experimentByName(r) },
            rpc(.post, "experiments/create", MLflow.CreateExperiment.self) { api, r in try await api.createExperiment(r) },
            rpc(.get, "experiments/get", MLflow.GetExperiment.self) { api, r in try await api.getExperiment(r) },
            rpc(.post, "experiments/search", MLflow.SearchExperiments.self) { api, r in try await api.searchExperiments(r) },
            rpc(.get, "experiments/search", MLflow.SearchExperiments.self) { api, r in try await api.searchExperiments(r) },
            rpc(.post, "experiments/update", MLflow.UpdateExperiment.self) { api, r in try await api.updateExperiment(r) },
            rpc(.post, "experiments/delete", MLflow.GetExperiment.self) { api, r in try await api.setExperimentLifecycle(r, .deleted) },
            rpc(.post, "experiments/restore", MLflow.GetExperiment.self) { api, r in try await api.setExperimentLifecycle(r, .active) },
            rpc(.post, "experiments/set-experiment-tag", MLflow.SetExperimentTag.self) { api, r in try await api.setExperimentTag(r) },
            rpc(.post, "experiments/delete-experiment-tag", MLflow.SetExperimentTag.self) { api, r in
                try await api.store.deleteExperimentTag(id: r.experimentID, key: r.key)
                return MLflow.Empty()
            },
            rpc(.post, "runs/create", MLflow.CreateRun.self) { api, r in try await api.createRun(r) },
            rpc(.post, "runs/update", MLflow.UpdateRun.self) { api, r in try await api.updateRun(r) },
            rpc(.post, "runs/delete", MLflow.RunRequest.self) { api, r in try await api.setRunLifecycle(r, .deleted) },
            rpc(.post, "runs/restore", MLflow.RunRequest.self) { api, r in try await api.setRunLifecycle(r, .active) },
            rpc(.get, "runs/get", MLflow.RunRequest.self) { api, r in try await api.getRun(r) },
            rpc(.post, "runs/search", MLflow.SearchRuns.self) { api, r in try await api.searchRuns(r) },
            rpc(.post, "runs/log-metric", MLflow.LogMetric.self) { api, r in try await api.logMetric(r) },
            rpc(.post, "runs/log-parameter", MLflow.RunKeyValue.self) { api, r in try await api.logParam(r) },
            rpc(.post, "runs/set-tag", MLflow.RunKeyValue.self) { api, r in try await api.setTag(r) },
            rpc(.post, "runs/delete-tag", MLflow.RunKeyValue.self) { api, r in try await api.deleteTag(r) },
            rpc(.post, "runs/log-batch", MLflow.LogBatch.self) { api, r in try await api.logBatch(r) },
            rpc(.post, "runs/log-inputs", MLflow.LogInputs.self) { api, r in try await api.logInputs(r) },
            rpc(.get, "metrics/get-history", MLflow.GetMetricHistory.self) { api, r in try await api.metricHistory(r) },
            rpc(.get, "artifacts/list", MLflow.ListArtifacts.self) { api, r in try await api.listRunArtifacts(r) },
        ] + loggedModelRoutes + traceRoutes + legacyTraceRoutes + webUIRoutes

    /// Registers `routes` (every RPC of the classic API unless told otherwise) on `group` (one of the API prefixes).
    func addRoutes(to group: RouterGroup<AssayRequestContext>, _ routes: [Route] = MLflowAPI.routes) {
        let api = self
        for route in routes {
            let parameters = route.parameters
            group.on(RouterPath(route.path), method: route.method) { request, context in
                var request = request
                let fromQuery = route.method == .get
                var fields =
                    fromQuery
                    ? ProtoJSON.fields(query: request.uri.query)
                    : try Self.object(try await request.body(upTo: api.maxJSONBytes, within: api.bodyTimeout))
                for name in parameters {
                    if let raw = context.parameters.get(name) { fields[name] = .string(raw.removingPercentEncoding ?? String(raw)) }
                }
                return TrackingServer.json(try await route.handle(api, fields, fromQuery))
            }
        }
    }

    /// The fields of a JSON body; an empty body has none. Anything but a JSON object is a 400.
    static func object(_ body: [UInt8]) throws(APIError) -> [String: DataValue] {
        guard !body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return [:] }
        guard let text = String(validating: body, as: UTF8.self) else { throw .invalid("The request body is not UTF-8.") }
        let value: DataValue
        do {
            value = try DataValue(json: text)
        } catch {
            throw .invalid("The request body is not valid JSON: \(error.message)")
        }
        guard case .object(let fields) = value else { throw .invalid("The request body must be a JSON object, not \(value.kindName).") }
        return fields
    }

    static func runID(_ request: some RunRequestMessage) throws(APIError) -> String {
        do {
            return try request.runIdentifier()
        } catch {
            throw APIError.invalid(error.message)
        }
    }

    static func view(_ name: String?) throws(APIError) -> LifecycleView {
        do {
            return try LifecycleView(wireName: name)
        } catch {
            throw APIError.invalid(error.message)
        }
    }

    // MARK: - Experiments

    func experimentByName(_ r: MLflow.GetExperimentByName) async throws -> MLflow.ExperimentResponse {
        guard let experiment = try await store.experiment(named: r.experimentName) else {
            throw APIError.notFound("Could not find experiment with name '\(r.experimentName)'")
        }
        return MLflow.ExperimentResponse(experiment: MLflow.Experiment(experiment))
    }

    func createExperiment(_ r: MLflow.CreateExperiment) async throws -> MLflow.CreateExperimentResponse {
        guard !r.name.isEmpty else { throw APIError.missing("name") }
        let location = r.artifactLocation.flatMap { $0.isEmpty ? nil : Self.absolute($0) }
        let experiment = try await store.createExperiment(named: r.name, artifactLocation: location, tags: r.tags.map(KeyValue.init))
        return MLflow.CreateExperimentResponse(experimentID: experiment.id)
    }

    /// An artifact location as MLflow keeps it: a relative local path is made absolute against the
    /// server's working folder (`my_location` becomes `/srv/my_location`, `file:my_location`
    /// `file:///srv/my_location`); other URIs and absolute paths stay as given.
    static func absolute(_ location: String) -> String {
        if location.hasPrefix("file:"), !location.hasPrefix("file:/") {
            return "file://" + URL(fileURLWithPath: String(location.dropFirst(5))).standardizedFileURL.path
        }
        guard !location.hasPrefix("/"), !location.contains(":") else { return location }
        return URL(fileURLWithPath: location).standardizedFileURL.path
    }

    func getExperiment(_ r: MLflow.GetExperiment) async throws -> MLflow.ExperimentResponse {
        MLflow.ExperimentResponse(experiment: MLflow.Experiment(try await store.experiment(id: r.experimentID)))
    }

    func searchExperiments(_ r: MLflow.SearchExperiments) async throws -> MLflow.SearchExperimentsResponse {
        let query = ExperimentQuery(
            filter: try SearchFilter(r.filter, for: .experiments), orderBy: try SearchOrder.parse(r.orderBy, for: .experiments),
            view: try Self.view(r.viewType), maxResults: try Self.maxResults(r.maxResults, default: 1000),
            offset: try PageToken.offset(r.pageToken))
        let page = try await store.searchExperiments(query)
        return MLflow.SearchExperimentsResponse(experiments: page.items.map(MLflow.Experiment.init), nextPageToken: page.nextPageToken)
    }

    func updateExperiment(_ r: MLflow.UpdateExperiment) async throws -> MLflow.Empty {
        if let name = r.newName, !name.isEmpty { try await store.renameExperiment(id: r.experimentID, to: name) }
        return MLflow.Empty()
    }

    func setExperimentLifecycle(_ r: MLflow.GetExperiment, _ stage: LifecycleStage) async throws -> MLflow.Empty {
        try await store.setExperimentLifecycle(id: r.experimentID, stage)
        return MLflow.Empty()
    }

    func setExperimentTag(_ r: MLflow.SetExperimentTag) async throws -> MLflow.Empty {
        let tag = KeyValue(r.key, r.value ?? "")
        try Self.validate(tag: tag)
        try await store.setExperimentTag(id: r.experimentID, tag)
        return MLflow.Empty()
    }

    // MARK: - Runs

    func createRun(_ r: MLflow.CreateRun) async throws -> MLflow.RunResponse {
        let tags = r.tags.map(KeyValue.init)
        for tag in tags { try Self.validate(tag: tag) }
        let experiment = r.experimentID.flatMap { $0.isEmpty ? nil : $0 } ?? "0"
        let name = r.runName.flatMap { $0.isEmpty ? nil : $0 }
        let info = try await store.createRun(
            in: experiment, named: name, startTime: r.startTime ?? MetricPoint.now(), userID: r.userID, tags: tags)
        return MLflow.RunResponse(run: MLflow.Run(try await store.run(id: info.id)))
    }

    func updateRun(_ r: MLflow.UpdateRun) async throws -> MLflow.UpdateRunResponse {
        var status: RunStatus?
        if let text = r.status {
            guard let parsed = RunStatus(rawValue: text.uppercased()) else {
                throw APIError.invalid("Invalid value '\(text)' for parameter 'status': use one of \(RunStatus.allCases.map(\.rawValue)).")
            }
            status = parsed
        }
        let name = r.runName.flatMap { $0.isEmpty ? nil : $0 }
        let info = try await store.updateRun(id: try Self.runID(r), status: status, endTime: r.endTime, name: name)
        return MLflow.UpdateRunResponse(runInfo: MLflow.RunInfo(info))
    }

    func setRunLifecycle(_ r: MLflow.RunRequest, _ stage: LifecycleStage) async throws -> MLflow.Empty {
        try await store.setRunLifecycle(id: try Self.runID(r), stage)
        return MLflow.Empty()
    }

    func getRun(_ r: MLflow.RunRequest) async throws -> MLflow.RunResponse {
        MLflow.RunResponse(run: MLflow.Run(try await store.run(id: try Self.runID(r))))
    }

    func searchRuns(_ r: MLflow.SearchRuns) async throws -> MLflow.SearchRunsResponse {
        let query = RunQuery(
            experimentIDs: r.experimentIDs, filter: try SearchFilter(r.filter, for: .runs),
            orderBy: try SearchOrder.parse(r.orderBy, for: .runs),
            view: try Self.view(r.runViewType), maxResults: try Self.maxResults(r.maxResults, default: 1000),
            offset: try PageToken.offset(r.pageToken))
        let page = try await store.searchRuns(query)
        return MLflow.SearchRunsResponse(runs: page.items.map(MLflow.Run.init), nextPageToken: page.nextPageToken)
    }

    static func maxResults(_ given: Int64?, default value: Int64) throws(APIError) -> Int {
        let n = given ?? value
        guard (1...50_000).contains(n) else {
            throw APIError.invalid("Invalid value \(n) for parameter 'max_results' supplied. It must be at most 50000, and at least 1.")
        }
        return Int(n)
    }

    // MARK: - Logging

    func logMetric(_ r: MLflow.LogMetric) async throws -> MLflow.Empty {
        try Self.validate(key: r.key)
        let point = MetricPoint(
            MLflow.Metric(
                key: r.key, value: r.value, timestamp: r.timestamp, step: r.step, modelID: r.modelID, datasetName: r.datasetName,
                datasetDigest: r.datasetDigest))
        try await store.logMetric(run: try Self.runID(r), point)
        return MLflow.Empty()
    }

    func logParam(_ r: MLflow.RunKeyValue) async throws -> MLflow.Empty {
        guard let value = r.value else { throw APIError.missing("value") }
        let param = KeyValue(r.key, value)
        try Self.validate(param: param)
        try await store.logParam(run: try Self.runID(r), param)
        return MLflow.Empty()
    }

    func setTag(_ r: MLflow.RunKeyValue) async throws -> MLflow.Empty {
        let tag = KeyValue(r.key, r.value ?? "")
        try Self.validate(tag: tag)
        try await store.setTag(run: try Self.runID(r), tag)
        return MLflow.Empty()
    }

    func deleteTag(_ r: MLflow.RunKeyValue) async throws -> MLflow.Empty {
        try await store.deleteTag(run: try Self.runID(r), key: r.key)
        return MLflow.Empty()
    }

    func logBatch(_ r: MLflow.LogBatch) async throws -> MLflow.Empty {
        let (metrics, params, tags) = (r.metrics, r.params.map(KeyValue.init), r.tags.map(KeyValue.init))
        guard metrics.count <= 1000, params.count + tags.count <= 100, metrics.count + params.count + tags.count <= 1000 else {
            throw APIError.invalid(
                "A batch logging request can contain at most 1000 metrics, 100 params and tags together, and 1000 values in all; "
                    + "got \(metrics.count) metrics, \(params.count) params and \(tags.count) tags."
            )
        }
        for metric in metrics { try Self.validate(key: metric.key) }
        for param in params { try Self.validate(param: param) }
        for tag in tags { try Self.validate(tag: tag) }
        try await store.logBatch(run: try Self.runID(r), metrics: metrics.map(MetricPoint.init), params: params, tags: tags)
        return MLflow.Empty()
    }

    func logInputs(_ r: MLflow.LogInputs) async throws -> MLflow.Empty {
        let run = try Self.runID(r)
        if !r.models.isEmpty { try await models.logModelInputs(run: run, modelIDs: r.models.map(\.modelID)) }
        if !r.datasets.isEmpty || r.models.isEmpty { try await store.logInputs(run: run, datasets: r.datasets.map(DatasetInput.init)) }
        return MLflow.Empty()
    }

    func metricHistory(_ r: MLflow.GetMetricHistory) async throws -> MLflow.MetricHistoryResponse {
        let points = try await store.metricHistory(run: try Self.runID(r), key: r.metricKey)
        let requested = r.maxResults ?? 25_000
        guard requested > 0 else { throw APIError.invalid("Invalid value \(requested) for parameter 'max_results' supplied.") }
        // A page never holds more than the history has; the cap keeps `limit + 1` from overflowing.
        let limit = Int(min(requested, Int64(Int32.max)))
        let offset = try PageToken.offset(r.pageToken)
        let page = SearchPage(fetched: Array(points.dropFirst(offset).prefix(limit + 1)), limit: limit, offset: offset)
        return MLflow.MetricHistoryResponse(metrics: page.items.map(MLflow.Metric.init), nextPageToken: page.nextPageToken)
    }

    /// The run-scoped listing MLflow's web UI uses: `{"root_uri", "files"}` below the run's artifact URI,
    /// files named by their path within the run.
    func listRunArtifacts(_ r: MLflow.ListArtifacts) async throws -> MLflow.ListArtifactsResponse {
        let run = try await store.run(id: try Self.runID(r))
        let uri = run.info.artifactURI
        guard case .proxied(_, let base) = ArtifactURI(uri) else { return MLflow.ListArtifactsResponse(rootURI: uri, files: []) }
        let files = try await ArtifactProxy.files(in: r.path ?? "", of: base, artifacts)
        return MLflow.ListArtifactsResponse(rootURI: uri, files: files)
    }

    // MARK: - Validation

    static func validate(key: String) throws(APIError) {
        guard !key.isEmpty else { throw APIError.missing("key") }
        guard key.count <= 250 else {
            throw APIError.invalid("Key '\(key.prefix(40))…' is \(key.count) characters long; the limit is 250.")
        }
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
