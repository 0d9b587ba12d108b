import Assay
import AssayMLflowAPI
import Foundation
import Hummingbird

/// MLflow 3's RPCs: logged models and run outputs (below `/api/2.0/mlflow/`), traces, their tags and
/// assessments (start-trace, get and search below `/api/3.0/mlflow/`, tags, deletion and links below
/// `/api/2.0/mlflow/`). Traces are the same records OTLP ingestion keeps: spans sent to `/v1/traces`
/// and what the client says at start-trace meet in one trace, in either order. The client's trace ids
/// are `tr-` and the OpenTelemetry trace id; the store keys traces by the OpenTelemetry id alone.
extension MLflowAPI {
    static let loggedModelRoutes: [Route] = [
        rpc(.post, "logged-models", MLflow.CreateLoggedModel.self) { api, r in try await api.createLoggedModel(r) },
        rpc(.post, "logged-models/search", MLflow.SearchLoggedModels.self) { api, r in try await api.searchLoggedModels(r) },
        rpc(.get, "logged-models/:model_id", ModelID.self) { api, r in
            MLflow.LoggedModelResponse(model: MLflow.LoggedModel(try await api.models.loggedModel(id: r.modelID)))
        },
        rpc(.patch, "logged-models/:model_id", ModelStatusChange.self) { api, r in try await api.finalizeLoggedModel(r) },
        rpc(.delete, "logged-models/:model_id", ModelID.self) { api, r in
            try await api.models.deleteLoggedModel(id: r.modelID)
            return MLflow.Empty()
        },
        rpc(.patch, "logged-models/:model_id/tags", ModelTags.self) { api, r in
            let tags = r.tags.map(KeyValue.init)
            for tag in tags { try Self.validate(tag: tag) }
            try await api.models.setLoggedModelTags(id: r.modelID, tags)
            return MLflow.Empty()
        },
        rpc(.delete, "logged-models/:model_id/tags/:tag_key", ModelTagKey.self) { api, r in
            try await api.models.deleteLoggedModelTag(id: r.modelID, key: r.tagKey)
            return MLflow.Empty()
        },
        rpc(.post, "logged-models/:model_id/params", ModelParams.self) { api, r in
            let params = r.params.map(KeyValue.init)
            for param in params { try Self.validate(param: param) }
            try await api.models.logLoggedModelParams(id: r.modelID, params)
            return MLflow.Empty()
        },
        rpc(.post, "runs/outputs", MLflow.LogOutputs.self) { api, r in
            guard let run = r.runID, !run.isEmpty else { throw APIError.missing("run_id") }
            try await api.models.logOutputs(run: run, models: r.models.map { RunModelOutput(modelID: $0.modelID, step: $0.step ?? 0) })
            return MLflow.Empty()
        },
    ]

    /// The trace RPCs that stayed below `/api/2.0/mlflow/`.
    static let traceRoutes: [Route] = [
        rpc(.patch, "traces/:trace_id/tags", TraceTagChange.self) { api, r in
            let tag = KeyValue(r.key, r.value ?? "")
            try Self.validate(tag: tag)
            try await api.traceStore.setTraceTag(id: Self.storedTraceID(r.traceID), tag)
            return MLflow.Empty()
        },
        rpc(.delete, "traces/:trace_id/tags", TraceTagChange.self) { api, r in
            try await api.traceStore.deleteTraceTag(id: Self.storedTraceID(r.traceID), key: r.key)
            return MLflow.Empty()
        },
        rpc(.post, "traces/delete-traces", MLflow.DeleteTraces.self) { api, r in
            guard !r.requestIDs.isEmpty || r.maxTimestampMillis != nil else {
                throw APIError.invalid("Either `max_timestamp_millis` or `request_ids` must be specified.")
            }
            let count = try await api.traceStore.deleteTraces(
                in: r.experimentID, ids: r.requestIDs.isEmpty ? nil : r.requestIDs.map(Self.storedTraceID),
                before: r.maxTimestampMillis, maxTraces: r.maxTraces.map { Int(clamping: $0) })
            return MLflow.DeleteTracesResponse(tracesDeleted: Int64(count))
        },
        rpc(.post, "traces/link-to-run", MLflow.LinkTracesToRun.self) { api, r in
            guard !r.runID.isEmpty else { throw APIError.missing("run_id") }
            try await api.traceStore.linkTraces(r.traceIDs.map(Self.storedTraceID), toRun: r.runID)
            return MLflow.Empty()
        },
    ]

    /// The RPCs below `/api/3.0/mlflow/`.
    static let v3Routes: [Route] =
        [
            rpc(.post, "traces", MLflow.TraceMessage.self) { api, r in try await api.startTrace(r) },
            rpc(.post, "traces/search", MLflow.SearchTraces.self) { api, r in try await api.searchTraces(r) },
            rpc(.get, "traces/get", MLflow.GetTrace.self) { api, r in
                guard let id = r.traceID, !id.isEmpty else { throw APIError.missing("trace_id") }
                guard let trace = try await api.traces([id], spans: true).first else { throw Self.traceNotFound(id) }
                return MLflow.TraceMessage(trace: trace)
            },
            rpc(.get, "traces/batchGet", MLflow.BatchGetTraces.self) { api, r in
                MLflow.BatchGetTracesResponse(traces: try await api.traces(r.traceIDs, spans: true))
            },
            rpc(.get, "traces/batchGetInfos", MLflow.BatchGetTraces.self) { api, r in
                MLflow.BatchGetTraceInfosResponse(traceInfos: try await api.traces(r.traceIDs, spans: false).map(\.traceInfo))
            },
            rpc(.get, "traces/:trace_id", MLflow.GetTrace.self) { api, r in
                let id = r.traceID ?? ""
                guard let trace = try await api.traces([id], spans: false).first else { throw Self.traceNotFound(id) }
                return MLflow.TraceMessage(trace: trace)
            },
            rpc(.post, "traces/:trace_id/assessments", AssessmentChange.self) { api, r in try await api.createAssessment(r) },
            rpc(.get, "traces/:trace_id/assessments/:assessment_id", AssessmentChange.self) { api, r in
                let a = try await api.traceStore.assessment(trace: Self.storedTraceID(r.traceID), id: r.assessmentID ?? "")
                return MLflow.AssessmentMessage(assessment: MLflow.Assessment(a, traceID: r.traceID))
            },
            rpc(.patch, "traces/:trace_id/assessments/:assessment_id", AssessmentChange.self) { api, r in try await api.updateAssessment(r)
            },
            rpc(.delete, "traces/:trace_id/assessments/:assessment_id", AssessmentChange.self) { api, r in
                try await api.traceStore.deleteAssessment(trace: Self.storedTraceID(r.traceID), id: r.assessmentID ?? "")
                return MLflow.Empty()
            },
        ] + traceQueryRoutes + datasetRoutes + scorerRoutes

    // MARK: - Path-addressed requests

    struct ModelID: Decodable {
        var modelID: String
    }

    struct ModelStatusChange: Decodable {
        var modelID: String
        var status: String
        var statusMessage: String?
    }

    struct ModelTags: Decodable {
        var modelID: String
        var tags: [MLflow.KeyValue]
    }

    struct ModelTagKey: Decodable {
        var modelID: String
        var tagKey: String
    }

    struct ModelParams: Decodable {
        var modelID: String
        var params: [MLflow.KeyValue]
    }

    struct TraceTagChange: Decodable {
        var traceID: String
        var key: String
        var value: String?
    }

    struct AssessmentChange: Decodable {
        var traceID: String
        var assessmentID: String?
        var assessment: MLflow.Assessment?
        var updateMask: String?
    }

    // MARK: - Stores

    /// The store as one that keeps `what`; a store that does not answers NOT_IMPLEMENTED.
    func keeping<Store>(_ type: Store.Type, _ what: String) throws(APIError) -> Store {
        guard let kept = store as? Store else { throw APIError("NOT_IMPLEMENTED", "This server's store does not keep \(what).") }
        return kept
    }

    var models: any LoggedModelStore { get throws(APIError) { try keeping((any LoggedModelStore).self, "logged models") } }
    var traceStore: any TraceStore { get throws(APIError) { try keeping((any TraceStore).self, "traces") } }

    // MARK: - Logged models

    func createLoggedModel(_ r: MLflow.CreateLoggedModel) async throws -> MLflow.LoggedModelResponse {
        guard !r.experimentID.isEmpty else { throw APIError.missing("experiment_id") }
        let tags = r.tags.map(KeyValue.init), params = r.params.map(KeyValue.init)
        for tag in tags { try Self.validate(tag: tag) }
        for param in params { try Self.validate(param: param) }
        let name = r.name.flatMap { $0.isEmpty ? nil : $0 } ?? RunNames.make(seed: UUID().uuidString)
        let run = r.sourceRunID.flatMap { $0.isEmpty ? nil : $0 }
        let model = try await models.createLoggedModel(
            in: r.experimentID, name: name, sourceRunID: run, modelType: r.modelType, tags: tags, params: params)
        return MLflow.LoggedModelResponse(model: MLflow.LoggedModel(model))
    }

    func finalizeLoggedModel(_ r: ModelStatusChange) async throws -> MLflow.LoggedModelResponse {
        guard let status = LoggedModelStatus(rawValue: r.status.uppercased()) else {
            throw APIError.invalid(
                "Invalid value '\(r.status)' for parameter 'status': use one of \(LoggedModelStatus.allCases.map(\.rawValue)).")
        }
        let model = try await models.setLoggedModelStatus(id: r.modelID, status, message: r.statusMessage)
        return MLflow.LoggedModelResponse(model: MLflow.LoggedModel(model))
    }

    func searchLoggedModels(_ r: MLflow.SearchLoggedModels) async throws -> MLflow.SearchLoggedModelsResponse {
        for dataset in r.datasets where dataset.datasetName.isEmpty {
            throw APIError.invalid("`dataset_name` in the `datasets` clause must be specified.")
        }
        let query = LoggedModelQuery(
            experimentIDs: r.experimentIDs, filter: try SearchFilter(r.filter, for: .loggedModels),
            orderBy: r.orderBy.map { ($0.fieldName, $0.ascending ?? true) },
            datasets: r.datasets.map { LoggedModelQuery.DatasetFilter(name: $0.datasetName, digest: $0.datasetDigest) },
            maxResults: try Self.maxResults(r.maxResults, default: 100), offset: try PageToken.offset(r.pageToken))
        let page = try await models.searchLoggedModels(query)
        return MLflow.SearchLoggedModelsResponse(models: page.items.map(MLflow.LoggedModel.init), nextPageToken: page.nextPageToken)
    }

    // MARK: - Traces

    static func storedTraceID(_ wire: String) -> String { MLflow.storedTraceID(wire) }

    /// A message field the client got wrong, as MLflow's 400.
    static func wire<T>(_ body: () throws(WireError) -> T) throws(APIError) -> T {
        do {
            return try body()
        } catch {
            throw APIError.invalid(error.message)
        }
    }

    static func traceNotFound(_ id: String) -> APIError {
        APIError.notFound("Trace with ID '\(id)' not found.")
    }

    func startTrace(_ r: MLflow.TraceMessage) async throws -> MLflow.TraceMessage {
        let info = r.trace.traceInfo
        let trace = try Self.wire { () throws(WireError) in try TraceSummary(info, spans: []) }
        let traces = try traceStore
        _ = try await traces.record(trace)
        // MLflow 3.18's client sends assessments made with the trace, with ids of its own to keep.
        if !info.assessments.isEmpty {
            try await traces.logAssessments(
                try info.assessments.map { a throws(APIError) in
                    try Self.wire { () throws(WireError) in try TraceAssessment(a, traceID: trace.traceID) }
                })
        }
        guard let stored = try await self.traces([info.traceID ?? ""], spans: false).first else {
            throw Self.traceNotFound(info.traceID ?? "")
        }
        return MLflow.TraceMessage(trace: stored)
    }

    /// Traces by the client's ids, with their assessments and (when asked) spans; unknown ids are left out.
    func traces(_ wireIDs: [String], spans: Bool) async throws -> [MLflow.Trace] {
        let traces = try traceStore
        let ids = wireIDs.map(Self.storedTraceID)
        var found: [(TraceSummary, [SpanRecord], [TraceAssessment])] = []
        if spans {
            // One read per trace gives its summary, spans and assessments together.
            for id in ids {
                if let trace = try await Self.trace(id, in: traces) { found.append(trace) }
            }
        } else {
            found = try await traces.traces(ids: ids).map { ($0.0, [], $0.1) }
        }
        var locations: [String: String] = [:]
        var result: [MLflow.Trace] = []
        for (summary, records, assessments) in found {
            if locations[summary.experimentID] == nil {
                locations[summary.experimentID] = (try? await store.experiment(id: summary.experimentID))?.artifactLocation ?? ""
            }
            result.append(
                MLflow.Trace(
                    traceInfo: MLflow.TraceInfo(summary, assessments: assessments, artifactLocation: locations[summary.experimentID] ?? ""),
                    spans: records.map { OTelJSON.span($0) }))
        }
        return result
    }

    /// A trace with its spans and assessments, or nil when there is none.
    static func trace(_ id: String, in traces: any TraceStore) async throws(AssayError) -> (TraceSummary, [SpanRecord], [TraceAssessment])?
    {
        do {
            return try await traces.trace(id: id)
        } catch {
            guard error.kind == .notFound else { throw error }
            return nil
        }
    }

    func searchTraces(_ r: MLflow.SearchTraces) async throws -> MLflow.SearchTracesResponse {
        let experiments = r.locations.compactMap { $0.mlflowExperiment?.experimentID } + r.experimentIDs
        guard !experiments.isEmpty else { throw APIError.missing("locations") }
        let page = try await traceStore.searchTraces(
            experimentIDs: experiments, filter: try SearchFilter(r.filter, for: .traces), orderBy: r.orderBy,
            maxResults: try Self.maxResults(r.maxResults, default: 100), offset: try PageToken.offset(r.pageToken))
        let infos = try await traces(page.items.map { MLflow.wireTraceID($0.traceID) }, spans: false).map(\.traceInfo)
        return MLflow.SearchTracesResponse(traces: infos, nextPageToken: page.nextPageToken)
    }

    // MARK: - Assessments

    func createAssessment(_ r: AssessmentChange) async throws -> MLflow.AssessmentMessage {
        guard let given = r.assessment else { throw APIError.missing("assessment") }
        let traces = try traceStore
        let id = Self.storedTraceID(r.traceID)
        guard try await traces.traces(ids: [id]).first != nil else { throw Self.traceNotFound(r.traceID) }
        // The store gives a new assessment its id (an evaluation run's score again replaces its earlier one).
        let new = try Self.wire { () throws(WireError) in try TraceAssessment(given, traceID: id) }
        if let overridden = new.overrides {
            _ = try await traces.assessment(trace: id, id: overridden)
        }
        let stored = try await traces.logAssessments([new])
        return MLflow.AssessmentMessage(assessment: MLflow.Assessment(stored[0], traceID: r.traceID))
    }

    /// Applies the fields the update mask names (all given ones when it names none).
    func updateAssessment(_ r: AssessmentChange) async throws -> MLflow.AssessmentMessage {
        guard let given = r.assessment else { throw APIError.missing("assessment") }
        let traces = try traceStore
        let id = Self.storedTraceID(r.traceID)
        let existing = try await traces.assessment(trace: id, id: r.assessmentID ?? "")
        let paths = Set((r.updateMask ?? "").split(separator: ",").map { $0.replacingOccurrences(of: "_", with: "").lowercased() })
        var change = MLflow.Assessment()
        func wanted(_ path: String) -> Bool { paths.isEmpty || paths.contains(path) }
        if wanted("assessmentname") { change.assessmentName = given.assessmentName }
        if wanted("feedback") { change.feedback = given.feedback }
        if wanted("expectation") { change.expectation = given.expectation }
        if wanted("rationale") { change.rationale = given.rationale }
        if wanted("metadata") { change.metadata = given.metadata.map { existing.metadata.merging($0) { _, new in new } } }
        if wanted("valid") { change.valid = given.valid }
        if wanted("spanid") { change.spanID = given.spanID }
        let updated = try Self.wire { () throws(WireError) in try TraceAssessment(change, traceID: id, over: existing) }
        let stored = try await traces.logAssessments([updated])
        return MLflow.AssessmentMessage(assessment: MLflow.Assessment(stored[0], traceID: r.traceID))
    }
}
