public import Assay

extension SQLTrackingStore {
    private static var modelColumns: String {
        "model_id, experiment_id, name, artifact_location, status, status_message, creation_time, last_updated_time, source_run_id, model_type"
    }

    /// Models with their tags and params, in the order of `ids` (unknown ids are skipped).
    private static func loadModels(_ s: Database.Session, _ ids: [String]) async throws -> [LoggedModel] {
        var found: [String: LoggedModel] = [:]
        for part in chunks(ids, of: chunk) {
            let list = Array(part)
            for row in try await s.rows("SELECT \(raw: modelColumns) FROM logged_models WHERE \("model_id", in: list)") {
                found[row.string(0)] = LoggedModel(
                    id: row.string(0), experimentID: String(row.int64(1)), name: row.string(2), artifactLocation: row.string(3),
                    status: LoggedModelStatus(rawValue: row.string(4)) ?? .unspecified, statusMessage: row.string(5),
                    creationTime: row.int64(6), lastUpdatedTime: row.int64(7), sourceRunID: row.optionalString(8),
                    modelType: row.optionalString(9))
            }
            for row in try await s.rows("SELECT model_id, key, value FROM logged_model_tags WHERE \("model_id", in: list) ORDER BY key") {
                found[row.string(0)]?.tags.append(KeyValue(row.string(1), row.string(2)))
            }
            for row in try await s.rows("SELECT model_id, key, value FROM logged_model_params WHERE \("model_id", in: list) ORDER BY key") {
                found[row.string(0)]?.params.append(KeyValue(row.string(1), row.string(2)))
            }
            for row in try await s.rows(
                """
                SELECT model_id, key, value, is_nan, timestamp, step, run_uuid, dataset_name, dataset_digest FROM logged_model_metrics
                WHERE \("model_id", in: list) ORDER BY timestamp, step, key
                """)
            {
                let (name, digest) = (row.string(7), row.string(8))
                found[row.string(0)]?.metrics.append(
                    MetricPoint(
                        key: row.string(1), value: row.int64(3) != 0 ? .nan : row.optionalDouble(2) ?? .nan, timestamp: row.int64(4),
                        step: row.int64(5), modelID: row.string(0), datasetName: name.isEmpty ? nil : name,
                        datasetDigest: digest.isEmpty ? nil : digest, runID: row.string(6)))
            }
        }
        return ids.compactMap { found[$0] }
    }

    /// Values a run logged for logged models become the models' metrics too (a value logged twice is
    /// kept once); the models must exist.
    static func insertModelMetrics(_ s: Database.Session, _ run: RunInfo, _ metrics: [MetricPoint]) async throws {
        let forModels = metrics.filter { $0.modelID != nil }
        guard !forModels.isEmpty, let experiment = Int64(run.experimentID) else { return }
        let models = Array(Set(forModels.compactMap(\.modelID))).sorted()
        var known = Set<String>()
        for part in chunks(models, of: chunk) {
            for row in try await s.rows("SELECT model_id FROM logged_models WHERE \("model_id", in: Array(part))") {
                known.insert(row.string(0))
            }
        }
        if let unknown = models.first(where: { !known.contains($0) }) { throw Failure.modelNotFound(unknown) }
        func row(_ p: MetricPoint) -> SQL {
            """
            (\(p.modelID ?? ""), \(p.key), \(p.value.isNaN ? nil : p.value), \(p.value.isNaN ? 1 : 0), \(p.timestamp), \(p.step), \(run.id),
                \(experiment), \(p.datasetName ?? ""), \(p.datasetDigest ?? ""))
            """
        }
        for part in chunks(forModels, of: chunk) {
            try await s.execute(
                """
                INSERT INTO logged_model_metrics (model_id, key, value, is_nan, timestamp, step, run_uuid, experiment_id, dataset_name,
                    dataset_digest)
                VALUES \(values(part, row))
                ON CONFLICT (model_id, key, timestamp, step, run_uuid, dataset_name, dataset_digest) DO NOTHING
                """)
        }
    }

    private static func upsertModelTags(_ s: Database.Session, _ id: String, _ tags: [KeyValue]) async throws {
        for part in chunks(lastPerKey(tags), of: chunk) {
            try await s.execute(
                """
                INSERT INTO logged_model_tags (model_id, key, value) VALUES \(values(part) { "(\(id), \($0.key), \($0.value))" })
                ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value
                """)
        }
    }

    private static func insertModelParams(_ s: Database.Session, _ id: String, _ params: [KeyValue]) async throws {
        try await insertImmutable(s, params, table: "logged_model_params", owner: ("model_id", id), named: "model ID")
    }

    /// Runs `body` in a write on a model that exists (`notFound` otherwise).
    private func onModel(_ id: String, _ body: @escaping @Sendable (Database.Session) async throws -> Void) async throws(AssayError) {
        try await write { s in
            guard try await s.exists("SELECT 1 FROM logged_models WHERE model_id = \(id)") else { throw Failure.modelNotFound(id) }
            try await body(s)
            try await s.execute("UPDATE logged_models SET last_updated_time = \(MetricPoint.now()) WHERE model_id = \(id)")
        }
    }

    public func createLoggedModel(
        in experimentID: String, name: String, sourceRunID: String?, modelType: String?, tags: [KeyValue], params: [KeyValue]
    ) async throws(AssayError) -> LoggedModel {
        try StoredText.check(name: name, of: "logged model")
        for tag in tags { try StoredText.check(tag, of: "logged model tag") }
        for param in params { try StoredText.check(param, of: "logged model param") }
        // The source run is kept as given, as MLflow does (a model may come from a run of another server).
        let experiment = try await experiment(id: experimentID)
        let model = try LoggedModel.new(
            in: experiment, name: name, sourceRunID: sourceRunID, modelType: modelType, tags: tags, params: params)
        guard let number = Int64(experiment.id) else { throw Failure.experimentNotFound(experimentID) }
        try await write { s in
            try await s.execute(
                """
                INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, status, status_message, creation_time,
                    last_updated_time, source_run_id, model_type)
                VALUES (\(model.id), \(number), \(model.name), \(model.artifactLocation), \(model.status.rawValue), '',
                    \(model.creationTime), \(model.lastUpdatedTime), \(model.sourceRunID), \(model.modelType))
                """)
            try await Self.upsertModelTags(s, model.id, tags)
            try await Self.insertModelParams(s, model.id, params)
        }
        return try await loggedModel(id: model.id)
    }

    public func loggedModel(id: String) async throws(AssayError) -> LoggedModel {
        guard let found = try await read({ s in try await Self.loadModels(s, [id]).first }) else { throw Failure.modelNotFound(id) }
        return found
    }

    /// The filter is checked against each model of the experiments, newest first.
    public func searchLoggedModels(_ query: LoggedModelQuery) async throws(AssayError) -> SearchPage<LoggedModel> {
        let experiments = query.experimentIDs.compactMap { Int64($0) }
        let models = try await read { s in
            var ids: [String] = []
            for part in Self.chunks(experiments, of: Self.chunk) {
                ids += try await s.rows(
                    """
                    SELECT model_id FROM logged_models WHERE \("experiment_id", in: Array(part))
                    ORDER BY creation_time DESC, model_id
                    """
                ).map { $0.string(0) }
            }
            return try await Self.loadModels(s, ids)
        }
        let matching = query.ordered(models)
        return SearchPage(
            fetched: Array(matching.dropFirst(query.offset).prefix(query.maxResults + 1)), limit: query.maxResults, offset: query.offset)
    }

    public func setLoggedModelStatus(id: String, _ status: LoggedModelStatus, message: String?) async throws(AssayError) -> LoggedModel {
        try await onModel(id) { s in
            try await s.execute(
                "UPDATE logged_models SET status = \(status.rawValue), status_message = \(message ?? "") WHERE model_id = \(id)")
        }
        return try await loggedModel(id: id)
    }

    public func setLoggedModelTags(id: String, _ tags: [KeyValue]) async throws(AssayError) {
        for tag in tags { try StoredText.check(tag, of: "logged model tag") }
        try await onModel(id) { s in try await Self.upsertModelTags(s, id, tags) }
    }

    public func deleteLoggedModelTag(id: String, key: String) async throws(AssayError) {
        try await onModel(id) { s in
            guard try await s.exists("DELETE FROM logged_model_tags WHERE model_id = \(id) AND key = \(key) RETURNING key") else {
                throw AssayError(.notFound, "No tag with key '\(key)' on logged model '\(id)'")
            }
        }
    }

    public func logLoggedModelParams(id: String, _ params: [KeyValue]) async throws(AssayError) {
        for param in params { try StoredText.check(param, of: "logged model param") }
        try await onModel(id) { s in try await Self.insertModelParams(s, id, params) }
    }

    public func deleteLoggedModel(id: String) async throws(AssayError) {
        try await write { s in
            guard try await s.exists("SELECT 1 FROM logged_models WHERE model_id = \(id)") else { throw Failure.modelNotFound(id) }
            for table in ["logged_model_tags", "logged_model_params", "logged_model_metrics", "logged_models"] {
                try await s.execute("DELETE FROM \(raw: table) WHERE model_id = \(id)")
            }
        }
    }

    public func logOutputs(run id: String, models: [RunModelOutput]) async throws(AssayError) {
        try await write { s in
            guard try await Self.loadRunInfo(s, id) != nil else { throw Failure.runNotFound(id) }
            for model in models {
                guard try await s.exists("SELECT 1 FROM logged_models WHERE model_id = \(model.modelID)") else {
                    throw Failure.modelNotFound(model.modelID)
                }
            }
            var position = (try await s.first("SELECT MAX(position) FROM run_outputs WHERE run_uuid = \(id)")?.optionalInt64(0) ?? -1) + 1
            for model in models {
                let added = try await s.exists(
                    """
                    INSERT INTO run_outputs (run_uuid, model_id, step, position) VALUES (\(id), \(model.modelID), \(model.step), \(position))
                    ON CONFLICT (run_uuid, model_id, step) DO NOTHING RETURNING model_id
                    """)
                if added { position += 1 }
            }
        }
    }

    public func outputs(run id: String) async throws(AssayError) -> [RunModelOutput] {
        try await run(id: id).modelOutputs
    }

    public func logModelInputs(run id: String, modelIDs: [String]) async throws(AssayError) {
        try await write { s in
            guard try await Self.loadRunInfo(s, id) != nil else { throw Failure.runNotFound(id) }
            for model in modelIDs {
                guard try await s.exists("SELECT 1 FROM logged_models WHERE model_id = \(model)") else {
                    throw Failure.modelNotFound(model)
                }
            }
            var position =
                (try await s.first("SELECT MAX(position) FROM run_model_inputs WHERE run_uuid = \(id)")?.optionalInt64(0) ?? -1) + 1
            for model in modelIDs {
                let added = try await s.exists(
                    """
                    INSERT INTO run_model_inputs (run_uuid, model_id, position) VALUES (\(id), \(model), \(position))
                    ON CONFLICT (run_uuid, model_id) DO NOTHING RETURNING model_id
                    """)
                if added { position += 1 }
            }
        }
    }
}
