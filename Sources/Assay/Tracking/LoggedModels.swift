import Foundation

/// A model logged to an experiment, as MLflow 3 records one (`mlflow.openai.log_model`,
/// `mlflow.pyfunc.log_model`, `mlflow.set_active_model`): an id `m-<32 hex>`, a name, a status, where its
/// files are, the run that logged it, and its tags and params. Its files (an `MLmodel`, the flavour's
/// configuration) live in the artifact store under ``artifactLocation``.
public struct LoggedModel: Sendable, Equatable {
    public var id: String
    public var experimentID: String
    public var name: String
    /// `<experiment artifact location>/models/<id>/artifacts`.
    public var artifactLocation: String
    public var status: LoggedModelStatus
    public var statusMessage: String
    /// Milliseconds since 1970.
    public var creationTime: Int64
    public var lastUpdatedTime: Int64
    public var sourceRunID: String?
    public var modelType: String?
    public var tags: [KeyValue]
    public var params: [KeyValue]
    /// The values runs logged for this model (`log_metric(..., model_id=)`), each with its run and
    /// dataset, oldest first.
    public var metrics: [MetricPoint]

    public init(
        id: String, experimentID: String, name: String, artifactLocation: String, status: LoggedModelStatus = .pending,
        statusMessage: String = "", creationTime: Int64, lastUpdatedTime: Int64, sourceRunID: String? = nil, modelType: String? = nil,
        tags: [KeyValue] = [], params: [KeyValue] = [], metrics: [MetricPoint] = []
    ) {
        self.id = id
        self.experimentID = experimentID
        self.name = name
        self.artifactLocation = artifactLocation
        self.status = status
        self.statusMessage = statusMessage
        self.creationTime = creationTime
        self.lastUpdatedTime = lastUpdatedTime
        self.sourceRunID = sourceRunID
        self.modelType = modelType
        self.tags = tags
        self.params = params
        self.metrics = metrics
    }

    /// `models:/<id>`, how clients name the model.
    public var uri: String { "models:/\(id)" }

    /// A new model of an active experiment, as every store creates one: a fresh id, status PENDING, files
    /// under the experiment's artifact location.
    public static func new(
        in experiment: Experiment, name: String, sourceRunID: String?, modelType: String?, tags: [KeyValue], params: [KeyValue]
    ) throws(AssayError) -> LoggedModel {
        guard experiment.lifecycleStage == .active else {
            throw .invalidInput("experiment \(experiment.id) is deleted; restore it before logging models to it")
        }
        let id = "m-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let now = MetricPoint.now()
        return LoggedModel(
            id: id, experimentID: experiment.id, name: name, artifactLocation: "\(experiment.artifactLocation)/models/\(id)/artifacts",
            creationTime: now, lastUpdatedTime: now, sourceRunID: sourceRunID, modelType: modelType, tags: tags, params: params)
    }
}

/// Where a logged model stands: its files are being written, ready, or writing them failed.
public enum LoggedModelStatus: String, Sendable, CaseIterable {
    case unspecified = "LOGGED_MODEL_STATUS_UNSPECIFIED"
    case pending = "LOGGED_MODEL_PENDING"
    case ready = "LOGGED_MODEL_READY"
    case failed = "LOGGED_MODEL_UPLOAD_FAILED"
}

/// A model a run produced, at a step (MLflow's run outputs).
public struct RunModelOutput: Sendable, Equatable {
    public var modelID: String
    public var step: Int64

    public init(modelID: String, step: Int64 = 0) {
        self.modelID = modelID
        self.step = step
    }
}

/// What a logged-model search asks for: experiments, an optional filter (`name = 'my-agent'`,
/// `status = 'LOGGED_MODEL_READY'`, `tags.team = 'nlp'`, `params.temperature = '0.1'`,
/// `source_run_id = '…'`), and a page.
public struct LoggedModelQuery: Sendable {
    public var experimentIDs: [String]
    public var filter: SearchFilter
    /// Attributes (`name`, `creation_timestamp`, …) or metrics (`metrics.accuracy`) to order by before
    /// the default newest first.
    public var orderBy: [(key: String, ascending: Bool)]
    /// Datasets the models must have metrics on (any of them); metric filters and orderings then look
    /// only at the values measured on these datasets.
    public var datasets: [DatasetFilter]
    public var maxResults: Int
    public var offset: Int

    /// A dataset by name, and by digest when one is given.
    public struct DatasetFilter: Sendable, Equatable {
        public var name: String
        public var digest: String?

        public init(name: String, digest: String? = nil) {
            self.name = name
            self.digest = digest
        }

        /// Whether a metric value was measured on this dataset.
        public func covers(_ point: MetricPoint) -> Bool {
            point.datasetName == name && (digest == nil || point.datasetDigest == digest)
        }
    }

    public init(
        experimentIDs: [String], filter: SearchFilter = SearchFilter(), orderBy: [(key: String, ascending: Bool)] = [],
        datasets: [DatasetFilter] = [], maxResults: Int = 100, offset: Int = 0
    ) {
        self.experimentIDs = experimentIDs
        self.filter = filter
        self.orderBy = orderBy
        self.datasets = datasets
        self.maxResults = maxResults
        self.offset = offset
    }

    /// Whether `model` passes the query's filter and dataset clause.
    public func matches(_ model: LoggedModel) -> Bool {
        if !datasets.isEmpty, !model.metrics.contains(where: { point in datasets.contains { $0.covers(point) } }) { return false }
        return filter.matches(model.filterValues(datasets: datasets))
    }

    /// The models that pass, in the query's order, then newest first.
    public func ordered(_ models: [LoggedModel]) -> [LoggedModel] {
        SearchFilter.ordered(models.filter(matches), by: orderBy + [("creation_timestamp", false), ("model_id", true)]) {
            $0.filterValues(datasets: datasets)
        }
    }
}

extension LoggedModel {
    /// The values a logged-model filter compares: attributes bare, tags and params by `tags.` and
    /// `params.`, metrics by `metrics.` (each key's latest value).
    public var filterValues: [String: DataValue] { filterValues(datasets: []) }

    /// The filter values, with metrics measured on one of `datasets` only (on any when none are given).
    public func filterValues(datasets: [LoggedModelQuery.DatasetFilter]) -> [String: DataValue] {
        var values: [String: DataValue] = [
            "model_id": .string(id), "name": .string(name), "status": .string(status.rawValue),
            "creation_timestamp": .int(Int(creationTime)), "last_updated_timestamp": .int(Int(lastUpdatedTime)),
            "experiment_id": .string(experimentID),
        ]
        if let sourceRunID { values["source_run_id"] = .string(sourceRunID) }
        if let modelType { values["model_type"] = .string(modelType) }
        for tag in tags { values["tags." + tag.key] = .string(tag.value) }
        for param in params { values["params." + param.key] = .string(param.value) }
        var latest: [String: MetricPoint] = [:]
        for point in metrics where datasets.isEmpty || datasets.contains(where: { $0.covers(point) }) {
            if let current = latest[point.key], (current.timestamp, current.step) > (point.timestamp, point.step) { continue }
            latest[point.key] = point
        }
        for (key, point) in latest { values["metrics." + key] = .double(point.value) }
        return values
    }
}

/// Stores that also keep logged models and the models each run produced.
///
/// ```swift
/// let model = try await store.createLoggedModel(in: "1", name: "agent", sourceRunID: run.id)
/// try await store.setLoggedModelStatus(id: model.id, .ready)
/// ```
public protocol LoggedModelStore: TrackingStore {
    /// Records a new model (status PENDING) in an active experiment.
    func createLoggedModel(
        in experimentID: String, name: String, sourceRunID: String?, modelType: String?, tags: [KeyValue], params: [KeyValue]
    ) async throws(AssayError) -> LoggedModel
    /// The model with this id; `notFound` when there is none (or it was deleted).
    func loggedModel(id: String) async throws(AssayError) -> LoggedModel
    /// One page of the models a query matches, newest first.
    func searchLoggedModels(_ query: LoggedModelQuery) async throws(AssayError) -> SearchPage<LoggedModel>
    /// Sets a model's status (READY once its files are written), and its message.
    func setLoggedModelStatus(id: String, _ status: LoggedModelStatus, message: String?) async throws(AssayError) -> LoggedModel
    /// Sets (or overwrites) a model's tags.
    func setLoggedModelTags(id: String, _ tags: [KeyValue]) async throws(AssayError)
    /// Deletes a model tag; `notFound` when the model has no such tag.
    func deleteLoggedModelTag(id: String, key: String) async throws(AssayError)
    /// Adds params to a model; params are immutable, as a run's are.
    func logLoggedModelParams(id: String, _ params: [KeyValue]) async throws(AssayError)
    /// Deletes a model (its record; its files stay where they are).
    func deleteLoggedModel(id: String) async throws(AssayError)
    /// Records models a run produced.
    func logOutputs(run id: String, models: [RunModelOutput]) async throws(AssayError)
    /// The models a run produced, in the order logged.
    func outputs(run id: String) async throws(AssayError) -> [RunModelOutput]
    /// Records models a run took as inputs (MLflow's `log_inputs(models=…)`); each is kept once.
    func logModelInputs(run id: String, modelIDs: [String]) async throws(AssayError)
}
