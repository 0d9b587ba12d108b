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
    static let v3Routes: [Route] = [
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
        rpc(.patch, "traces/:trace_id/assessments/:assessment_id", AssessmentChange.self) { api, r in try await api.updateAssessment(r) },
        rpc(.delete, "traces/:trace_id/assessments/:assessment_id", AssessmentChange.self) { api, r in
            try await api.traceStore.deleteAssessment(trace: Self.storedTraceID(r.traceID), id: r.assessmentID ?? "")
            return MLflow.Empty()
        },
    ]

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

    var models: any LoggedModelStore {
        get throws(APIError) {
            guard let models = store as? any LoggedModelStore else {
                throw APIError("NOT_IMPLEMENTED", "This server's store does not keep logged models.")
            }
            return models
        }
    }

    var traceStore: any TraceStore {
        get throws(APIError) {
            guard let traces = store as? any TraceStore else {
                throw APIError("NOT_IMPLEMENTED", "This server's store does not keep traces.")
            }
            return traces
        }
    }

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
        let query = LoggedModelQuery(
            experimentIDs: r.experimentIDs, filter: try SearchFilter(r.filter, for: .loggedModels),
            maxResults: try Self.maxResults(r.maxResults, default: 100), offset: try PageToken.offset(r.pageToken))
        var page = try await models.searchLoggedModels(query)
        if let order = r.orderBy.first {
            let key = order.fieldName
            let ascending = order.ascending ?? true
            page.items.sort { a, b in
                let (x, y) = (a.filterValues[key] ?? .null, b.filterValues[key] ?? .null)
                let less = if let p = x.doubleValue, let q = y.doubleValue { p < q } else { x.text < y.text }
                return ascending ? less : !less && x != y
            }
        }
        return MLflow.SearchLoggedModelsResponse(models: page.items.map(MLflow.LoggedModel.init), nextPageToken: page.nextPageToken)
    }

    // MARK: - Traces

    /// The store's key for a trace the client names `tr-<32 hex>`.
    static func storedTraceID(_ wire: String) -> String {
        let rest = wire.dropFirst(3)
        return wire.hasPrefix("tr-") && rest.count == 32 && rest.allSatisfy(\.isHexDigit) ? String(rest).lowercased() : wire
    }

    /// How the client names a stored trace.
    static func wireTraceID(_ stored: String) -> String {
        stored.count == 32 && stored.allSatisfy(\.isHexDigit) ? "tr-" + stored : stored
    }

    static func traceNotFound(_ id: String) -> APIError {
        APIError.notFound("Trace with ID '\(id)' not found.")
    }

    func startTrace(_ r: MLflow.TraceMessage) async throws -> MLflow.TraceMessage {
        let info = r.trace.traceInfo
        guard let wireID = info.traceID, !wireID.isEmpty else { throw APIError.missing("trace.trace_info.trace_id") }
        guard let experiment = info.traceLocation?.mlflowExperiment?.experimentID, !experiment.isEmpty else {
            throw APIError.missing("trace.trace_info.trace_location.mlflow_experiment.experiment_id")
        }
        if let state = info.state, !["OK", "ERROR", "IN_PROGRESS", "STATE_UNSPECIFIED"].contains(state) {
            throw APIError.invalid("Invalid value '\(state)' for parameter 'state': use OK, ERROR or IN_PROGRESS.")
        }
        let id = Self.storedTraceID(wireID)
        var trace = TraceSummary(
            traceID: id, experimentID: experiment, name: info.tags?["mlflow.traceName"] ?? "", startTimeNanos: 0, endTimeNanos: 0,
            status: "UNSET", spanCount: 0, model: nil, inputTokens: nil, outputTokens: nil, inputs: nil, outputs: nil, context: [])
        trace.state = info.state
        trace.requestTime = info.requestTime?.milliseconds
        trace.executionDuration = info.executionDuration?.milliseconds
        trace.requestPreview = info.requestPreview
        trace.responsePreview = info.responsePreview
        trace.clientRequestID = info.clientRequestID
        trace.metadata = info.traceMetadata ?? [:]
        // Tags the server answers with are its own; a client sending them back does not store them.
        trace.tags = (info.tags ?? [:]).filter { !Self.serverTraceTags.contains($0.key) }
        let traces = try traceStore
        _ = try await traces.record(trace)
        if !info.assessments.isEmpty {
            try await traces.logAssessments(try info.assessments.map { try Self.assessment($0, traceID: id, existing: nil) })
        }
        guard let stored = try await self.traces([wireID], spans: false).first else { throw Self.traceNotFound(wireID) }
        return MLflow.TraceMessage(trace: stored)
    }

    static let serverTraceTags: Set<String> = ["mlflow.trace.spansLocation", "mlflow.artifactLocation"]

    /// Traces by the client's ids, with their assessments and (when asked) spans; unknown ids are left out.
    func traces(_ wireIDs: [String], spans: Bool) async throws -> [MLflow.Trace] {
        let traces = try traceStore
        let found = try await traces.traces(ids: wireIDs.map(Self.storedTraceID))
        var locations: [String: String] = [:]
        var result: [MLflow.Trace] = []
        for (summary, assessments) in found {
            if locations[summary.experimentID] == nil {
                locations[summary.experimentID] = (try? await store.experiment(id: summary.experimentID))?.artifactLocation ?? ""
            }
            let records = spans ? try await traces.trace(id: summary.traceID).1 : []
            result.append(
                MLflow.Trace(
                    traceInfo: Self.traceInfo(summary, assessments, artifactLocation: locations[summary.experimentID] ?? ""),
                    spans: records.map(OTLPJSON.span)))
        }
        return result
    }

    /// A trace's info as the client reads it: the server's own tags say that spans are kept here.
    static func traceInfo(_ t: TraceSummary, _ assessments: [TraceAssessment], artifactLocation: String) -> MLflow.TraceInfo {
        let id = wireTraceID(t.traceID)
        var tags = t.tags
        tags["mlflow.trace.spansLocation"] = "TRACKING_STORE"
        tags["mlflow.artifactLocation"] = "\(artifactLocation)/traces/\(id)/artifacts"
        if tags["mlflow.traceName"] == nil, !t.name.isEmpty { tags["mlflow.traceName"] = t.name }
        return MLflow.TraceInfo(
            traceID: id, clientRequestID: t.clientRequestID, traceLocation: MLflow.TraceLocation(experimentID: t.experimentID),
            requestPreview: t.requestPreview ?? t.inputs.map { String($0.prefix(1000)) },
            responsePreview: t.responsePreview ?? t.outputs.map { String($0.prefix(1000)) },
            requestTime: MLflow.Timestamp(milliseconds: t.timestampMilliseconds),
            executionDuration: MLflow.Duration(milliseconds: Int64(t.latencyMilliseconds.rounded())), state: t.mlflowState,
            traceMetadata: t.metadata, assessments: assessments.map { MLflow.Assessment($0, traceID: id) }, tags: tags)
    }

    func searchTraces(_ r: MLflow.SearchTraces) async throws -> MLflow.SearchTracesResponse {
        let experiments = r.locations.compactMap { $0.mlflowExperiment?.experimentID } + r.experimentIDs
        guard !experiments.isEmpty else { throw APIError.missing("locations") }
        let page = try await traceStore.searchTraces(
            experimentIDs: experiments, filter: try SearchFilter(r.filter, for: .traces), orderBy: r.orderBy,
            maxResults: try Self.maxResults(r.maxResults, default: 100), offset: try PageToken.offset(r.pageToken))
        let infos = try await traces(page.items.map { Self.wireTraceID($0.traceID) }, spans: false).map(\.traceInfo)
        return MLflow.SearchTracesResponse(traces: infos, nextPageToken: page.nextPageToken)
    }

    // MARK: - Assessments

    /// A stored assessment from the client's, over `existing` when it updates one.
    static func assessment(_ a: MLflow.Assessment, traceID: String, existing: TraceAssessment?) throws(APIError) -> TraceAssessment {
        guard let name = a.assessmentName ?? existing?.name, !name.isEmpty else { throw APIError.missing("assessment.assessment_name") }
        let kind: TraceAssessment.Kind
        let data: DataValue
        var error = existing?.error
        if let feedback = a.feedback {
            kind = .feedback
            data = feedback.value ?? .null
            error = feedback.error.map { $0.errorMessage ?? $0.errorCode ?? "error" }
        } else if let expectation = a.expectation {
            kind = .expectation
            if let serialized = expectation.serializedValue?.value {
                data = (try? DataValue(json: serialized)) ?? .string(serialized)
            } else {
                data = expectation.value ?? .null
            }
        } else if let existing {
            kind = existing.kind
            data = existing.data
        } else {
            throw APIError.invalid("An assessment needs a `feedback` or an `expectation`.")
        }
        let type = a.source?.sourceType ?? existing?.source.type ?? "SOURCE_TYPE_UNSPECIFIED"
        guard TraceAssessment.Source.types.contains(type) else {
            throw APIError.invalid("Invalid value '\(type)' for parameter 'assessment.source.source_type': use HUMAN, LLM_JUDGE or CODE.")
        }
        let metadata = a.metadata ?? existing?.metadata ?? [:]
        let now = MetricPoint.now()
        return TraceAssessment(
            id: existing?.id ?? a.assessmentID ?? "", traceID: traceID, name: name, kind: kind, data: data,
            rationale: a.rationale ?? existing?.rationale,
            source: TraceAssessment.Source(type: type, id: a.source?.sourceID ?? existing?.source.id ?? ""),
            runID: metadata["mlflow.assessment.sourceRunId"] ?? existing?.runID ?? "", spanID: a.spanID ?? existing?.spanID,
            metadata: metadata, error: error, valid: a.valid ?? existing?.valid ?? true, overrides: a.overrides ?? existing?.overrides,
            createTime: existing?.createTime ?? a.createTime?.milliseconds ?? now, lastUpdateTime: now)
    }

    func createAssessment(_ r: AssessmentChange) async throws -> MLflow.AssessmentMessage {
        guard let given = r.assessment else { throw APIError.missing("assessment") }
        let traces = try traceStore
        let id = Self.storedTraceID(r.traceID)
        guard try await traces.traces(ids: [id]).first != nil else { throw Self.traceNotFound(r.traceID) }
        var new = try Self.assessment(given, traceID: id, existing: nil)
        if new.id.isEmpty { new.id = TraceAssessment.newID() }
        var changes = [new]
        // An assessment that overrides another leaves the other in place, no longer valid.
        if let overridden = new.overrides, var old = try? await traces.assessment(trace: id, id: overridden) {
            old.valid = false
            changes.append(old)
        }
        let stored = try await traces.logAssessments(changes)
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
        let updated = try Self.assessment(change, traceID: id, existing: existing)
        let stored = try await traces.logAssessments([updated])
        return MLflow.AssessmentMessage(assessment: MLflow.Assessment(stored[0], traceID: r.traceID))
    }
}
