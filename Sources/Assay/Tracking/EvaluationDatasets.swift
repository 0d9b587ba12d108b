import Foundation

/// A named, versionless set of evaluation records kept in the tracking store (MLflow 3's
/// `mlflow.genai.datasets`): each record has inputs, expectations (the answers wanted) and tags, and
/// records are merged by their inputs. `assay evaluate --dataset d-…` (or its name) evaluates one.
public struct EvaluationDataset: Sendable, Equatable {
    /// `d-<32 hex>`.
    public var id: String
    public var name: String
    public var tags: [String: String]
    /// The fields the records have, as JSON (`{"inputs": {"question": "string"}, "expectations": {…}}`).
    public var schema: String?
    /// Figures about the records, as JSON (`{"num_records": 3}`).
    public var profile: String?
    /// Changes whenever the records do.
    public var digest: String
    /// Milliseconds since 1970.
    public var createdTime: Int64
    public var lastUpdateTime: Int64
    public var createdBy: String?
    public var lastUpdatedBy: String?
    public var experimentIDs: [String]

    public init(
        id: String, name: String, tags: [String: String] = [:], schema: String? = nil, profile: String? = nil, digest: String = "",
        createdTime: Int64, lastUpdateTime: Int64, createdBy: String? = nil, lastUpdatedBy: String? = nil, experimentIDs: [String] = []
    ) {
        self.id = id
        self.name = name
        self.tags = tags
        self.schema = schema
        self.profile = profile
        self.digest = digest
        self.createdTime = createdTime
        self.lastUpdateTime = lastUpdateTime
        self.createdBy = createdBy
        self.lastUpdatedBy = lastUpdatedBy
        self.experimentIDs = experimentIDs
    }

    /// A new id: `d-` and 32 hexadecimal digits.
    public static func newID() -> String {
        "d-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// The values a dataset filter compares: `name`, `dataset_id`, `created_by`, `last_updated_by`,
    /// `digest`, `created_time`, `last_update_time`, and `tags.KEY`.
    public var filterValues: [String: DataValue] {
        var values: [String: DataValue] = [
            "name": .string(name), "dataset_id": .string(id), "digest": .string(digest), "created_time": .int(Int(createdTime)),
            "last_update_time": .int(Int(lastUpdateTime)),
        ]
        if let createdBy { values["created_by"] = .string(createdBy) }
        if let lastUpdatedBy { values["last_updated_by"] = .string(lastUpdatedBy) }
        for (key, value) in tags { values["tags." + key] = .string(value) }
        return values
    }
}

/// One record of an evaluation dataset.
public struct EvaluationRecord: Sendable, Equatable {
    /// `dr-<32 hex>`; empty until stored.
    public var id: String
    public var datasetID: String
    /// What the application is asked, as a JSON object (`{"question": "…"}`).
    public var inputs: DataValue
    /// What it should answer or do (`{"expected_response": "…"}`).
    public var expectations: DataValue?
    public var outputs: DataValue?
    public var tags: [String: String]
    /// Where the record came from (`{"source_type": "HUMAN", "source_data": {…}}`).
    public var source: DataValue?
    public var sourceID: String?
    public var sourceType: String?
    public var createdTime: Int64
    public var lastUpdateTime: Int64
    public var createdBy: String?
    public var lastUpdatedBy: String?

    public init(
        id: String = "", datasetID: String, inputs: DataValue, expectations: DataValue? = nil, outputs: DataValue? = nil,
        tags: [String: String] = [:], source: DataValue? = nil, sourceID: String? = nil, sourceType: String? = nil,
        createdTime: Int64 = MetricPoint.now(), lastUpdateTime: Int64? = nil, createdBy: String? = nil, lastUpdatedBy: String? = nil
    ) {
        self.id = id
        self.datasetID = datasetID
        self.inputs = inputs
        self.expectations = expectations
        self.outputs = outputs
        self.tags = tags
        self.source = source
        self.sourceID = sourceID
        self.sourceType = sourceType
        self.createdTime = createdTime
        self.lastUpdateTime = lastUpdateTime ?? createdTime
        self.createdBy = createdBy
        self.lastUpdatedBy = lastUpdatedBy
    }

    /// A new id: `dr-` and 32 hexadecimal digits.
    public static func newID() -> String {
        "dr-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// The record as MLflow's client reads it (one item of the `records` JSON list).
    public var json: DataValue {
        var fields: [String: DataValue] = [
            "dataset_record_id": .string(id), "dataset_id": .string(datasetID), "inputs": inputs, "created_time": .int(Int(createdTime)),
            "last_update_time": .int(Int(lastUpdateTime)), "tags": .object(tags.mapValues(DataValue.string)),
        ]
        if let expectations { fields["expectations"] = expectations }
        if let outputs { fields["outputs"] = outputs }
        if let source { fields["source"] = source }
        if let sourceID { fields["source_id"] = .string(sourceID) }
        if let sourceType { fields["source_type"] = .string(sourceType) }
        if let createdBy { fields["created_by"] = .string(createdBy) }
        if let lastUpdatedBy { fields["last_updated_by"] = .string(lastUpdatedBy) }
        return .object(fields)
    }

    /// A record from one item of the `records` JSON list a client sends or a server answers; `inputs`
    /// must be an object.
    public init(json: DataValue, datasetID: String, index: Int) throws(AssayError) {
        guard case .object(let fields) = json else { throw .invalidInput("records[\(index)] must be an object") }
        guard case .object? = fields["inputs"] else { throw .invalidInput("records[\(index)].inputs must be an object") }
        func text(_ key: String) -> String? { fields[key]?.stringValue }
        func millis(_ key: String) -> Int64? { fields[key]?.doubleValue.flatMap { $0.isFinite && abs($0) < 9e15 ? Int64($0) : nil } }
        var tags: [String: String] = [:]
        if case .object(let given)? = fields["tags"] { tags = given.mapValues(\.text) }
        let expectations = fields["expectations"].flatMap { $0.isNull ? nil : $0 }
        if let expectations, expectations.objectValue == nil {
            throw .invalidInput("records[\(index)].expectations must be an object")
        }
        self.init(
            id: text("dataset_record_id") ?? "", datasetID: datasetID, inputs: fields["inputs"]!, expectations: expectations,
            outputs: fields["outputs"].flatMap { $0.isNull ? nil : $0 }, tags: tags,
            source: fields["source"].flatMap { $0.isNull ? nil : $0 },
            sourceID: text("source_id"), sourceType: text("source_type"), createdTime: millis("created_time") ?? MetricPoint.now(),
            lastUpdateTime: millis("last_update_time"), createdBy: text("created_by"), lastUpdatedBy: text("last_updated_by"))
    }
}

extension Dataset {
    /// An evaluation dataset's records as a dataset to evaluate: one column per input and expectation
    /// field (an expectation named like an input becomes `expectations.NAME`), in the order the fields
    /// first appear, with `tags` (a JSON object) when any record has them.
    public static func records(_ records: [EvaluationRecord], name: String) -> Dataset {
        var inputs: [String] = []
        var expected: [String] = []
        for record in records {
            for key in (record.inputs.objectValue ?? [:]).keys.sorted() where !inputs.contains(key) { inputs.append(key) }
            for key in (record.expectations?.objectValue ?? [:]).keys.sorted() where !expected.contains(key) { expected.append(key) }
        }
        let expectationColumns = expected.map { inputs.contains($0) ? "expectations." + $0 : $0 }
        let withTags = records.contains { !$0.tags.isEmpty }
        let rows = records.map { record -> [DataValue] in
            let given = record.inputs.objectValue ?? [:]
            let wanted = record.expectations?.objectValue ?? [:]
            return inputs.map { given[$0] ?? .null } + expected.map { wanted[$0] ?? .null }
                + (withTags ? [.object(record.tags.mapValues(DataValue.string))] : [])
        }
        return Dataset(name: name, columns: inputs + expectationColumns + (withTags ? ["tags"] : []), rows: rows)
    }
}

/// A scorer registered with an experiment (MLflow 3's `Scorer.register`), by name and version; the
/// serialized scorer is the client's JSON, kept as given.
public struct RegisteredScorer: Sendable, Equatable {
    public var experimentID: String
    public var name: String
    public var version: Int
    /// The same for every version of a name in an experiment.
    public var scorerID: String
    public var serialized: String
    /// Milliseconds since 1970.
    public var creationTime: Int64

    public init(experimentID: String, name: String, version: Int, scorerID: String, serialized: String, creationTime: Int64) {
        self.experimentID = experimentID
        self.name = name
        self.version = version
        self.scorerID = scorerID
        self.serialized = serialized
        self.creationTime = creationTime
    }

    /// The model a serialized scorer judges with (the first `model` string in its JSON), if any.
    public var model: String? {
        func find(_ value: DataValue) -> String? {
            switch value {
            case .object(let members):
                if case .string(let model)? = members["model"] { return model }
                for key in members.keys.sorted() { if let found = find(members[key]!) { return found } }
                return nil
            case .list(let items): return items.lazy.compactMap(find).first
            default: return nil
            }
        }
        return (try? DataValue(json: serialized)).flatMap(find)
    }
}

/// How a registered scorer scores new traces as they arrive: the share of traces it samples and which.
public struct OnlineScoringConfig: Sendable, Equatable {
    public var id: String
    public var scorerID: String
    public var experimentID: String
    public var sampleRate: Double
    public var filter: String?

    public init(id: String, scorerID: String, experimentID: String, sampleRate: Double, filter: String?) {
        self.id = id
        self.scorerID = scorerID
        self.experimentID = experimentID
        self.sampleRate = sampleRate
        self.filter = filter
    }
}

/// Stores that keep evaluation datasets and registered scorers.
///
/// ```swift
/// let golden = try await store.createDataset(named: "qa-golden", experimentIDs: ["1"], tags: [:])
/// _ = try await store.upsertRecords(datasetID: golden.id, [EvaluationRecord(datasetID: golden.id, inputs: ["question": "2+2?"])])
/// ```
public protocol EvaluationDatasetStore: TrackingStore {
    func createDataset(named name: String, experimentIDs: [String], tags: [String: String]) async throws(AssayError) -> EvaluationDataset
    /// `notFound` when there is none.
    func dataset(id: String) async throws(AssayError) -> EvaluationDataset
    func deleteDataset(id: String) async throws(AssayError)
    /// Datasets of any of the experiments (all datasets when none are named) that pass `filter`,
    /// ordered by `orderBy` (`name`, `created_time`, `last_update_time`, ASC or DESC; newest first by default).
    func searchDatasets(
        experimentIDs: [String], filter: SearchFilter, orderBy: [String], maxResults: Int, offset: Int
    ) async throws(AssayError) -> SearchPage<EvaluationDataset>
    /// Merges records by their inputs: a record whose inputs are already there updates that record's
    /// expectations (key by key), outputs and tags. Returns how many were inserted and updated.
    func upsertRecords(datasetID: String, _ records: [EvaluationRecord]) async throws(AssayError) -> (inserted: Int, updated: Int)
    /// One page of records, oldest first.
    func records(datasetID: String, maxResults: Int, offset: Int) async throws(AssayError) -> SearchPage<EvaluationRecord>
    func deleteRecords(datasetID: String, ids: [String]) async throws(AssayError) -> Int
    /// Sets tags; a nil value removes the tag.
    func setDatasetTags(id: String, _ tags: [String: String?]) async throws(AssayError)
    func deleteDatasetTag(id: String, key: String) async throws(AssayError)
    func addDataset(id: String, toExperiments experimentIDs: [String]) async throws(AssayError)
    func removeDataset(id: String, fromExperiments experimentIDs: [String]) async throws(AssayError)
}

/// Stores that keep registered scorers and their online scoring configurations.
public protocol ScorerRegistry: TrackingStore {
    /// Registers a new version (1 for a new name) of a scorer in an active experiment.
    func registerScorer(experimentID: String, name: String, serialized: String) async throws(AssayError) -> RegisteredScorer
    /// The latest version of each scorer of an experiment, by name.
    func scorers(experimentID: String) async throws(AssayError) -> [RegisteredScorer]
    /// Every version of one scorer, oldest first.
    func scorerVersions(experimentID: String, name: String) async throws(AssayError) -> [RegisteredScorer]
    /// One version (the latest when nil); `notFound` when there is none.
    func scorer(experimentID: String, name: String, version: Int?) async throws(AssayError) -> RegisteredScorer
    /// Deletes one version, or every version when nil; `notFound` when there is none.
    func deleteScorer(experimentID: String, name: String, version: Int?) async throws(AssayError)
    /// Replaces a scorer's online configuration.
    func setOnlineConfig(
        experimentID: String, name: String, sampleRate: Double, filter: String?
    ) async throws(AssayError) -> OnlineScoringConfig
    /// The online configurations of these scorers.
    func onlineConfigs(scorerIDs: [String]) async throws(AssayError) -> [OnlineScoringConfig]
}
