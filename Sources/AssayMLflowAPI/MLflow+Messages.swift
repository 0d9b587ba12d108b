public extension MLflow {
    // MARK: - Entities

    /// A param or a tag.
    struct KeyValue: Codable, Sendable, Equatable {
        public var key: String
        public var value: String?

        public init(key: String, value: String? = nil) {
            self.key = key
            self.value = value
        }
    }

    /// One logged value of a metric.
    struct Metric: Codable, Sendable {
        public var key: String
        public var value: Double
        public var timestamp: Int64
        public var step: Int64?
        /// MLflow 3: the logged model and dataset a value was measured for, and the run that logged it.
        public var modelID: String?
        public var datasetName: String?
        public var datasetDigest: String?
        public var runID: String?

        public init(
            key: String, value: Double, timestamp: Int64, step: Int64? = nil, modelID: String? = nil, datasetName: String? = nil,
            datasetDigest: String? = nil, runID: String? = nil
        ) {
            self.key = key
            self.value = value
            self.timestamp = timestamp
            self.step = step
            self.modelID = modelID
            self.datasetName = datasetName
            self.datasetDigest = datasetDigest
            self.runID = runID
        }
    }

    /// An experiment.
    struct Experiment: Codable, Sendable {
        public var experimentID: String
        public var name: String
        public var artifactLocation: String?
        public var lifecycleStage: String?
        public var creationTime: Int64?
        public var lastUpdateTime: Int64?
        public var tags: [KeyValue]

        public init(
            experimentID: String, name: String, artifactLocation: String? = nil, lifecycleStage: String? = nil, creationTime: Int64? = nil,
            lastUpdateTime: Int64? = nil, tags: [KeyValue] = []
        ) {
            self.experimentID = experimentID
            self.name = name
            self.artifactLocation = artifactLocation
            self.lifecycleStage = lifecycleStage
            self.creationTime = creationTime
            self.lastUpdateTime = lastUpdateTime
            self.tags = tags
        }
    }

    /// What identifies a run and where it stands.
    struct RunInfo: Codable, Sendable {
        public var runID: String?
        public var runUUID: String?
        public var experimentID: String?
        public var runName: String?
        public var userID: String?
        public var status: String?
        public var startTime: Int64?
        public var endTime: Int64?
        public var artifactURI: String?
        public var lifecycleStage: String?

        public init(
            runID: String? = nil, runUUID: String? = nil, experimentID: String? = nil, runName: String? = nil, userID: String? = nil,
            status: String? = nil, startTime: Int64? = nil, endTime: Int64? = nil, artifactURI: String? = nil, lifecycleStage: String? = nil
        ) {
            self.runID = runID
            self.runUUID = runUUID
            self.experimentID = experimentID
            self.runName = runName
            self.userID = userID
            self.status = status
            self.startTime = startTime
            self.endTime = endTime
            self.artifactURI = artifactURI
            self.lifecycleStage = lifecycleStage
        }
    }

    /// A run's latest metrics, params and tags.
    struct RunData: Codable, Sendable {
        public var metrics: [Metric]
        public var params: [KeyValue]
        public var tags: [KeyValue]

        public init(metrics: [Metric] = [], params: [KeyValue] = [], tags: [KeyValue] = []) {
            self.metrics = metrics
            self.params = params
            self.tags = tags
        }
    }

    /// A dataset as a run input records it.
    struct Dataset: Codable, Sendable {
        public var name: String
        public var digest: String
        public var sourceType: String
        public var source: String
        public var schema: String?
        public var profile: String?

        public init(name: String, digest: String, sourceType: String, source: String, schema: String? = nil, profile: String? = nil) {
            self.name = name
            self.digest = digest
            self.sourceType = sourceType
            self.source = source
            self.schema = schema
            self.profile = profile
        }
    }

    /// A dataset a run used, with its tags.
    struct DatasetInput: Codable, Sendable {
        public var tags: [KeyValue]
        public var dataset: Dataset

        public init(tags: [KeyValue] = [], dataset: Dataset) {
            self.tags = tags
            self.dataset = dataset
        }
    }

    /// The datasets a run used.
    struct RunInputs: Codable, Sendable {
        public var datasetInputs: [DatasetInput]
        public var modelInputs: [ModelInput]

        public init(datasetInputs: [DatasetInput] = [], modelInputs: [ModelInput] = []) {
            self.datasetInputs = datasetInputs
            self.modelInputs = modelInputs
        }
    }

    /// A logged model a run took as input.
    struct ModelInput: Codable, Sendable {
        public var modelID: String

        public init(modelID: String) {
            self.modelID = modelID
        }
    }

    /// A run.
    struct Run: Codable, Sendable {
        public var info: RunInfo
        public var data: RunData
        public var inputs: RunInputs?
        public var outputs: RunOutputs?

        public init(info: RunInfo, data: RunData = RunData(), inputs: RunInputs? = RunInputs(), outputs: RunOutputs? = RunOutputs()) {
            self.info = info
            self.data = data
            self.inputs = inputs
            self.outputs = outputs
        }
    }

    /// A file or folder of an artifact listing.
    struct FileInfo: Codable, Sendable, Equatable {
        public var path: String
        public var isDir: Bool?
        public var fileSize: Int64?

        public init(path: String, isDir: Bool? = nil, fileSize: Int64? = nil) {
            self.path = path
            self.isDir = isDir
            self.fileSize = fileSize
        }
    }

    // MARK: - Experiments

    /// `POST experiments/create`.
    struct CreateExperiment: Codable, Sendable {
        public var name: String
        public var artifactLocation: String?
        public var tags: [KeyValue]

        public init(name: String, artifactLocation: String? = nil, tags: [KeyValue] = []) {
            self.name = name
            self.artifactLocation = artifactLocation
            self.tags = tags
        }
    }

    /// The new experiment's id.
    struct CreateExperimentResponse: Codable, Sendable {
        public var experimentID: String

        public init(experimentID: String) {
            self.experimentID = experimentID
        }
    }

    /// `GET experiments/get`; also the body of `experiments/delete` and `experiments/restore`.
    struct GetExperiment: Codable, Sendable {
        public var experimentID: String

        public init(experimentID: String) {
            self.experimentID = experimentID
        }
    }

    /// `GET experiments/get-by-name`.
    struct GetExperimentByName: Codable, Sendable {
        public var experimentName: String

        public init(experimentName: String) {
            self.experimentName = experimentName
        }
    }

    /// One experiment.
    struct ExperimentResponse: Codable, Sendable {
        public var experiment: Experiment

        public init(experiment: Experiment) {
            self.experiment = experiment
        }
    }

    /// `POST experiments/search` (or GET).
    struct SearchExperiments: Codable, Sendable {
        public var maxResults: Int64?
        public var filter: String?
        public var orderBy: [String]
        public var pageToken: String?
        public var viewType: String?

        public init(
            maxResults: Int64? = nil, filter: String? = nil, orderBy: [String] = [], pageToken: String? = nil, viewType: String? = nil
        ) {
            self.maxResults = maxResults
            self.filter = filter
            self.orderBy = orderBy
            self.pageToken = pageToken
            self.viewType = viewType
        }
    }

    /// A page of experiments.
    struct SearchExperimentsResponse: Codable, Sendable {
        public var experiments: [Experiment]
        public var nextPageToken: String?

        public init(experiments: [Experiment] = [], nextPageToken: String? = nil) {
            self.experiments = experiments
            self.nextPageToken = nextPageToken
        }
    }

    /// `POST experiments/update`.
    struct UpdateExperiment: Codable, Sendable {
        public var experimentID: String
        public var newName: String?

        public init(experimentID: String, newName: String? = nil) {
            self.experimentID = experimentID
            self.newName = newName
        }
    }

    /// `POST experiments/set-experiment-tag`.
    struct SetExperimentTag: Codable, Sendable {
        public var experimentID: String
        public var key: String
        public var value: String?

        public init(experimentID: String, key: String, value: String? = nil) {
            self.experimentID = experimentID
            self.key = key
            self.value = value
        }
    }

    // MARK: - Runs

    /// `POST runs/create`.
    struct CreateRun: Codable, Sendable {
        public var experimentID: String?
        public var userID: String?
        public var runName: String?
        public var startTime: Int64?
        public var tags: [KeyValue]

        public init(
            experimentID: String? = nil, userID: String? = nil, runName: String? = nil, startTime: Int64? = nil, tags: [KeyValue] = []
        ) {
            self.experimentID = experimentID
            self.userID = userID
            self.runName = runName
            self.startTime = startTime
            self.tags = tags
        }
    }

    /// One run.
    struct RunResponse: Codable, Sendable {
        public var run: Run

        public init(run: Run) {
            self.run = run
        }
    }

    /// A request about one run by id: `runs/get`, `runs/delete`, `runs/restore`. Clients send `run_id`, older ones `run_uuid`.
    struct RunRequest: Codable, Sendable {
        public var runID: String?
        public var runUUID: String?

        public init(runID: String? = nil, runUUID: String? = nil) {
            self.runID = runID
            self.runUUID = runUUID
        }
    }

    /// `POST runs/update`.
    struct UpdateRun: Codable, Sendable {
        public var runID: String?
        public var runUUID: String?
        public var status: String?
        public var endTime: Int64?
        public var runName: String?

        public init(runID: String? = nil, runUUID: String? = nil, status: String? = nil, endTime: Int64? = nil, runName: String? = nil) {
            self.runID = runID
            self.runUUID = runUUID
            self.status = status
            self.endTime = endTime
            self.runName = runName
        }
    }

    /// The run's info after the update.
    struct UpdateRunResponse: Codable, Sendable {
        public var runInfo: RunInfo

        public init(runInfo: RunInfo) {
            self.runInfo = runInfo
        }
    }

    /// `POST runs/search`.
    struct SearchRuns: Codable, Sendable {
        public var experimentIDs: [String]
        public var filter: String?
        public var runViewType: String?
        public var maxResults: Int64?
        public var orderBy: [String]
        public var pageToken: String?

        public init(
            experimentIDs: [String] = [], filter: String? = nil, runViewType: String? = nil, maxResults: Int64? = nil,
            orderBy: [String] = [], pageToken: String? = nil
        ) {
            self.experimentIDs = experimentIDs
            self.filter = filter
            self.runViewType = runViewType
            self.maxResults = maxResults
            self.orderBy = orderBy
            self.pageToken = pageToken
        }
    }

    /// A page of runs.
    struct SearchRunsResponse: Codable, Sendable {
        public var runs: [Run]
        public var nextPageToken: String?

        public init(runs: [Run] = [], nextPageToken: String? = nil) {
            self.runs = runs
            self.nextPageToken = nextPageToken
        }
    }

    // MARK: - Logging

    /// `POST runs/log-metric`.
    struct LogMetric: Codable, Sendable {
        public var runID: String?
        public var runUUID: String?
        public var key: String
        public var value: Double
        public var timestamp: Int64
        public var step: Int64?
        public var modelID: String?
        public var datasetName: String?
        public var datasetDigest: String?

        public init(
            runID: String? = nil, runUUID: String? = nil, key: String, value: Double, timestamp: Int64, step: Int64? = nil,
            modelID: String? = nil, datasetName: String? = nil, datasetDigest: String? = nil
        ) {
            self.runID = runID
            self.runUUID = runUUID
            self.key = key
            self.value = value
            self.timestamp = timestamp
            self.step = step
            self.modelID = modelID
            self.datasetName = datasetName
            self.datasetDigest = datasetDigest
        }
    }

    /// A param or tag of one run: `runs/log-parameter`, `runs/set-tag`, `runs/delete-tag`.
    struct RunKeyValue: Codable, Sendable {
        public var runID: String?
        public var runUUID: String?
        public var key: String
        public var value: String?

        public init(runID: String? = nil, runUUID: String? = nil, key: String, value: String? = nil) {
            self.runID = runID
            self.runUUID = runUUID
            self.key = key
            self.value = value
        }
    }

    /// `POST runs/log-batch`.
    struct LogBatch: Codable, Sendable {
        public var runID: String?
        public var metrics: [Metric]
        public var params: [KeyValue]
        public var tags: [KeyValue]

        public init(runID: String? = nil, metrics: [Metric] = [], params: [KeyValue] = [], tags: [KeyValue] = []) {
            self.runID = runID
            self.metrics = metrics
            self.params = params
            self.tags = tags
        }
    }

    /// `POST runs/log-inputs`.
    struct LogInputs: Codable, Sendable {
        public var runID: String?
        public var datasets: [DatasetInput]
        public var models: [ModelInput]

        public init(runID: String? = nil, datasets: [DatasetInput] = [], models: [ModelInput] = []) {
            self.runID = runID
            self.datasets = datasets
            self.models = models
        }
    }

    /// `GET metrics/get-history`.
    struct GetMetricHistory: Codable, Sendable {
        public var runID: String?
        public var runUUID: String?
        public var metricKey: String
        public var pageToken: String?
        public var maxResults: Int64?

        public init(runID: String? = nil, runUUID: String? = nil, metricKey: String, pageToken: String? = nil, maxResults: Int64? = nil) {
            self.runID = runID
            self.runUUID = runUUID
            self.metricKey = metricKey
            self.pageToken = pageToken
            self.maxResults = maxResults
        }
    }

    /// A page of a metric's history.
    struct MetricHistoryResponse: Codable, Sendable {
        public var metrics: [Metric]
        public var nextPageToken: String?

        public init(metrics: [Metric] = [], nextPageToken: String? = nil) {
            self.metrics = metrics
            self.nextPageToken = nextPageToken
        }
    }

    // MARK: - Artifacts

    /// `GET artifacts/list`, the run-scoped listing.
    struct ListArtifacts: Codable, Sendable {
        public var runID: String?
        public var runUUID: String?
        public var path: String?

        public init(runID: String? = nil, runUUID: String? = nil, path: String? = nil) {
            self.runID = runID
            self.runUUID = runUUID
            self.path = path
        }
    }

    /// A listing: the run-scoped one names its root, the artifact proxy's does not.
    struct ListArtifactsResponse: Codable, Sendable {
        public var rootURI: String?
        public var files: [FileInfo]

        public init(rootURI: String? = nil, files: [FileInfo] = []) {
            self.rootURI = rootURI
            self.files = files
        }
    }
}
