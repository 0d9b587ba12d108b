public import Assay
import AssayMLflowAPI
import Foundation
import NIOCore
import NIOHTTP1

/// Logged models, traces and assessments through MLflow 3's REST API, so that `assay evaluate
/// --traces EXPERIMENT --tracking-uri http://…` reads a team's traces from its server and writes its
/// scores back as assessments, and `--model models:/m-…` finds a logged model there.
extension RESTTrackingStore: LoggedModelStore, TraceStore {
    // MARK: - Logged models

    static func read(_ model: MLflow.LoggedModel) -> LoggedModel {
        let info = model.info
        return LoggedModel(
            id: info.modelID, experimentID: info.experimentID, name: info.name, artifactLocation: info.artifactURI,
            status: LoggedModelStatus(rawValue: info.status) ?? .unspecified, statusMessage: info.statusMessage ?? "",
            creationTime: info.creationTimestampMs, lastUpdatedTime: info.lastUpdatedTimestampMs, sourceRunID: info.sourceRunID,
            modelType: info.modelType, tags: info.tags.map { KeyValue($0.key, $0.value ?? "") },
            params: (model.data?.params ?? []).map { KeyValue($0.key, $0.value ?? "") },
            metrics: (model.data?.metrics ?? []).map(MetricPoint.init))
    }

    static func path(_ id: String) -> String { RESTClient.encode(id) }

    public func createLoggedModel(
        in experimentID: String, name: String, sourceRunID: String?, modelType: String?, tags: [KeyValue], params: [KeyValue]
    ) async throws(AssayError) -> LoggedModel {
        let request = MLflow.CreateLoggedModel(
            experimentID: experimentID, name: name, modelType: modelType, sourceRunID: sourceRunID,
            params: params.map(MLflow.KeyValue.init),
            tags: tags.map(MLflow.KeyValue.init))
        return Self.read(try await client.call(.POST, "logged-models", request, as: MLflow.LoggedModelResponse.self).model)
    }

    public func loggedModel(id: String) async throws(AssayError) -> LoggedModel {
        Self.read(try await client.call(.GET, "logged-models/\(Self.path(id))", MLflow.Empty(), as: MLflow.LoggedModelResponse.self).model)
    }

    public func searchLoggedModels(_ query: LoggedModelQuery) async throws(AssayError) -> SearchPage<LoggedModel> {
        let request = MLflow.SearchLoggedModels(
            experimentIDs: query.experimentIDs, filter: query.filter.conditions.isEmpty ? nil : query.filter.text,
            datasets: query.datasets.map { MLflow.DatasetFilter(datasetName: $0.name, datasetDigest: $0.digest) },
            orderBy: query.orderBy.map { MLflow.LoggedModelOrder(fieldName: $0.key, ascending: $0.ascending) },
            maxResults: Int64(query.maxResults), pageToken: query.offset > 0 ? PageToken.encode(offset: query.offset) : nil)
        let answer = try await client.call(.POST, "logged-models/search", request, as: MLflow.SearchLoggedModelsResponse.self)
        return SearchPage(items: answer.models.map(Self.read), nextPageToken: answer.nextPageToken)
    }

    public func setLoggedModelStatus(id: String, _ status: LoggedModelStatus, message: String?) async throws(AssayError) -> LoggedModel {
        let request = MLflow.FinalizeLoggedModel(modelID: id, status: status.rawValue)
        return Self.read(
            try await client.call(.PATCH, "logged-models/\(Self.path(id))", request, as: MLflow.LoggedModelResponse.self).model)
    }

    public func setLoggedModelTags(id: String, _ tags: [KeyValue]) async throws(AssayError) {
        let request = MLflow.SetLoggedModelTags(tags: tags.map(MLflow.KeyValue.init))
        _ = try await client.call(.PATCH, "logged-models/\(Self.path(id))/tags", request, as: MLflow.Empty.self)
    }

    public func deleteLoggedModelTag(id: String, key: String) async throws(AssayError) {
        _ = try await client.call(.DELETE, "logged-models/\(Self.path(id))/tags/\(Self.path(key))", MLflow.Empty(), as: MLflow.Empty.self)
    }

    public func logLoggedModelParams(id: String, _ params: [KeyValue]) async throws(AssayError) {
        let request = MLflow.LogLoggedModelParams(params: params.map(MLflow.KeyValue.init))
        _ = try await client.call(.POST, "logged-models/\(Self.path(id))/params", request, as: MLflow.Empty.self)
    }

    public func deleteLoggedModel(id: String) async throws(AssayError) {
        _ = try await client.call(.DELETE, "logged-models/\(Self.path(id))", MLflow.Empty(), as: MLflow.Empty.self)
    }

    public func logOutputs(run id: String, models: [RunModelOutput]) async throws(AssayError) {
        let request = MLflow.LogOutputs(runID: id, models: models.map { MLflow.ModelOutput(modelID: $0.modelID, step: $0.step) })
        _ = try await client.call(.POST, "runs/outputs", request, as: MLflow.Empty.self)
    }

    public func outputs(run id: String) async throws(AssayError) -> [RunModelOutput] {
        try await run(id: id).modelOutputs
    }

    public func logModelInputs(run id: String, modelIDs: [String]) async throws(AssayError) {
        let request = MLflow.LogInputs(runID: id, models: modelIDs.map(MLflow.ModelInput.init))
        _ = try await client.call(.POST, "runs/log-inputs", request, as: MLflow.Empty.self)
    }

    // MARK: - Traces

    /// A trace as the server answered it: its spans' summary under the client-given info, and its assessments.
    static func read(_ trace: MLflow.Trace) throws(AssayError) -> (TraceSummary, [SpanRecord], [TraceAssessment]) {
        let spans = trace.spans.compactMap(OTelJSON.record)
        do {
            let summary = try TraceSummary(trace.traceInfo, spans: spans)
            let assessments = try trace.traceInfo.assessments.map { a throws(WireError) in try TraceAssessment(a, traceID: summary.traceID)
            }
            return (summary, spans, assessments)
        } catch {
            throw malformed("a trace", error)
        }
    }

    /// Sends the spans as an OTLP/HTTP JSON export to the server's `/v1/traces`.
    public func ingest(_ spans: [SpanRecord], experimentID: String) async throws(AssayError) {
        guard !spans.isEmpty else { return }
        let url = client.base + "/v1/traces"
        let (status, bytes) = try await client.send(
            .POST, url, body: ByteBuffer(string: OTelJSON.export(spans).description), json: true,
            headers: [("x-assay-experiment", experimentID), ("x-mlflow-experiment-id", experimentID)])
        guard status == 200 else { throw RESTClient.failure(status, String(decoding: bytes, as: UTF8.self), url: url) }
    }

    /// Pages through `traces/search` (newest first), then reads the page's spans with `traces/batchGet`.
    /// The server compares milliseconds; traces that began before `since` within its millisecond are left out here.
    public func traces(in experimentID: String, since: Int64?, limit: Int, offset: Int) async throws(AssayError) -> [TraceSummary] {
        let filter = try SearchFilter(since.map { "attributes.timestamp_ms >= \($0 / 1_000_000)" }, for: .traces)
        var found: [TraceSummary] = []
        var next = offset
        while found.count < limit {
            let page = try await searchTraces(
                experimentIDs: [experimentID], filter: filter, orderBy: [], maxResults: min(500, limit - found.count), offset: next)
            found += page.items
            guard let token = page.nextPageToken else { break }
            next = try PageToken.offset(token)
        }
        guard let since else { return found }
        return found.filter {
            ($0.spanCount > 0 ? $0.startTimeNanos : $0.timestampMilliseconds.saturatingMultiplied(by: 1_000_000)) >= since
        }
    }

    /// The server searches (it knows which traces are linked to which runs); the page's spans come with `traces/batchGet`.
    public func searchTraces(
        experimentIDs: [String], filter: SearchFilter, orderBy: [String], maxResults: Int, offset: Int
    ) async throws(AssayError) -> SearchPage<TraceSummary> {
        let request = MLflow.SearchTraces(
            experimentIDs: experimentIDs, filter: filter.conditions.isEmpty ? nil : filter.text, maxResults: Int64(maxResults),
            orderBy: orderBy, pageToken: offset > 0 ? PageToken.encode(offset: offset) : nil)
        let answer = try await client.call(.POST, "traces/search", request, as: MLflow.SearchTracesResponse.self, api: "3.0")
        let ids = answer.traces.compactMap(\.traceID).map(MLflow.storedTraceID)
        return SearchPage(items: try await traces(ids: ids).map(\.0), nextPageToken: answer.nextPageToken)
    }

    public func trace(id: String) async throws(AssayError) -> (TraceSummary, [SpanRecord], [TraceAssessment]) {
        let request = MLflow.GetTrace(traceID: MLflow.wireTraceID(id), allowPartial: true)
        return try Self.read(try await client.call(.GET, "traces/get", request, as: MLflow.TraceMessage.self, api: "3.0").trace)
    }

    public func traces(ids: [String]) async throws(AssayError) -> [(TraceSummary, [TraceAssessment])] {
        var result: [(TraceSummary, [TraceAssessment])] = []
        for start in stride(from: 0, to: ids.count, by: 100) {
            let part = ids[start..<min(start + 100, ids.count)].map(MLflow.wireTraceID)
            let answer = try await client.call(
                .GET, "traces/batchGet", MLflow.BatchGetTraces(traceIDs: part), as: MLflow.BatchGetTracesResponse.self, api: "3.0")
            for trace in answer.traces {
                let (summary, _, assessments) = try Self.read(trace)
                result.append((summary, assessments))
            }
        }
        let order = Dictionary(ids.enumerated().map { ($1, $0) }) { first, _ in first }
        return result.sorted { (order[$0.0.traceID] ?? .max) < (order[$1.0.traceID] ?? .max) }
    }

    public func record(_ trace: TraceSummary) async throws(AssayError) -> TraceSummary {
        let info = MLflow.TraceInfo(trace, assessments: [], artifactLocation: "")
        var sent = info
        sent.tags = trace.tags
        let answer = try await client.call(
            .POST, "traces", MLflow.TraceMessage(trace: MLflow.Trace(traceInfo: sent)), as: MLflow.TraceMessage.self, api: "3.0")
        return try Self.read(answer.trace).0
    }

    public func setTraceTag(id: String, _ tag: KeyValue) async throws(AssayError) {
        let request = MLflow.TraceTag(key: tag.key, value: tag.value)
        _ = try await client.call(.PATCH, "traces/\(Self.path(MLflow.wireTraceID(id)))/tags", request, as: MLflow.Empty.self)
    }

    public func deleteTraceTag(id: String, key: String) async throws(AssayError) {
        _ = try await client.call(
            .DELETE, "traces/\(Self.path(MLflow.wireTraceID(id)))/tags", MLflow.TraceTag(key: key), as: MLflow.Empty.self)
    }

    public func deleteTraces(in experimentID: String, ids: [String]?, before: Int64?, maxTraces: Int?) async throws(AssayError) -> Int {
        let request = MLflow.DeleteTraces(
            experimentID: experimentID, maxTimestampMillis: ids == nil ? (before ?? Int64.max / 1_000_000) : nil,
            maxTraces: maxTraces.map(Int64.init), requestIDs: (ids ?? []).map(MLflow.wireTraceID))
        return Int(try await client.call(.POST, "traces/delete-traces", request, as: MLflow.DeleteTracesResponse.self).tracesDeleted)
    }

    public func linkTraces(_ ids: [String], toRun runID: String) async throws(AssayError) {
        let request = MLflow.LinkTracesToRun(traceIDs: ids.map(MLflow.wireTraceID), runID: runID)
        _ = try await client.call(.POST, "traces/link-to-run", request, as: MLflow.Empty.self)
    }

    /// One request per assessment: new ones are created, ones with an id are updated.
    @discardableResult
    public func logAssessments(_ assessments: [TraceAssessment]) async throws(AssayError) -> [TraceAssessment] {
        var stored: [TraceAssessment] = []
        for a in assessments {
            let trace = MLflow.wireTraceID(a.traceID)
            let message = MLflow.AssessmentMessage(assessment: MLflow.Assessment(a, traceID: trace))
            let answer: MLflow.AssessmentMessage
            if a.id.isEmpty {
                var fresh = message
                fresh.assessment.assessmentID = nil
                answer = try await client.call(
                    .POST, "traces/\(Self.path(trace))/assessments", fresh, as: MLflow.AssessmentMessage.self, api: "3.0")
            } else {
                answer = try await client.call(
                    .PATCH, "traces/\(Self.path(trace))/assessments/\(Self.path(a.id))", message, as: MLflow.AssessmentMessage.self,
                    api: "3.0")
            }
            do {
                stored.append(try TraceAssessment(answer.assessment, traceID: a.traceID))
            } catch {
                throw Self.malformed("an assessment", error)
            }
        }
        return stored
    }

    /// MLflow's REST protocol finds assessments only through their traces, so a run's cannot be listed.
    public func assessments(run runID: String, sourceType: String?) async throws(AssayError) -> [TraceAssessment] {
        throw .invalidInput("an MLflow tracking server cannot list the assessments of run \(runID); open the run on that server's UI")
    }

    public func deleteAssessment(trace traceID: String, id: String) async throws(AssayError) {
        _ = try await client.call(
            .DELETE, "traces/\(Self.path(MLflow.wireTraceID(traceID)))/assessments/\(Self.path(id))", MLflow.Empty(), as: MLflow.Empty.self,
            api: "3.0")
    }
}
