import Foundation

/// Where evaluations are kept as runs: experiments, runs, parameters, metrics with their history,
/// tags and dataset inputs, in MLflow's data model so that an MLflow-compatible server can serve them.
///
/// Backends implement it over a database (`SQLiteTrackingStore` in AssayStoreSQLite); callers use
/// the conveniences of the extension (`logMetric`, `setTag`, ...).
///
/// ```swift
/// let experiment = try await store.createExperiment(named: "llm-eval-demo")
/// let run = try await store.createRun(in: experiment.id, named: "baseline")
/// try await store.logBatch(run: run.id, metrics: [MetricPoint(key: "exact_match/v1", value: 0.5)])
/// ```
public protocol TrackingStore: Sendable {
    /// Creates an experiment; a name already in use is an `alreadyExists` error.
    func createExperiment(named name: String, artifactLocation: String?, tags: [KeyValue]) async throws(AssayError) -> Experiment
    /// The experiment with this id; `notFound` when there is none.
    func experiment(id: String) async throws(AssayError) -> Experiment
    /// The experiment with this name, or nil.
    func experiment(named name: String) async throws(AssayError) -> Experiment?
    /// One page of the experiments a query matches, newest first unless it orders them otherwise.
    func searchExperiments(_ query: ExperimentQuery) async throws(AssayError) -> SearchPage<Experiment>
    /// For each experiment with active runs: how many, and when the latest one started.
    func experimentActivity() async throws(AssayError) -> [String: ExperimentActivity]
    /// Renames an experiment.
    func renameExperiment(id: String, to name: String) async throws(AssayError)
    /// Marks an experiment deleted or active again.
    func setExperimentLifecycle(id: String, _ stage: LifecycleStage) async throws(AssayError)
    /// Sets (or overwrites) an experiment tag.
    func setExperimentTag(id: String, _ tag: KeyValue) async throws(AssayError)
    /// Deletes an experiment tag; `notFound` when the experiment has no such tag.
    func deleteExperimentTag(id: String, key: String) async throws(AssayError)

    /// Creates a run; without a name the store makes one up.
    func createRun(
        in experimentID: String, named name: String?, startTime: Int64, userID: String?, tags: [KeyValue]
    )
        async throws(AssayError) -> RunInfo
    /// The run with its latest metrics, params, tags and inputs; `notFound` when there is none.
    func run(id: String) async throws(AssayError) -> Run
    /// Updates a run's status, end time or name.
    func updateRun(id: String, status: RunStatus?, endTime: Int64?, name: String?) async throws(AssayError) -> RunInfo
    /// Marks a run deleted or active again.
    func setRunLifecycle(id: String, _ stage: LifecycleStage) async throws(AssayError)
    /// One page of the runs a query matches (with their latest metrics, params, tags and inputs),
    /// ordered by its `orderBy`, then newest first, then by id.
    func searchRuns(_ query: RunQuery) async throws(AssayError) -> SearchPage<Run>

    /// Logs metrics, params and tags at once. Params are immutable: a different value for a logged
    /// key is an `invalidInput` error and nothing of the batch is kept.
    func logBatch(run id: String, metrics: [MetricPoint], params: [KeyValue], tags: [KeyValue]) async throws(AssayError)
    /// Deletes a run tag.
    func deleteTag(run id: String, key: String) async throws(AssayError)
    /// Every logged point of a metric, ordered by timestamp, step and value.
    func metricHistory(run id: String, key: String) async throws(AssayError) -> [MetricPoint]
    /// Records the datasets a run used.
    func logInputs(run id: String, datasets: [DatasetInput]) async throws(AssayError)
}

extension TrackingStore {
    /// Every experiment in the given lifecycle view, newest first.
    public func experiments(view: LifecycleView) async throws(AssayError) -> [Experiment] {
        var all: [Experiment] = []
        var query = ExperimentQuery(view: view, maxResults: 50_000)
        while true {
            let page = try await searchExperiments(query)
            all += page.items
            guard let token = page.nextPageToken else { return all }
            query.offset = try PageToken.offset(token)
        }
    }

    /// The run whose id is `prefix` or begins with it, in any experiment; `notFound` when none does,
    /// `invalidInput` when several do.
    public func run(idPrefix prefix: String) async throws(AssayError) -> Run {
        guard !prefix.isEmpty, prefix.allSatisfy(\.isHexDigit) else {
            throw AssayError(.notFound, "'\(prefix)' is not a run id (32 hexadecimal digits, or the first few of them)")
        }
        let experiments = try await self.experiments(view: .all).map(\.id)
        let filter = try SearchFilter("attributes.run_id LIKE '\(prefix.lowercased())%'", for: .runs)
        let page = try await searchRuns(RunQuery(experimentIDs: experiments, filter: filter, view: .all, maxResults: 2))
        switch page.items.count {
        case 0: throw AssayError(.notFound, "no run with id '\(prefix)'")
        case 1: return page.items[0]
        default: throw .invalidInput("'\(prefix)' matches several runs; give more of the id")
        }
    }

    /// The run a person names: its id, a unique prefix of it, or its name (the newest active run of that
    /// name, in any experiment).
    public func run(named text: String) async throws(AssayError) -> Run {
        if !text.isEmpty, text.allSatisfy(\.isHexDigit) {
            do {
                return try await run(idPrefix: text)
            } catch  where error.kind == .notFound {
                // A run may be named with hexadecimal digits alone ("cafe"): try the name too.
            }
        }
        let experiments = try await self.experiments(view: .activeOnly).map(\.id)
        let filter = try SearchFilter("attributes.run_name = \(SearchFilter.quote(text))", for: .runs)
        let page = try await searchRuns(RunQuery(experimentIDs: experiments, filter: filter, view: .activeOnly, maxResults: 1))
        guard let found = page.items.first else {
            throw AssayError(.notFound, "no run with id or name '\(text)'")
        }
        return found
    }

    /// Every run of the experiments in the given lifecycle view, newest first.
    public func runs(in experimentIDs: [String], view: LifecycleView) async throws(AssayError) -> [RunInfo] {
        var all: [RunInfo] = []
        var query = RunQuery(experimentIDs: experimentIDs, view: view, maxResults: 50_000)
        while true {
            let page = try await searchRuns(query)
            all += page.items.map(\.info)
            guard let token = page.nextPageToken else { return all }
            query.offset = try PageToken.offset(token)
        }
    }

    /// Logs one metric point.
    public func logMetric(run id: String, _ point: MetricPoint) async throws(AssayError) {
        try await logBatch(run: id, metrics: [point], params: [], tags: [])
    }

    /// Logs one parameter.
    public func logParam(run id: String, _ param: KeyValue) async throws(AssayError) {
        try await logBatch(run: id, metrics: [], params: [param], tags: [])
    }

    /// Sets (or overwrites) one run tag.
    public func setTag(run id: String, _ tag: KeyValue) async throws(AssayError) {
        try await logBatch(run: id, metrics: [], params: [], tags: [tag])
    }
}

/// How busy an experiment is: its active runs and the start of the latest.
public struct ExperimentActivity: Sendable, Equatable {
    public var runCount: Int
    /// Milliseconds since 1970.
    public var lastStartTime: Int64

    public init(runCount: Int, lastStartTime: Int64) {
        self.runCount = runCount
        self.lastStartTime = lastStartTime
    }
}

/// A key and a string value: a param or a tag.
public struct KeyValue: Sendable, Hashable {
    public var key: String
    public var value: String

    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

/// Whether an experiment or run is in use or in the bin.
public enum LifecycleStage: String, Sendable {
    case active, deleted
}

/// Which lifecycle stages a listing includes (MLflow's `view_type`).
public enum LifecycleView: Sendable {
    case activeOnly, deletedOnly, all

    func includes(_ stage: LifecycleStage) -> Bool {
        switch self {
        case .activeOnly: stage == .active
        case .deletedOnly: stage == .deleted
        case .all: true
        }
    }

    /// The lifecycle stages the view includes, as stored strings.
    public var stages: [String] {
        [LifecycleStage.active, .deleted].filter(includes).map(\.rawValue)
    }
}

/// A run's status.
public enum RunStatus: String, Sendable, CaseIterable {
    case running = "RUNNING", scheduled = "SCHEDULED", finished = "FINISHED", failed = "FAILED", killed = "KILLED"
}

/// An experiment: a named group of runs.
public struct Experiment: Sendable, Equatable {
    /// The id, a decimal string (`"0"` is the Default experiment).
    public var id: String
    public var name: String
    /// Where the runs' artifacts go, such as `mlflow-artifacts:/1`.
    public var artifactLocation: String
    public var lifecycleStage: LifecycleStage
    /// Milliseconds since 1970.
    public var creationTime: Int64
    public var lastUpdateTime: Int64
    public var tags: [KeyValue]

    public init(
        id: String, name: String, artifactLocation: String, lifecycleStage: LifecycleStage, creationTime: Int64,
        lastUpdateTime: Int64, tags: [KeyValue]
    ) {
        self.id = id
        self.name = name
        self.artifactLocation = artifactLocation
        self.lifecycleStage = lifecycleStage
        self.creationTime = creationTime
        self.lastUpdateTime = lastUpdateTime
        self.tags = tags
    }
}

/// What identifies a run and where it stands.
public struct RunInfo: Sendable, Equatable {
    /// 32 hexadecimal characters.
    public var id: String
    public var experimentID: String
    public var name: String
    public var userID: String
    public var status: RunStatus
    /// Milliseconds since 1970.
    public var startTime: Int64
    public var endTime: Int64?
    /// `<experiment artifact location>/<run id>/artifacts`.
    public var artifactURI: String
    public var lifecycleStage: LifecycleStage

    public init(
        id: String, experimentID: String, name: String, userID: String, status: RunStatus, startTime: Int64,
        endTime: Int64?, artifactURI: String, lifecycleStage: LifecycleStage
    ) {
        self.id = id
        self.experimentID = experimentID
        self.name = name
        self.userID = userID
        self.status = status
        self.startTime = startTime
        self.endTime = endTime
        self.artifactURI = artifactURI
        self.lifecycleStage = lifecycleStage
    }
}

extension RunInfo {
    /// A new run of an active experiment, as every store creates one: a 32-hex id, the given name (or
    /// the `mlflow.runName` tag, or a made-up one), status RUNNING, artifacts under the experiment's
    /// location; and the tags to store with it, `mlflow.runName` included.
    public static func new(
        in experiment: Experiment, named name: String?, startTime: Int64, userID: String?, tags: [KeyValue]
    ) throws(AssayError) -> (RunInfo, [KeyValue]) {
        guard experiment.lifecycleStage == .active else {
            throw .invalidInput("experiment \(experiment.id) is deleted; restore it before adding runs")
        }
        let id = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let runName = name ?? tags.first { $0.key == "mlflow.runName" }?.value ?? RunNames.make(seed: id)
        let user = userID ?? tags.first { $0.key == "mlflow.user" }?.value ?? ""
        let info = RunInfo(
            id: id, experimentID: experiment.id, name: runName, userID: user, status: .running, startTime: startTime,
            endTime: nil, artifactURI: "\(experiment.artifactLocation)/\(id)/artifacts", lifecycleStage: .active)
        return (info, tags.filter { $0.key != "mlflow.runName" } + [KeyValue("mlflow.runName", runName)])
    }
}

/// One logged value of a metric. NaN and ±infinity are kept as logged.
///
/// A value logged for a logged model (MLflow 3's `log_metric(..., model_id=)`) names the model, and
/// may name the dataset it was measured on; such a value belongs to the run and to the model.
public struct MetricPoint: Sendable, Equatable {
    public var key: String
    public var value: Double
    /// Milliseconds since 1970.
    public var timestamp: Int64
    public var step: Int64
    /// The logged model the value was measured for, if any.
    public var modelID: String?
    /// The dataset the value was measured on, by name and digest, if given.
    public var datasetName: String?
    public var datasetDigest: String?
    /// The run that logged the value, where it is read apart from its run (a logged model's metrics).
    public var runID: String?

    public init(
        key: String, value: Double, timestamp: Int64 = MetricPoint.now(), step: Int64 = 0, modelID: String? = nil,
        datasetName: String? = nil, datasetDigest: String? = nil, runID: String? = nil
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

    /// Milliseconds since 1970, now.
    public static func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }

    public static func == (a: MetricPoint, b: MetricPoint) -> Bool {
        a.key == b.key && a.timestamp == b.timestamp && a.step == b.step
            && (a.value == b.value || (a.value.isNaN && b.value.isNaN))
    }
}

/// A dataset a run used, as MLflow records it (`source`, `schema` and `profile` are JSON strings).
public struct DatasetInput: Sendable, Equatable {
    public var name: String
    public var digest: String
    public var sourceType: String
    public var source: String
    public var schema: String?
    public var profile: String?
    public var tags: [KeyValue]

    public init(
        name: String, digest: String, sourceType: String, source: String, schema: String? = nil, profile: String? = nil,
        tags: [KeyValue] = []
    ) {
        self.name = name
        self.digest = digest
        self.sourceType = sourceType
        self.source = source
        self.schema = schema
        self.profile = profile
        self.tags = tags
    }
}

/// A run: its info, latest metrics (one per key: the greatest by step, timestamp, value), params, tags,
/// dataset inputs and the models it logged.
public struct Run: Sendable, Equatable {
    public var info: RunInfo
    public var metrics: [MetricPoint]
    public var params: [KeyValue]
    public var tags: [KeyValue]
    public var inputs: [DatasetInput]
    /// The logged models the run produced (stores without logged models leave it empty).
    public var modelOutputs: [RunModelOutput] = []
    /// The ids of the logged models the run took as inputs (an evaluation of `models:/m-…`), in the order logged.
    public var modelInputs: [String] = []

    public init(info: RunInfo, metrics: [MetricPoint], params: [KeyValue], tags: [KeyValue], inputs: [DatasetInput]) {
        self.info = info
        self.metrics = metrics
        self.params = params
        self.tags = tags
        self.inputs = inputs
    }
}

/// Readable run names, made up when a run is created without one ("brave-otter-412").
public enum RunNames {
    static let adjectives = [
        "amber", "bold", "brave", "bright", "calm", "clever", "crisp", "eager", "gentle", "honest", "keen", "lively",
        "lucid", "merry", "nimble", "patient", "quiet", "rapid", "steady", "sunny", "tidy", "vivid", "warm", "wise",
    ]
    static let nouns = [
        "badger", "beacon", "comet", "falcon", "fern", "harbor", "heron", "lantern", "maple", "meadow", "otter", "pebble",
        "quartz", "raven", "river", "sparrow", "spruce", "summit", "thistle", "tide", "walnut", "willow", "wren", "yarrow",
    ]

    /// A name derived from a seed (the run id), so it is stable for the run.
    public static func make(seed: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in seed.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        let adjective = adjectives[Int(hash % UInt64(adjectives.count))]
        let noun = nouns[Int((hash / 31) % UInt64(nouns.count))]
        return "\(adjective)-\(noun)-\(Int((hash / 997) % 1000))"
    }
}

/// Stores that can forget a run for good (`assay gc`), as MLflow's `mlflow gc` does with runs in the
/// bin: its params, tags, metrics, inputs and outputs go with it.
public protocol PurgingStore: TrackingStore {
    /// Deletes a run that is in the bin (`lifecycle_stage` deleted) and everything logged to it; an
    /// active run is an `invalidInput` error, an unknown one `notFound`.
    func purgeRun(id: String) async throws(AssayError)
}
