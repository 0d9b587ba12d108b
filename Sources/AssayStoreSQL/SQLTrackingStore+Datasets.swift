public import Assay
import Crypto
import Foundation

extension SQLTrackingStore: EvaluationDatasetStore, ScorerRegistry {
    // MARK: - Evaluation datasets

    private static var datasetColumns: String {
        "dataset_id, name, tags, schema, profile, digest, created_time, last_update_time, created_by, last_updated_by"
    }

    private static func loadDatasets(_ s: Database.Session, _ ids: [String]) async throws -> [EvaluationDataset] {
        var found: [String: EvaluationDataset] = [:]
        for part in chunks(ids, of: chunk) {
            let list = Array(part)
            for row in try await s.rows("SELECT \(raw: datasetColumns) FROM evaluation_datasets WHERE \("dataset_id", in: list)") {
                found[row.string(0)] = EvaluationDataset(
                    id: row.string(0), name: row.string(1), tags: StoredJSON.strings(row.string(2)), schema: row.optionalString(3),
                    profile: row.optionalString(4), digest: row.string(5), createdTime: row.int64(6), lastUpdateTime: row.int64(7),
                    createdBy: row.optionalString(8), lastUpdatedBy: row.optionalString(9))
            }
            for row in try await s.rows(
                "SELECT dataset_id, experiment_id FROM dataset_experiments WHERE \("dataset_id", in: list) ORDER BY experiment_id")
            {
                found[row.string(0)]?.experimentIDs.append(String(row.int64(1)))
            }
        }
        return ids.compactMap { found[$0] }
    }

    private func onDataset(_ id: String, _ body: @escaping @Sendable (Database.Session) async throws -> Void) async throws(AssayError) {
        try await write { s in
            guard try await s.exists("SELECT 1 FROM evaluation_datasets WHERE dataset_id = \(id)") else {
                throw Failure.datasetNotFound(id)
            }
            try await body(s)
        }
    }

    /// Experiment ids as stored; an unknown or deleted experiment is `notFound`/`invalidInput`.
    private func experimentNumbers(_ ids: [String]) async throws(AssayError) -> [Int64] {
        var numbers: [Int64] = []
        for id in ids {
            let experiment = try await experiment(id: id)
            guard experiment.lifecycleStage == .active, let number = Int64(experiment.id) else {
                throw .invalidInput("experiment \(id) is deleted; restore it before adding datasets to it")
            }
            numbers.append(number)
        }
        return numbers
    }

    public func createDataset(
        named name: String, experimentIDs: [String], tags: [String: String]
    ) async throws(AssayError)
        -> EvaluationDataset
    {
        guard !name.isEmpty else { throw .invalidInput("Missing value for required parameter 'name'.") }
        try StoredText.check(name: name, of: "dataset")
        for (key, value) in tags { try StoredText.check(KeyValue(key, value), of: "dataset tag") }
        let experiments = try await experimentNumbers(experimentIDs)
        let now = MetricPoint.now()
        let id = EvaluationDataset.newID()
        try await write { s in
            try await s.execute(
                """
                INSERT INTO evaluation_datasets (dataset_id, name, tags, schema, profile, digest, created_time, last_update_time)
                VALUES (\(id), \(name), \(StoredJSON.strings(tags)), NULL, \(#"{"num_records": 0}"#), \(Self.digest([])), \(now), \(now))
                """)
            for experiment in Set(experiments).sorted() {
                try await s.execute("INSERT INTO dataset_experiments (dataset_id, experiment_id) VALUES (\(id), \(experiment))")
            }
        }
        return try await dataset(id: id)
    }

    public func dataset(id: String) async throws(AssayError) -> EvaluationDataset {
        guard let found = try await read({ s in try await Self.loadDatasets(s, [id]).first }) else { throw Failure.datasetNotFound(id) }
        return found
    }

    public func deleteDataset(id: String) async throws(AssayError) {
        try await onDataset(id) { s in
            for table in ["dataset_records", "dataset_experiments", "evaluation_datasets"] {
                try await s.execute("DELETE FROM \(raw: table) WHERE dataset_id = \(id)")
            }
        }
    }

    /// The filter is checked against each dataset in turn.
    public func searchDatasets(
        experimentIDs: [String], filter: SearchFilter, orderBy: [String], maxResults: Int, offset: Int
    ) async throws(AssayError) -> SearchPage<EvaluationDataset> {
        let experiments = experimentIDs.compactMap { Int64($0) }
        let all = try await read { s in
            let ids: [String]
            if experimentIDs.isEmpty {
                ids = try await s.rows("SELECT dataset_id FROM evaluation_datasets").map { $0.string(0) }
            } else {
                var found = Set<String>()
                for part in Self.chunks(experiments, of: Self.chunk) {
                    for row in try await s.rows("SELECT dataset_id FROM dataset_experiments WHERE \("experiment_id", in: Array(part))") {
                        found.insert(row.string(0))
                    }
                }
                ids = found.sorted()
            }
            return try await Self.loadDatasets(s, ids)
        }
        let order = try orderBy.map { clause throws(AssayError) -> (String, Bool) in
            let parts = clause.split(separator: " ").map(String.init)
            guard let key = parts.first, ["name", "created_time", "last_update_time", "dataset_id"].contains(key), parts.count <= 2 else {
                throw .invalidInput("Invalid order_by clause '\(clause)': order by name, created_time or last_update_time")
            }
            return (key, parts.count < 2 || parts[1].uppercased() != "DESC")
        }
        let clauses = order + [("created_time", false), ("dataset_id", true)]
        let matching = SearchFilter.ordered(all.filter { filter.matches($0.filterValues) }, by: clauses) { $0.filterValues }
        return SearchPage(fetched: Array(matching.dropFirst(offset).prefix(maxResults + 1)), limit: maxResults, offset: offset)
    }

    /// The SHA-256 of a value's canonical JSON (keys sorted), in hexadecimal.
    static func key(_ value: DataValue) -> String {
        SHA256.hash(data: Data(value.description.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A digest of a dataset's records: of their ids and update times, in order.
    static func digest(_ parts: [String]) -> String {
        String(key(.list(parts.map(DataValue.string))).prefix(8))
    }

    public func upsertRecords(datasetID: String, _ records: [EvaluationRecord]) async throws(AssayError) -> (inserted: Int, updated: Int) {
        for record in records {
            for (key, value) in record.tags { try StoredText.check(KeyValue(key, value), of: "record tag") }
        }
        let given = records
        return try await write { s in
            guard try await s.exists("SELECT 1 FROM evaluation_datasets WHERE dataset_id = \(datasetID)") else {
                throw Failure.datasetNotFound(datasetID)
            }
            var position =
                (try await s.first("SELECT MAX(position) FROM dataset_records WHERE dataset_id = \(datasetID)")?.optionalInt64(0) ?? -1) + 1
            var (inserted, updated) = (0, 0)
            let now = MetricPoint.now()
            for record in given {
                let key = Self.key(record.inputs)
                if let row = try await s.first(
                    "SELECT record_id, expectations, tags, outputs FROM dataset_records WHERE dataset_id = \(datasetID) AND input_key = \(key)"
                ) {
                    // Expectations and tags merge key by key; outputs are replaced when given.
                    var expectations = row.optionalString(1).flatMap { try? DataValue(json: $0) }?.objectValue ?? [:]
                    for (name, value) in record.expectations?.objectValue ?? [:] { expectations[name] = value }
                    var tags = StoredJSON.strings(row.string(2))
                    tags.merge(record.tags) { _, new in new }
                    let outputs = record.outputs.map(\.description) ?? row.optionalString(3)
                    try await s.execute(
                        """
                        UPDATE dataset_records SET expectations = \(expectations.isEmpty ? nil : DataValue.object(expectations).description),
                            tags = \(StoredJSON.strings(tags)), outputs = \(outputs), last_update_time = \(now),
                            last_updated_by = \(record.lastUpdatedBy ?? record.createdBy)
                        WHERE record_id = \(row.string(0))
                        """)
                    updated += 1
                } else {
                    try await s.execute(
                        """
                        INSERT INTO dataset_records (record_id, dataset_id, input_key, inputs, expectations, outputs, tags, source, source_id,
                            source_type, created_time, last_update_time, created_by, last_updated_by, position)
                        VALUES (\(record.id.isEmpty ? EvaluationRecord.newID() : record.id), \(datasetID), \(key), \(record.inputs.description),
                            \(record.expectations?.description), \(record.outputs?.description), \(StoredJSON.strings(record.tags)),
                            \(record.source?.description), \(record.sourceID), \(record.sourceType), \(now), \(now), \(record.createdBy),
                            \(record.createdBy), \(position))
                        """)
                    position += 1
                    inserted += 1
                }
            }
            try await Self.refreshDataset(s, datasetID, now: now)
            return (inserted, updated)
        }
    }

    /// A dataset's schema, profile, digest and update time, from its records.
    private static func refreshDataset(_ s: Database.Session, _ id: String, now: Int64) async throws {
        var inputs: [String: String] = [:]
        var expectations: [String: String] = [:]
        var parts: [String] = []
        for row in try await s.rows(
            "SELECT record_id, inputs, expectations, last_update_time FROM dataset_records WHERE dataset_id = \(id) ORDER BY position")
        {
            parts.append(row.string(0) + "@" + String(row.int64(3)))
            for (key, value) in (try? DataValue(json: row.string(1)))?.objectValue ?? [:] where inputs[key] == nil {
                inputs[key] = value.kindName
            }
            for (key, value) in row.optionalString(2).flatMap({ try? DataValue(json: $0) })?.objectValue ?? [:]
            where expectations[key] == nil {
                expectations[key] = value.kindName
            }
        }
        let schema = DataValue.object([
            "inputs": .object(inputs.mapValues(DataValue.string)), "expectations": .object(expectations.mapValues(DataValue.string)),
        ])
        try await s.execute(
            """
            UPDATE evaluation_datasets SET schema = \(schema.description), profile = \(DataValue.object(["num_records": .int(parts.count)]).description),
                digest = \(digest(parts)), last_update_time = \(now)
            WHERE dataset_id = \(id)
            """)
    }

    public func records(datasetID: String, maxResults: Int, offset: Int) async throws(AssayError) -> SearchPage<EvaluationRecord> {
        _ = try await dataset(id: datasetID)
        let rows = try await read { s in
            try await s.rows(
                """
                SELECT record_id, inputs, expectations, outputs, tags, source, source_id, source_type, created_time, last_update_time,
                    created_by, last_updated_by
                FROM dataset_records WHERE dataset_id = \(datasetID) ORDER BY position LIMIT \(Int64(maxResults) + 1) OFFSET \(Int64(offset))
                """
            ).map { row in
                EvaluationRecord(
                    id: row.string(0), datasetID: datasetID, inputs: (try? DataValue(json: row.string(1))) ?? .object([:]),
                    expectations: row.optionalString(2).flatMap { try? DataValue(json: $0) },
                    outputs: row.optionalString(3).flatMap { try? DataValue(json: $0) }, tags: StoredJSON.strings(row.string(4)),
                    source: row.optionalString(5).flatMap { try? DataValue(json: $0) }, sourceID: row.optionalString(6),
                    sourceType: row.optionalString(7), createdTime: row.int64(8), lastUpdateTime: row.int64(9),
                    createdBy: row.optionalString(10), lastUpdatedBy: row.optionalString(11))
            }
        }
        return SearchPage(fetched: rows, limit: maxResults, offset: offset)
    }

    public func deleteRecords(datasetID: String, ids: [String]) async throws(AssayError) -> Int {
        try await write { s in
            guard try await s.exists("SELECT 1 FROM evaluation_datasets WHERE dataset_id = \(datasetID)") else {
                throw Failure.datasetNotFound(datasetID)
            }
            var deleted = 0
            for part in Self.chunks(ids, of: Self.chunk) {
                deleted += try await s.rows(
                    "DELETE FROM dataset_records WHERE dataset_id = \(datasetID) AND \("record_id", in: Array(part)) RETURNING record_id"
                ).count
            }
            try await Self.refreshDataset(s, datasetID, now: MetricPoint.now())
            return deleted
        }
    }

    public func setDatasetTags(id: String, _ tags: [String: String?]) async throws(AssayError) {
        for (key, value) in tags { try StoredText.check(KeyValue(key, value ?? ""), of: "dataset tag") }
        try await onDataset(id) { s in
            guard let row = try await s.first("SELECT tags FROM evaluation_datasets WHERE dataset_id = \(id)") else { return }
            var current = StoredJSON.strings(row.string(0))
            for (key, value) in tags { current[key] = value }
            try await s.execute(
                """
                UPDATE evaluation_datasets SET tags = \(StoredJSON.strings(current)), last_update_time = \(MetricPoint.now())
                WHERE dataset_id = \(id)
                """)
        }
    }

    public func deleteDatasetTag(id: String, key: String) async throws(AssayError) {
        try await setDatasetTags(id: id, [key: nil])
    }

    public func addDataset(id: String, toExperiments experimentIDs: [String]) async throws(AssayError) {
        let numbers = try await experimentNumbers(experimentIDs)
        try await onDataset(id) { s in
            for number in Set(numbers).sorted() {
                try await s.execute(
                    """
                    INSERT INTO dataset_experiments (dataset_id, experiment_id) VALUES (\(id), \(number))
                    ON CONFLICT (dataset_id, experiment_id) DO NOTHING
                    """)
            }
        }
    }

    public func removeDataset(id: String, fromExperiments experimentIDs: [String]) async throws(AssayError) {
        let numbers = experimentIDs.compactMap { Int64($0) }
        try await onDataset(id) { s in
            for part in Self.chunks(numbers, of: Self.chunk) {
                try await s.execute("DELETE FROM dataset_experiments WHERE dataset_id = \(id) AND \("experiment_id", in: Array(part))")
            }
        }
    }

    // MARK: - Registered scorers

    private static func scorer(_ row: SQLRow) -> RegisteredScorer {
        RegisteredScorer(
            experimentID: String(row.int64(0)), name: row.string(1), version: Int(row.int64(2)), scorerID: row.string(3),
            serialized: row.string(4), creationTime: row.int64(5))
    }

    private static var scorerColumns: String { "experiment_id, name, version, scorer_id, serialized, creation_time" }

    private func experimentNumber(_ id: String) async throws(AssayError) -> Int64 {
        guard let number = Int64(try await experiment(id: id).id) else { throw Failure.experimentNotFound(id) }
        return number
    }

    public func registerScorer(experimentID: String, name: String, serialized: String) async throws(AssayError) -> RegisteredScorer {
        guard !name.isEmpty else { throw .invalidInput("Missing value for required parameter 'name'.") }
        try StoredText.check(name: name, of: "scorer")
        try StoredText.check(value: serialized, of: "serialized_scorer")
        let experiment = try await self.experiment(id: experimentID)
        guard experiment.lifecycleStage == .active, let number = Int64(experiment.id) else {
            throw .invalidInput("experiment \(experimentID) is deleted; restore it before registering scorers in it")
        }
        return try await write { s in
            let latest = try await s.first(
                "SELECT version, scorer_id FROM scorers WHERE experiment_id = \(number) AND name = \(name) ORDER BY version DESC LIMIT 1")
            let version = (latest?.int64(0) ?? 0) + 1
            let scorerID = latest?.string(1) ?? UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let now = MetricPoint.now()
            try await s.execute(
                """
                INSERT INTO scorers (scorer_id, experiment_id, name, version, serialized, creation_time)
                VALUES (\(scorerID), \(number), \(name), \(version), \(serialized), \(now))
                """)
            return RegisteredScorer(
                experimentID: String(number), name: name, version: Int(version), scorerID: scorerID, serialized: serialized,
                creationTime: now)
        }
    }

    public func scorers(experimentID: String) async throws(AssayError) -> [RegisteredScorer] {
        let number = try await experimentNumber(experimentID)
        return try await read { s in
            try await s.rows(
                """
                SELECT \(raw: Self.scorerColumns) FROM scorers c WHERE experiment_id = \(number)
                AND version = (SELECT MAX(version) FROM scorers d WHERE d.experiment_id = c.experiment_id AND d.name = c.name)
                ORDER BY name
                """
            ).map(Self.scorer)
        }
    }

    public func scorerVersions(experimentID: String, name: String) async throws(AssayError) -> [RegisteredScorer] {
        let number = try await experimentNumber(experimentID)
        let found = try await read { s in
            try await s.rows(
                "SELECT \(raw: Self.scorerColumns) FROM scorers WHERE experiment_id = \(number) AND name = \(name) ORDER BY version"
            ).map(Self.scorer)
        }
        guard !found.isEmpty else { throw Failure.scorerNotFound(name, experimentID) }
        return found
    }

    public func scorer(experimentID: String, name: String, version: Int?) async throws(AssayError) -> RegisteredScorer {
        let versions = try await scorerVersions(experimentID: experimentID, name: name)
        guard let found = version.map({ v in versions.first { $0.version == v } }) ?? versions.last else {
            throw AssayError(.notFound, "Scorer with name '\(name)' and version \(version ?? 0) not found for experiment \(experimentID).")
        }
        return found
    }

    public func deleteScorer(experimentID: String, name: String, version: Int?) async throws(AssayError) {
        let number = try await experimentNumber(experimentID)
        try await write { s in
            let scorerID = try await s.first("SELECT scorer_id FROM scorers WHERE experiment_id = \(number) AND name = \(name)")?.string(0)
            guard let scorerID else { throw Failure.scorerNotFound(name, experimentID) }
            if let version {
                guard
                    try await s.exists(
                        "DELETE FROM scorers WHERE experiment_id = \(number) AND name = \(name) AND version = \(Int64(version)) RETURNING name"
                    )
                else {
                    throw AssayError(
                        .notFound, "Scorer with name '\(name)' and version \(version) not found for experiment \(experimentID).")
                }
            } else {
                try await s.execute("DELETE FROM scorers WHERE experiment_id = \(number) AND name = \(name)")
            }
            if !(try await s.exists("SELECT 1 FROM scorers WHERE scorer_id = \(scorerID)")) {
                try await s.execute("DELETE FROM online_scoring_configs WHERE scorer_id = \(scorerID)")
            }
        }
    }

    public func setOnlineConfig(
        experimentID: String, name: String, sampleRate: Double, filter: String?
    ) async throws(AssayError)
        -> OnlineScoringConfig
    {
        guard sampleRate.isFinite, (0...1).contains(sampleRate) else {
            throw .invalidInput("sample_rate must be between 0.0 and 1.0, got \(sampleRate)")
        }
        if let filter, !filter.isEmpty { _ = try SearchFilter(filter, for: .traces) }
        let latest = try await scorer(experimentID: experimentID, name: name, version: nil)
        let number = try await experimentNumber(experimentID)
        let config = OnlineScoringConfig(
            id: UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(), scorerID: latest.scorerID,
            experimentID: String(number), sampleRate: sampleRate, filter: filter)
        try await write { s in
            try await s.execute("DELETE FROM online_scoring_configs WHERE scorer_id = \(latest.scorerID)")
            try await s.execute(
                """
                INSERT INTO online_scoring_configs (config_id, scorer_id, experiment_id, sample_rate, filter)
                VALUES (\(config.id), \(config.scorerID), \(number), \(sampleRate), \(filter))
                """)
        }
        return config
    }

    public func onlineConfigs(scorerIDs: [String]) async throws(AssayError) -> [OnlineScoringConfig] {
        try await read { s in
            var found: [OnlineScoringConfig] = []
            for part in Self.chunks(scorerIDs, of: Self.chunk) {
                found += try await s.rows(
                    """
                    SELECT config_id, scorer_id, experiment_id, sample_rate, filter FROM online_scoring_configs
                    WHERE \("scorer_id", in: Array(part)) ORDER BY scorer_id
                    """
                ).map {
                    OnlineScoringConfig(
                        id: $0.string(0), scorerID: $0.string(1), experimentID: String($0.int64(2)), sampleRate: $0.optionalDouble(3) ?? 0,
                        filter: $0.optionalString(4))
                }
            }
            return found
        }
    }
}
