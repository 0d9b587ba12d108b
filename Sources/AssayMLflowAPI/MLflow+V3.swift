public import Assay
import Foundation

/// MLflow 3's messages: logged models (below `/api/2.0/mlflow/logged-models`), traces and assessments
/// (below `/api/3.0/mlflow/traces`), as the official client sends and reads them.
public extension MLflow {
    // MARK: - Time

    /// A protobuf `Timestamp`, written as RFC 3339 text (`2026-12-01T08:20:21.283Z`); milliseconds here.
    struct Timestamp: Codable, Sendable, Equatable {
        public var milliseconds: Int64

        public init(milliseconds: Int64) {
            self.milliseconds = milliseconds
        }

        public init(from decoder: any Decoder) throws {
            let single = try decoder.singleValueContainer()
            if let number = try? single.decode(Int64.self) {
                milliseconds = number
                return
            }
            let text = try single.decode(String.self)
            guard let parsed = Self.parse(text) else {
                throw WireError(message: "Invalid timestamp '\(text)': expected RFC 3339 text such as 2026-12-01T08:20:21.283Z.")
            }
            milliseconds = parsed
        }

        public func encode(to encoder: any Encoder) throws {
            var single = encoder.singleValueContainer()
            try single.encode(text)
        }

        /// RFC 3339 in UTC with milliseconds.
        public var text: String {
            let (seconds, millis) = milliseconds.quotientAndRemainder(dividingBy: 1000)
            let (whole, fraction) = millis < 0 ? (seconds - 1, millis + 1000) : (seconds, millis)
            let date = Date(timeIntervalSince1970: Double(whole))
            let text = date.formatted(
                .iso8601.year().month().day().dateSeparator(.dash).dateTimeSeparator(.standard).time(includingFractionalSeconds: false)
                    .timeSeparator(.colon))
            return text + "." + String(String(fraction + 1000).dropFirst()) + "Z"
        }

        /// Milliseconds from RFC 3339 text, with or without fractional seconds (nanoseconds are cut to milliseconds).
        static func parse(_ text: String) -> Int64? {
            var whole = text
            var fraction = 0.0
            if let dot = text.firstIndex(of: "."), let end = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
                fraction = Double("0" + text[dot..<end]) ?? 0
                whole = String(text[..<dot]) + String(text[end...])
            }
            guard let date = try? Date.ISO8601FormatStyle().parse(whole) else { return nil }
            let seconds = date.timeIntervalSince1970
            guard seconds.isFinite, abs(seconds) < 9e12 else { return nil }
            return Int64(seconds) * 1000 + Int64((fraction * 1000).rounded(.down))
        }
    }

    /// A protobuf `Duration`, written as seconds with an `s` (`"0.070s"`); milliseconds here.
    struct Duration: Codable, Sendable, Equatable {
        public var milliseconds: Int64

        public init(milliseconds: Int64) {
            self.milliseconds = milliseconds
        }

        public init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            guard text.hasSuffix("s"), let seconds = Double(text.dropLast()), seconds.isFinite, abs(seconds) < 9e12 else {
                throw WireError(message: "Invalid duration '\(text)': expected seconds such as \"0.070s\".")
            }
            milliseconds = Int64((seconds * 1000).rounded())
        }

        public func encode(to encoder: any Encoder) throws {
            var single = encoder.singleValueContainer()
            let seconds = Double(milliseconds) / 1000
            try single.encode(String(format: "%.3fs", seconds))
        }
    }

    // MARK: - Logged models

    /// What identifies a logged model and where it stands.
    struct LoggedModelInfo: Codable, Sendable {
        public var modelID: String
        public var experimentID: String
        public var name: String
        public var artifactURI: String
        public var status: String
        public var statusMessage: String?
        public var creationTimestampMs: Int64
        public var lastUpdatedTimestampMs: Int64
        public var sourceRunID: String?
        public var modelType: String?
        public var tags: [KeyValue]

        public init(
            modelID: String, experimentID: String, name: String, artifactURI: String, status: String, statusMessage: String? = nil,
            creationTimestampMs: Int64, lastUpdatedTimestampMs: Int64, sourceRunID: String? = nil, modelType: String? = nil,
            tags: [KeyValue] = []
        ) {
            self.modelID = modelID
            self.experimentID = experimentID
            self.name = name
            self.artifactURI = artifactURI
            self.status = status
            self.statusMessage = statusMessage
            self.creationTimestampMs = creationTimestampMs
            self.lastUpdatedTimestampMs = lastUpdatedTimestampMs
            self.sourceRunID = sourceRunID
            self.modelType = modelType
            self.tags = tags
        }
    }

    /// A logged model's params.
    struct LoggedModelData: Codable, Sendable {
        public var params: [KeyValue]
        public var metrics: [Metric]

        public init(params: [KeyValue] = [], metrics: [Metric] = []) {
            self.params = params
            self.metrics = metrics
        }
    }

    /// A logged model.
    struct LoggedModel: Codable, Sendable {
        public var info: LoggedModelInfo
        public var data: LoggedModelData?

        public init(info: LoggedModelInfo, data: LoggedModelData? = nil) {
            self.info = info
            self.data = data
        }
    }

    /// `POST logged-models`.
    struct CreateLoggedModel: Codable, Sendable {
        public var experimentID: String
        public var name: String?
        public var modelType: String?
        public var sourceRunID: String?
        public var params: [KeyValue]
        public var tags: [KeyValue]

        public init(
            experimentID: String, name: String? = nil, modelType: String? = nil, sourceRunID: String? = nil, params: [KeyValue] = [],
            tags: [KeyValue] = []
        ) {
            self.experimentID = experimentID
            self.name = name
            self.modelType = modelType
            self.sourceRunID = sourceRunID
            self.params = params
            self.tags = tags
        }
    }

    /// The answer naming one logged model.
    struct LoggedModelResponse: Codable, Sendable {
        public var model: LoggedModel

        public init(model: LoggedModel) {
            self.model = model
        }
    }

    /// `PATCH logged-models/{id}`: the model's new status.
    struct FinalizeLoggedModel: Codable, Sendable {
        public var modelID: String?
        public var status: String

        public init(modelID: String? = nil, status: String) {
            self.modelID = modelID
            self.status = status
        }
    }

    /// `PATCH logged-models/{id}/tags`.
    struct SetLoggedModelTags: Codable, Sendable {
        public var tags: [KeyValue]

        public init(tags: [KeyValue]) {
            self.tags = tags
        }
    }

    /// `POST logged-models/{id}/params`.
    struct LogLoggedModelParams: Codable, Sendable {
        public var params: [KeyValue]

        public init(params: [KeyValue]) {
            self.params = params
        }
    }

    /// One ordering of a logged-model search.
    struct LoggedModelOrder: Codable, Sendable {
        public var fieldName: String
        public var ascending: Bool?

        public init(fieldName: String, ascending: Bool? = nil) {
            self.fieldName = fieldName
            self.ascending = ascending
        }
    }

    /// A dataset a logged-model search narrows metrics to.
    struct DatasetFilter: Codable, Sendable {
        public var datasetName: String
        public var datasetDigest: String?

        public init(datasetName: String, datasetDigest: String? = nil) {
            self.datasetName = datasetName
            self.datasetDigest = datasetDigest
        }
    }

    /// `POST logged-models/search`.
    struct SearchLoggedModels: Codable, Sendable {
        public var experimentIDs: [String]
        public var filter: String?
        public var datasets: [DatasetFilter]
        public var orderBy: [LoggedModelOrder]
        public var maxResults: Int64?
        public var pageToken: String?

        public init(
            experimentIDs: [String], filter: String? = nil, datasets: [DatasetFilter] = [], orderBy: [LoggedModelOrder] = [],
            maxResults: Int64? = nil, pageToken: String? = nil
        ) {
            self.experimentIDs = experimentIDs
            self.filter = filter
            self.datasets = datasets
            self.orderBy = orderBy
            self.maxResults = maxResults
            self.pageToken = pageToken
        }
    }

    /// The answer to `logged-models/search`.
    struct SearchLoggedModelsResponse: Codable, Sendable {
        public var models: [LoggedModel]
        public var nextPageToken: String?

        public init(models: [LoggedModel], nextPageToken: String? = nil) {
            self.models = models
            self.nextPageToken = nextPageToken
        }
    }

    /// A model a run produced.
    struct ModelOutput: Codable, Sendable {
        public var modelID: String
        public var step: Int64?

        public init(modelID: String, step: Int64? = nil) {
            self.modelID = modelID
            self.step = step
        }
    }

    /// A run's outputs: the models it logged.
    struct RunOutputs: Codable, Sendable {
        public var modelOutputs: [ModelOutput]

        public init(modelOutputs: [ModelOutput] = []) {
            self.modelOutputs = modelOutputs
        }
    }

    /// `POST runs/outputs`.
    struct LogOutputs: Codable, Sendable {
        public var runID: String?
        public var models: [ModelOutput]

        public init(runID: String, models: [ModelOutput]) {
            self.runID = runID
            self.models = models
        }
    }

    // MARK: - Traces

    /// Where a trace lives: an experiment.
    struct TraceLocation: Codable, Sendable {
        public struct Experiment: Codable, Sendable {
            public var experimentID: String

            public init(experimentID: String) {
                self.experimentID = experimentID
            }
        }

        public var type: String?
        public var mlflowExperiment: Experiment?

        public init(experimentID: String) {
            type = "MLFLOW_EXPERIMENT"
            mlflowExperiment = Experiment(experimentID: experimentID)
        }
    }

    /// Who gave an assessment.
    struct AssessmentSource: Codable, Sendable {
        public var sourceType: String?
        public var sourceID: String?

        public init(sourceType: String?, sourceID: String?) {
            self.sourceType = sourceType
            self.sourceID = sourceID
        }
    }

    /// Why an assessment has no value.
    struct AssessmentError: Codable, Sendable {
        public var errorCode: String?
        public var errorMessage: String?

        public init(errorCode: String? = nil, errorMessage: String? = nil) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }
    }

    /// A feedback's value (any JSON) or its error.
    struct Feedback: Codable, Sendable {
        public var value: DataValue?
        public var error: AssessmentError?

        public init(value: DataValue?, error: AssessmentError? = nil) {
            self.value = value
            self.error = error
        }
    }

    /// An expectation's value: JSON, or text in a named serialization for values JSON cannot hold.
    struct Expectation: Codable, Sendable {
        public struct Serialized: Codable, Sendable {
            public var serializationFormat: String?
            public var value: String?
        }

        public var value: DataValue?
        public var serializedValue: Serialized?

        public init(value: DataValue?) {
            self.value = value
        }

        /// An expectation as MLflow's server writes it: a string, number or boolean as `value`, anything
        /// else (an object, a list, null) as JSON text in `serialized_value`.
        public init(stored value: DataValue) {
            switch value {
            case .string, .int, .double, .bool: self.value = value
            default: serializedValue = Serialized(serializationFormat: "JSON_FORMAT", value: value.description)
            }
        }
    }

    /// A feedback or an expectation on a trace.
    struct Assessment: Codable, Sendable {
        public var assessmentID: String?
        public var assessmentName: String?
        public var traceID: String?
        public var spanID: String?
        public var source: AssessmentSource?
        public var createTime: Timestamp?
        public var lastUpdateTime: Timestamp?
        public var feedback: Feedback?
        public var expectation: Expectation?
        public var rationale: String?
        public var metadata: [String: String]?
        public var overrides: String?
        public var valid: Bool?

        public init(
            assessmentID: String? = nil, assessmentName: String? = nil, traceID: String? = nil, spanID: String? = nil,
            source: AssessmentSource? = nil, createTime: Timestamp? = nil, lastUpdateTime: Timestamp? = nil, feedback: Feedback? = nil,
            expectation: Expectation? = nil, rationale: String? = nil, metadata: [String: String]? = nil, overrides: String? = nil,
            valid: Bool? = nil
        ) {
            self.assessmentID = assessmentID
            self.assessmentName = assessmentName
            self.traceID = traceID
            self.spanID = spanID
            self.source = source
            self.createTime = createTime
            self.lastUpdateTime = lastUpdateTime
            self.feedback = feedback
            self.expectation = expectation
            self.rationale = rationale
            self.metadata = metadata
            self.overrides = overrides
            self.valid = valid
        }
    }

    /// What a trace is: id, location, times, state, previews, metadata, tags and assessments.
    struct TraceInfo: Codable, Sendable {
        public var traceID: String?
        public var clientRequestID: String?
        public var traceLocation: TraceLocation?
        public var requestPreview: String?
        public var responsePreview: String?
        public var requestTime: Timestamp?
        public var executionDuration: Duration?
        public var state: String?
        public var traceMetadata: [String: String]?
        public var assessments: [Assessment]
        public var tags: [String: String]?

        public init(
            traceID: String?, clientRequestID: String? = nil, traceLocation: TraceLocation? = nil, requestPreview: String? = nil,
            responsePreview: String? = nil, requestTime: Timestamp? = nil, executionDuration: Duration? = nil, state: String? = nil,
            traceMetadata: [String: String]? = nil, assessments: [Assessment] = [], tags: [String: String]? = nil
        ) {
            self.traceID = traceID
            self.clientRequestID = clientRequestID
            self.traceLocation = traceLocation
            self.requestPreview = requestPreview
            self.responsePreview = responsePreview
            self.requestTime = requestTime
            self.executionDuration = executionDuration
            self.state = state
            self.traceMetadata = traceMetadata
            self.assessments = assessments
            self.tags = tags
        }
    }

    /// A trace: its info and, where asked for, its spans as OpenTelemetry's protobuf JSON.
    struct Trace: Codable, Sendable {
        public var traceInfo: TraceInfo
        public var spans: [DataValue]

        public init(traceInfo: TraceInfo, spans: [DataValue] = []) {
            self.traceInfo = traceInfo
            self.spans = spans
        }
    }

    /// `POST /api/3.0/mlflow/traces` and the answers naming one trace.
    struct TraceMessage: Codable, Sendable {
        public var trace: Trace

        public init(trace: Trace) {
            self.trace = trace
        }
    }

    /// `GET traces/get` and `GET traces/{id}`.
    struct GetTrace: Codable, Sendable {
        public var traceID: String?
        public var allowPartial: Bool?

        public init(traceID: String, allowPartial: Bool? = nil) {
            self.traceID = traceID
            self.allowPartial = allowPartial
        }
    }

    /// `GET traces/batchGet` and `traces/batchGetInfos`.
    struct BatchGetTraces: Codable, Sendable {
        public var traceIDs: [String]
        public var experimentIDs: [String]?

        public init(traceIDs: [String]) {
            self.traceIDs = traceIDs
        }
    }

    /// The answer to `traces/batchGet`.
    struct BatchGetTracesResponse: Codable, Sendable {
        public var traces: [Trace]

        public init(traces: [Trace]) {
            self.traces = traces
        }
    }

    /// The answer to `traces/batchGetInfos`.
    struct BatchGetTraceInfosResponse: Codable, Sendable {
        public var traceInfos: [TraceInfo]

        public init(traceInfos: [TraceInfo]) {
            self.traceInfos = traceInfos
        }
    }

    /// `POST /api/3.0/mlflow/traces/search`.
    struct SearchTraces: Codable, Sendable {
        public var locations: [TraceLocation]
        public var experimentIDs: [String]
        public var filter: String?
        public var maxResults: Int64?
        public var orderBy: [String]
        public var pageToken: String?

        public init(
            experimentIDs: [String], filter: String? = nil, maxResults: Int64? = nil, orderBy: [String] = [], pageToken: String? = nil
        ) {
            self.locations = experimentIDs.map(TraceLocation.init(experimentID:))
            self.experimentIDs = []
            self.filter = filter
            self.maxResults = maxResults
            self.orderBy = orderBy
            self.pageToken = pageToken
        }
    }

    /// The answer to `traces/search`.
    struct SearchTracesResponse: Codable, Sendable {
        public var traces: [TraceInfo]
        public var nextPageToken: String?

        public init(traces: [TraceInfo], nextPageToken: String? = nil) {
            self.traces = traces
            self.nextPageToken = nextPageToken
        }
    }

    /// `PATCH`/`DELETE traces/{id}/tags`.
    struct TraceTag: Codable, Sendable {
        public var key: String
        public var value: String?

        public init(key: String, value: String? = nil) {
            self.key = key
            self.value = value
        }
    }

    /// `POST traces/delete-traces`: by ids, or the oldest before a time.
    struct DeleteTraces: Codable, Sendable {
        public var experimentID: String
        public var maxTimestampMillis: Int64?
        public var maxTraces: Int64?
        public var requestIDs: [String]

        public init(experimentID: String, maxTimestampMillis: Int64? = nil, maxTraces: Int64? = nil, requestIDs: [String] = []) {
            self.experimentID = experimentID
            self.maxTimestampMillis = maxTimestampMillis
            self.maxTraces = maxTraces
            self.requestIDs = requestIDs
        }
    }

    /// The answer to `traces/delete-traces`.
    struct DeleteTracesResponse: Codable, Sendable {
        public var tracesDeleted: Int64

        public init(tracesDeleted: Int64) {
            self.tracesDeleted = tracesDeleted
        }
    }

    /// `POST traces/link-to-run`.
    struct LinkTracesToRun: Codable, Sendable {
        public var traceIDs: [String]
        public var runID: String

        public init(traceIDs: [String], runID: String) {
            self.traceIDs = traceIDs
            self.runID = runID
        }
    }

    /// `POST`/`PATCH traces/{id}/assessments[/{aid}]` and the answers naming one assessment.
    struct AssessmentMessage: Codable, Sendable {
        public var assessment: Assessment
        public var updateMask: String?

        public init(assessment: Assessment, updateMask: String? = nil) {
            self.assessment = assessment
            self.updateMask = updateMask
        }
    }
}

extension MLflow.LoggedModel {
    /// A stored logged model on the wire.
    public init(_ model: Assay.LoggedModel) {
        self.init(
            info: MLflow.LoggedModelInfo(
                modelID: model.id, experimentID: model.experimentID, name: model.name, artifactURI: model.artifactLocation,
                status: model.status.rawValue, statusMessage: model.statusMessage.isEmpty ? nil : model.statusMessage,
                creationTimestampMs: model.creationTime, lastUpdatedTimestampMs: model.lastUpdatedTime, sourceRunID: model.sourceRunID,
                modelType: model.modelType, tags: model.tags.map { MLflow.KeyValue(key: $0.key, value: $0.value) }),
            data: MLflow.LoggedModelData(
                params: model.params.map { MLflow.KeyValue(key: $0.key, value: $0.value) }, metrics: model.metrics.map(MLflow.Metric.init)))
    }
}

extension MLflow.Assessment {
    /// A stored assessment on the wire (`traceID` as the client names the trace).
    public init(_ a: TraceAssessment, traceID: String) {
        let error = a.error.map { MLflow.AssessmentError(errorCode: "ASSESSMENT_ERROR", errorMessage: $0) }
        self.init(
            assessmentID: a.id, assessmentName: a.name, traceID: traceID, spanID: a.spanID,
            source: MLflow.AssessmentSource(sourceType: a.source.type, sourceID: a.source.id),
            createTime: MLflow.Timestamp(milliseconds: a.createTime), lastUpdateTime: MLflow.Timestamp(milliseconds: a.lastUpdateTime),
            feedback: a.kind == .feedback ? MLflow.Feedback(value: a.data.isNull ? nil : a.data, error: error) : nil,
            expectation: a.kind == .expectation ? MLflow.Expectation(stored: a.data) : nil, rationale: a.rationale,
            metadata: a.metadata.isEmpty ? nil : a.metadata, overrides: a.overrides, valid: a.valid)
    }
}

// MARK: - Evaluation datasets and registered scorers

public extension MLflow {
    /// An evaluation dataset (`tags` is a JSON object written as text, as MLflow sends it).
    struct EvaluationDataset: Codable, Sendable {
        public var datasetID: String
        public var name: String
        public var tags: String?
        public var schema: String?
        public var profile: String?
        public var digest: String?
        public var createdTime: Int64?
        public var lastUpdateTime: Int64?
        public var createdBy: String?
        public var lastUpdatedBy: String?
        public var experimentIDs: [String]

        /// The dataset as Assay keeps it; `tags` that are not a JSON object of strings are left out.
        public var stored: Assay.EvaluationDataset {
            let tagMap = tags.flatMap { try? DataValue(json: $0) }?.objectValue?.mapValues(\.text) ?? [:]
            return Assay.EvaluationDataset(
                id: datasetID, name: name, tags: tagMap, schema: schema, profile: profile, digest: digest ?? "",
                createdTime: createdTime ?? 0,
                lastUpdateTime: lastUpdateTime ?? 0, createdBy: createdBy, lastUpdatedBy: lastUpdatedBy, experimentIDs: experimentIDs)
        }

        public init(_ d: Assay.EvaluationDataset) {
            datasetID = d.id
            name = d.name
            tags = DataValue.object(d.tags.mapValues(DataValue.string)).description
            schema = d.schema
            profile = d.profile
            digest = d.digest
            createdTime = d.createdTime
            lastUpdateTime = d.lastUpdateTime
            createdBy = d.createdBy
            lastUpdatedBy = d.lastUpdatedBy
            experimentIDs = d.experimentIDs
        }
    }

    /// `POST datasets/create`.
    struct CreateEvaluationDataset: Codable, Sendable {
        public var name: String?
        public var experimentIDs: [String]
        public var tags: String?

        public init(name: String, experimentIDs: [String], tags: String?) {
            self.name = name
            self.experimentIDs = experimentIDs
            self.tags = tags
        }
    }

    /// The answers naming one dataset.
    struct EvaluationDatasetResponse: Codable, Sendable {
        public var dataset: EvaluationDataset

        public init(dataset: EvaluationDataset) {
            self.dataset = dataset
        }
    }

    /// `POST datasets/search`.
    struct SearchEvaluationDatasets: Codable, Sendable {
        public var experimentIDs: [String]
        public var filterString: String?
        public var maxResults: Int64?
        public var orderBy: [String]
        public var pageToken: String?

        public init(experimentIDs: [String], filterString: String?, maxResults: Int64?, orderBy: [String], pageToken: String?) {
            self.experimentIDs = experimentIDs
            self.filterString = filterString
            self.maxResults = maxResults
            self.orderBy = orderBy
            self.pageToken = pageToken
        }
    }

    /// The answer to `datasets/search`.
    struct SearchEvaluationDatasetsResponse: Codable, Sendable {
        public var datasets: [EvaluationDataset]
        public var nextPageToken: String?

        public init(datasets: [EvaluationDataset], nextPageToken: String?) {
            self.datasets = datasets
            self.nextPageToken = nextPageToken
        }
    }

    /// The answer to a records upsert.
    struct UpsertRecordsResponse: Codable, Sendable {
        public var insertedCount: Int64
        public var updatedCount: Int64

        public init(insertedCount: Int64, updatedCount: Int64) {
            self.insertedCount = insertedCount
            self.updatedCount = updatedCount
        }
    }

    /// A page of records: a JSON list written as text.
    struct DatasetRecordsResponse: Codable, Sendable {
        public var records: String
        public var nextPageToken: String?

        public init(records: String, nextPageToken: String?) {
            self.records = records
            self.nextPageToken = nextPageToken
        }
    }

    /// The answer to a records deletion.
    struct DeleteRecordsResponse: Codable, Sendable {
        public var deletedCount: Int64

        public init(deletedCount: Int64) {
            self.deletedCount = deletedCount
        }
    }

    /// The answer to `datasets/{id}/experiment-ids`.
    struct DatasetExperimentIDsResponse: Codable, Sendable {
        public var experimentIDs: [String]

        public init(experimentIDs: [String]) {
            self.experimentIDs = experimentIDs
        }
    }

    /// A registered scorer version as `scorers/list`, `get` and `versions` write it (`experiment_id` a number).
    struct Scorer: Codable, Sendable {
        public var experimentID: Int64
        public var scorerName: String
        public var scorerVersion: Int64
        public var serializedScorer: String
        public var creationTime: Int64
        public var scorerID: String?

        public init(_ s: RegisteredScorer) {
            experimentID = Int64(s.experimentID) ?? 0
            scorerName = s.name
            scorerVersion = Int64(s.version)
            serializedScorer = s.serialized
            creationTime = s.creationTime
            scorerID = s.scorerID
        }

        /// The scorer version as Assay keeps it.
        public var stored: RegisteredScorer {
            RegisteredScorer(
                experimentID: String(experimentID), name: scorerName, version: Int(scorerVersion), scorerID: scorerID ?? "",
                serialized: serializedScorer, creationTime: creationTime)
        }
    }

    /// `POST scorers/register`.
    struct RegisterScorer: Codable, Sendable {
        public var experimentID: String
        public var name: String
        public var serializedScorer: String

        public init(experimentID: String, name: String, serializedScorer: String) {
            self.experimentID = experimentID
            self.name = name
            self.serializedScorer = serializedScorer
        }
    }

    /// The answer to `scorers/register`.
    struct RegisterScorerResponse: Codable, Sendable {
        public var version: Int64
        public var scorerID: String
        public var experimentID: String
        public var name: String
        public var serializedScorer: String
        public var creationTime: Int64

        public init(_ s: RegisteredScorer) {
            version = Int64(s.version)
            scorerID = s.scorerID
            experimentID = s.experimentID
            name = s.name
            serializedScorer = s.serialized
            creationTime = s.creationTime
        }

        /// The registered version as Assay keeps it.
        public var stored: RegisteredScorer {
            RegisteredScorer(
                experimentID: experimentID, name: name, version: Int(version), scorerID: scorerID, serialized: serializedScorer,
                creationTime: creationTime)
        }
    }

    /// `scorers/list`, `versions`, `get` and `delete` name a scorer by experiment, name and maybe version.
    struct ScorerRequest: Codable, Sendable {
        public var experimentID: String
        public var name: String?
        public var version: Int64?

        public init(experimentID: String, name: String? = nil, version: Int64? = nil) {
            self.experimentID = experimentID
            self.name = name
            self.version = version
        }
    }

    /// The answers holding several scorer versions.
    struct ScorersResponse: Codable, Sendable {
        public var scorers: [Scorer]

        public init(scorers: [Scorer]) {
            self.scorers = scorers
        }
    }

    /// The answer to `scorers/get`.
    struct ScorerResponse: Codable, Sendable {
        public var scorer: Scorer

        public init(scorer: Scorer) {
            self.scorer = scorer
        }
    }

    /// `PUT scorers/online-config`.
    struct SetOnlineConfig: Codable, Sendable {
        public var experimentID: String
        public var name: String
        public var sampleRate: Double
        public var filterString: String?

        public init(experimentID: String, name: String, sampleRate: Double, filterString: String?) {
            self.experimentID = experimentID
            self.name = name
            self.sampleRate = sampleRate
            self.filterString = filterString
        }
    }

    /// One online scoring configuration, in plain JSON.
    struct OnlineConfig: Codable, Sendable {
        public var onlineScoringConfigID: String
        public var scorerID: String
        public var sampleRate: Double
        public var experimentID: String
        public var filterString: String?

        public init(_ c: OnlineScoringConfig) {
            onlineScoringConfigID = c.id
            scorerID = c.scorerID
            sampleRate = c.sampleRate
            experimentID = c.experimentID
            filterString = c.filter
        }

        /// The configuration as Assay keeps it.
        public var stored: OnlineScoringConfig {
            OnlineScoringConfig(
                id: onlineScoringConfigID, scorerID: scorerID, experimentID: experimentID, sampleRate: sampleRate, filter: filterString)
        }
    }

    /// The answer to `scorers/online-config`.
    struct OnlineConfigResponse: Codable, Sendable {
        public var config: OnlineConfig

        public init(config: OnlineConfig) {
            self.config = config
        }
    }

    /// `GET scorers/online-configs`.
    struct OnlineConfigsRequest: Codable, Sendable {
        public var scorerIDs: [String]

        public init(scorerIDs: [String]) {
            self.scorerIDs = scorerIDs
        }
    }

    /// The answer to `scorers/online-configs`: plain JSON whose `configs` the client reads even when empty.
    struct OnlineConfigsResponse: Codable, Sendable {
        public var configs: [OnlineConfig]

        public init(configs: [OnlineConfig]) {
            self.configs = configs
        }

        enum CodingKeys: String, CodingKey {
            case configs
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            // A nested list is written even when empty (protobuf JSON would leave an empty list out).
            var list = container.nestedUnkeyedContainer(forKey: .configs)
            for config in configs { try list.encode(config) }
        }
    }
}
