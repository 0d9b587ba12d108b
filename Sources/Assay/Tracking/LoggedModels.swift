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

    public init(
        id: String, experimentID: String, name: String, artifactLocation: String, status: LoggedModelStatus = .pending,
        statusMessage: String = "", creationTime: Int64, lastUpdatedTime: Int64, sourceRunID: String? = nil, modelType: String? = nil,
        tags: [KeyValue] = [], params: [KeyValue] = []
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
    /// Attributes (`name`, `creation_timestamp`, …) to order by before the default newest first.
    public var orderBy: [(key: String, ascending: Bool)]
    public var maxResults: Int
    public var offset: Int

    public init(
        experimentIDs: [String], filter: SearchFilter = SearchFilter(), orderBy: [(key: String, ascending: Bool)] = [],
        maxResults: Int = 100, offset: Int = 0
    ) {
        self.experimentIDs = experimentIDs
        self.filter = filter
        self.orderBy = orderBy
        self.maxResults = maxResults
        self.offset = offset
    }
}

extension LoggedModel {
    /// The values a logged-model filter compares: attributes bare, tags and params by `tags.` and `params.`.
    public var filterValues: [String: DataValue] {
        var values: [String: DataValue] = [
            "model_id": .string(id), "name": .string(name), "status": .string(status.rawValue),
            "creation_timestamp": .int(Int(creationTime)), "last_updated_timestamp": .int(Int(lastUpdatedTime)),
            "experiment_id": .string(experimentID),
        ]
        if let sourceRunID { values["source_run_id"] = .string(sourceRunID) }
        if let modelType { values["model_type"] = .string(modelType) }
        for tag in tags { values["tags." + tag.key] = .string(tag.value) }
        for param in params { values["params." + param.key] = .string(param.value) }
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
