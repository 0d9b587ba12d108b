import Assay
import AssayMLflowAPI
import Foundation
import Hummingbird

/// The RPCs MLflow's own web UI calls beside the public API: metric histories of several runs at once
/// (all points, or an even sample of steps), the datasets an experiment's runs used, and uploading a
/// file to a run's artifacts.
extension MLflowAPI {
    static let webUIRoutes: [Route] = [
        rpc(.get, "metrics/get-history-bulk", BulkHistory.self) { api, r in
            // MLflow's own checks and words, which its UI and tests rely on.
            let runs = r.runID ?? []
            guard !runs.isEmpty else { throw APIError.invalid("GetMetricHistoryBulk request must specify at least one run_id.") }
            guard runs.count <= 100 else {
                throw APIError.invalid(
                    "GetMetricHistoryBulk request cannot specify more than 100 run_ids. Received \(runs.count) run_ids.")
            }
            guard let key = r.metricKey else { throw APIError.invalid("GetMetricHistoryBulk request must specify a metric_key.") }
            let limit = Int(min(max(r.maxResults ?? 25_000, 0), 25_000))
            var points: [DataValue] = []
            for run in runs.sorted() {
                let history = try await api.store.metricHistory(run: run, key: key).prefix(limit)
                points += history.sorted { ($0.timestamp, $0.step, $0.value) < ($1.timestamp, $1.step, $1.value) }.map {
                    Self.point($0, run: run)
                }
            }
            return BulkHistoryResponse(metrics: Array(points.prefix(limit)))
        },
        rpc(.get, "metrics/get-history-bulk-interval", BulkInterval.self) { api, r in
            let runs = r.runIDs ?? []
            guard !runs.isEmpty else { throw APIError.missing("run_ids") }
            guard runs.count <= 100 else {
                throw APIError.invalid(
                    "GetMetricHistoryBulkInterval request must specify at most 100 run_ids. Received \(runs.count) run_ids.")
            }
            guard let key = r.metricKey, !key.isEmpty else { throw APIError.missing("metric_key") }
            let perRun = Int(r.maxResults ?? 2500)
            guard (1...2500).contains(perRun) else { throw APIError.invalid("max_results must be between 1 and 2500.") }
            var range: ClosedRange<Int64>?
            switch (r.startStep, r.endStep) {
            case (let start?, let end?):
                guard start <= end else {
                    throw APIError.invalid("end_step must be greater than start_step. Found start_step=\(start) and end_step=\(end).")
                }
                range = start...end
            case (nil, nil): range = nil
            default: throw APIError.invalid("If either start step or end step are specified, both must be specified.")
            }
            var histories: [(String, [MetricPoint])] = []
            for run in runs {
                histories.append((run, try await api.store.metricHistory(run: run, key: key).filter { range?.contains($0.step) ?? true }))
            }
            return BulkHistoryResponse(
                metrics: histories.flatMap { run, history in Self.sampled(history, perRun).map { Self.point($0, run: run) } })
        },
        rpc(.post, "experiments/search-datasets", SearchDatasets.self) { api, r in
            guard !r.experimentIDs.isEmpty else {
                throw APIError.invalid("SearchDatasets request must specify at least one experiment_id.")
            }
            guard r.experimentIDs.count <= 20 else {
                throw APIError.invalid(
                    "SearchDatasets request cannot specify more than 20 experiment_ids. Received \(r.experimentIDs.count) experiment_ids.")
            }
            var seen = Set<String>()
            var summaries: [DataValue] = []
            for run in try await api.store.searchRuns(RunQuery(experimentIDs: r.experimentIDs, maxResults: 50_000)).items {
                for input in run.inputs {
                    let context = input.tags.first { $0.key == "mlflow.data.context" }?.value
                    let key = [run.info.experimentID, input.name, input.digest, context ?? ""].joined(separator: "\u{0}")
                    guard seen.insert(key).inserted else { continue }
                    var summary: [String: DataValue] = [
                        "experiment_id": .string(run.info.experimentID), "name": .string(input.name), "digest": .string(input.digest),
                    ]
                    if let context { summary["context"] = .string(context) }
                    summaries.append(.object(summary))
                }
            }
            return DatasetSummaries(datasetSummaries: summaries)
        },
        rpc(.post, "runs/create-promptlab-run", PromptlabRun.self) { api, r in try await api.createPromptlabRun(r) },
    ]

    /// `POST upload-artifact?run_uuid=…&path=…`: the body, stored as that file of the run's artifacts.
    /// As in MLflow, the UI's upload takes files of at most 10 MiB (larger ones go through the artifact proxy).
    func addUploadRoute(to group: RouterGroup<AssayRequestContext>, artifacts: any ArtifactStore, maxBytes: Int) {
        let api = self
        let limit = min(maxBytes, 10 << 20)
        group.post("upload-artifact") { request, _ in
            let fields = RequestFields(query: request.uri.query)
            guard let runID = try fields.string("run_uuid") ?? fields.string("run_id"), !runID.isEmpty else {
                throw APIError.invalid("Request must specify run_uuid.")
            }
            guard let given = try fields.string("path"), !given.isEmpty else { throw APIError.invalid("Request must specify path.") }
            let path = try Self.safePath(given)
            let length = request.headers[.contentLength].flatMap(Int.init)
            if length == 0 { throw APIError.invalid("Request must specify data.") }
            if let length, length > limit { throw APIError.invalid("Artifact size is too large. Max size is \(limit >> 20) MiB.") }
            let base = try await api.artifactRoot(run: runID)
            let proxy = ArtifactProxy(artifacts: artifacts, maxArtifactBytes: limit)
            return try await proxy.upload(request, to: base + "/" + path)
        }
    }

    /// MLflow's UI reads a logged model's files through `logged-models/<id>/artifacts/directories`
    /// (`?artifact_directory_path=`, a listing) and `…/artifacts/files` (`?artifact_file_path=`, the file).
    func addLoggedModelArtifactRoutes(to group: RouterGroup<AssayRequestContext>, artifacts: any ArtifactStore, maxBytes: Int) {
        let api = self
        @Sendable func base(_ context: AssayRequestContext) async throws -> String {
            guard let id = context.parameters.get("model_id") else { throw APIError.missing("model_id") }
            let model = try await api.models.loggedModel(id: id)
            guard case .proxied(_, let base) = ArtifactURI(model.artifactLocation) else {
                throw APIError.invalid("The model's files are at \(model.artifactLocation), which this server does not keep.")
            }
            return base
        }
        group.get("logged-models/:model_id/artifacts/directories") { request, context in
            let root = try await base(context)
            let sub = try RequestFields(query: request.uri.query).string("artifact_directory_path") ?? ""
            let files = try await ArtifactProxy.files(in: sub, of: root, artifacts)
            return TrackingServer.json(ProtoJSON.encode(MLflow.ListArtifactsResponse(rootURI: nil, files: files)))
        }
        group.get("logged-models/:model_id/artifacts/files") { request, context in
            let root = try await base(context)
            let path = try Self.safePath(try RequestFields(query: request.uri.query).string("artifact_file_path"))
            return try await ArtifactProxy(artifacts: artifacts, maxArtifactBytes: maxBytes).download(root + "/" + path)
        }
    }

    /// `GET /get-artifact?run_id=…&path=…` (MLflow's UI downloads a run's file through it) and
    /// `GET /model-versions/get-artifact`, whose path is checked as MLflow checks it although the model
    /// registry is not kept here.
    func addArtifactDownloadRoutes(to group: RouterGroup<AssayRequestContext>, artifacts: any ArtifactStore, maxBytes: Int) {
        let api = self
        group.get("get-artifact") { request, _ in
            let fields = RequestFields(query: request.uri.query)
            let path = try Self.safePath(try fields.string("path"))
            guard let runID = try fields.string("run_id") ?? fields.string("run_uuid"), !runID.isEmpty else {
                throw APIError.missing("run_id")
            }
            let base = try await api.artifactRoot(run: runID)
            return try await ArtifactProxy(artifacts: artifacts, maxArtifactBytes: maxBytes).download(base + "/" + path)
        }
        for prefix in ["/ajax-api/2.0/mlflow", "/ajax-api/3.0/mlflow"] {
            group.get(RouterPath(prefix + "/get-trace-artifact")) { request, _ in try await api.traceArtifact(request) }
        }
        group.get("model-versions/get-artifact") { request, _ -> Response in
            _ = try Self.safePath(try RequestFields(query: request.uri.query).string("path"))
            throw APIError("ENDPOINT_NOT_FOUND", "This server does not keep a model registry.")
        }
    }

    /// `GET get-trace-artifact?request_id=…`: a trace's spans as the `traces.json` file MLflow's UI
    /// downloads. Files attached to a trace (`&path=…`) are not kept here.
    func traceArtifact(_ request: Request) async throws -> Response {
        let fields = RequestFields(query: request.uri.query)
        guard let id = try fields.string("request_id"), !id.isEmpty else {
            throw APIError("BAD_REQUEST", "Request must include the \"request_id\" query parameter.")
        }
        if let path = try fields.string("path") {
            _ = try Self.safePath(path)
            throw APIError.notFound("Trace '\(id)' has no attachment '\(path)': this server keeps no trace attachments.")
        }
        guard let (_, spans, _) = try await Self.trace(Self.storedTraceID(id), in: try traceStore) else { throw Self.traceNotFound(id) }
        var response = Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: OTelJSON.tracesFile(spans).description)))
        response.headers[.contentType] = "application/octet-stream"
        response.headers[.contentDisposition] = "attachment; filename=traces.json"
        return response
    }

    /// A path inside a run's artifacts, given and checked by the artifact store's rule ("Invalid path"
    /// for `..`, absolute paths and the like, as MLflow's `validate_path_is_safe` answers).
    static func safePath(_ path: String?) throws(APIError) -> String {
        guard let path, !path.isEmpty else { throw APIError.missing("path") }
        _ = try ArtifactPath.validate(path)
        return path
    }

    /// Where a run's artifacts are in this server's artifact store; a run whose artifacts live elsewhere is a 400.
    func artifactRoot(run runID: String) async throws -> String {
        let run = try await store.run(id: runID)
        guard case .proxied(_, let base) = ArtifactURI(run.info.artifactURI) else {
            throw APIError.invalid("The run's artifacts are at \(run.info.artifactURI), which this server does not keep.")
        }
        return base
    }

    static func point(_ p: MetricPoint, run: String) -> DataValue {
        .object([
            "key": .string(p.key),
            "value": p.value.isFinite ? .double(p.value) : .string(p.value.isNaN ? "NaN" : p.value > 0 ? "Infinity" : "-Infinity"),
            "timestamp": .int(Int(p.timestamp)), "step": .int(Int(p.step)), "run_id": .string(run),
        ])
    }

    /// At most `count` points of a history as MLflow samples it: the points ordered by step, time and
    /// value are cut into `count` buckets of near-equal size (the first buckets one point larger), the
    /// first point of each is kept, and the last point replaces the final one so that both ends stay.
    static func sampled(_ history: [MetricPoint], _ count: Int) -> [MetricPoint] {
        let ordered = history.sorted { ($0.step, $0.timestamp, $0.value) < ($1.step, $1.timestamp, $1.value) }
        guard ordered.count > count, count >= 1 else { return ordered }
        let (size, larger) = (ordered.count / count, ordered.count % count)
        var kept: [MetricPoint] = []
        var start = 0
        for bucket in 0..<count {
            kept.append(ordered[start])
            start += size + (bucket < larger ? 1 : 0)
        }
        kept[kept.count - 1] = ordered[ordered.count - 1]
        return kept
    }

    /// `POST runs/create-promptlab-run`: MLflow's UI records one prompt it tried (template, parameters,
    /// model route and settings, input and output) as a finished run whose params are the model's
    /// settings, the route and the template, with the prompt and its answer as a one-row
    /// `eval_results_table.json`. Values may be any JSON; they are kept as text.
    struct PromptlabRun: Decodable {
        var experimentID: String?
        var runName: String?
        var tags: [MLflow.KeyValue]?
        var promptTemplate: String?
        var promptParameters: [DataValue]?
        var modelRoute: String?
        var modelParameters: [DataValue]?
        var modelInput: String?
        var modelOutput: String?
        var modelOutputParameters: [DataValue]?
        var mlflowVersion: String?
        var userID: String?
        var startTime: Int64?
    }

    func createPromptlabRun(_ r: PromptlabRun) async throws -> MLflow.RunResponse {
        func require<T>(_ name: String, _ value: T?) throws -> T {
            if let value, !((value as? String)?.isEmpty ?? false), !((value as? [DataValue])?.isEmpty ?? false) { return value }
            throw APIError.invalid("CreatePromptlabRun request must specify \(name).")
        }
        let experiment = try require("experiment_id", r.experimentID)
        let template = try require("prompt_template", r.promptTemplate)
        let prompt = try Self.pairs(try require("prompt_parameters", r.promptParameters))
        let route = try require("model_route", r.modelRoute)
        let input = try require("model_input", r.modelInput)
        _ = try require("mlflow_version", r.mlflowVersion)
        let settings = try Self.pairs(r.modelParameters ?? [])
        let outputs = try Self.pairs(r.modelOutputParameters ?? [])
        let tags = (r.tags ?? []).map(KeyValue.init)
        for tag in tags { try Self.validate(tag: tag) }
        let info = try await store.createRun(
            in: experiment, named: r.runName.flatMap { $0.isEmpty ? nil : $0 }, startTime: r.startTime ?? MetricPoint.now(),
            userID: r.userID ?? "unknown", tags: tags)
        let params = settings + [KeyValue("model_route", route), KeyValue("prompt_template", template)]
        let loggedArtifacts = DataValue.list([.object(["path": "eval_results_table.json", "type": "table"])]).pythonJSON
        var status = RunStatus.finished
        do {
            for param in params { try Self.validate(param: param) }
            try await store.logBatch(
                run: info.id, metrics: [], params: params,
                tags: [KeyValue("mlflow.loggedArtifacts", loggedArtifacts), KeyValue("mlflow.runSourceType", "PROMPT_ENGINEERING")])
            let table = DataValue.object([
                "columns": .list((prompt.map(\.key) + ["prompt", "output"] + outputs.map(\.key)).map(DataValue.string)),
                "data": .list([
                    .list(
                        prompt.map { .string($0.value) } + [.string(input), r.modelOutput.map(DataValue.string) ?? .null]
                            + outputs.map { .string($0.value) })
                ]),
            ])
            try await artifacts.write(try await artifactRoot(run: info.id) + "/eval_results_table.json", data: Data(table.pythonJSON.utf8))
        } catch {
            // As in MLflow, the run stays, marked as failed.
            status = .failed
        }
        _ = try await store.updateRun(id: info.id, status: status, endTime: MetricPoint.now(), name: nil)
        return MLflow.RunResponse(run: MLflow.Run(try await store.run(id: info.id)))
    }

    /// `[{key, value}]` with values of any JSON type, as text.
    static func pairs(_ items: [DataValue]) throws(APIError) -> [KeyValue] {
        try items.map { item throws(APIError) in
            guard case .object(let pair) = item, let key = pair["key"]?.stringValue else {
                throw APIError.invalid("Each parameter must be an object with a string 'key' and a 'value'.")
            }
            return KeyValue(key, pair["value"].map { $0.stringValue ?? $0.description } ?? "")
        }
    }

    struct BulkHistory: Decodable {
        var runID: [String]?
        var metricKey: String?
        var maxResults: Int64?
    }

    struct BulkInterval: Decodable {
        var runIDs: [String]?
        var metricKey: String?
        var startStep: Int64?
        var endStep: Int64?
        var maxResults: Int64?
    }

    struct BulkHistoryResponse: Encodable {
        var metrics: [DataValue]
    }

    struct SearchDatasets: Decodable {
        var experimentIDs: [String]
    }

    struct DatasetSummaries: Encodable {
        var datasetSummaries: [DataValue]
    }
}
