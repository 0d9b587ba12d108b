public import Assay
import Synchronization

/// The tracking store's rules, written once over SQL: experiments, runs, params, tags, metrics with
/// their full history, dataset inputs, traces and assessments. A backend supplies only a
/// ``SQLDatabase`` (connection, dialect, migrations bookkeeping); AssayStoreSQLite and
/// AssayStorePostgres each name their specialization (`SQLiteTrackingStore`, `PostgresTrackingStore`).
///
/// The rules, as MLflow's server keeps them:
/// - params are immutable: a different value for a logged key fails the whole batch;
/// - the latest value of a metric is the greatest by (step, timestamp, value), NaN above every number;
/// - a deleted run takes no more logging; runs follow their experiment into and out of the bin;
/// - the `mlflow.runName` tag and the run's name are one.
public final class SQLTrackingStore<Database: SQLDatabase>: TraceStore, LoggedModelStore, PurgingStore {
    /// The database the tables live in.
    public let database: Database
    /// The root that new experiments' artifact locations are made from.
    public let artifactRoot: String
    /// Reads and write transactions under way.
    let inFlight = Mutex((reads: 0, writes: 0))

    /// A store over `database`; call ``migrate()`` before use.
    public init(database: Database, artifactRoot: String) {
        self.database = database
        self.artifactRoot = artifactRoot
    }

    /// The schema's migrations for this store's database, in order.
    package var migrations: [SQLMigration] {
        Schema.migrations(dialect: database.dialect, artifactRoot: artifactRoot)
    }

    /// Creates or upgrades the tables (named migrations, each applied once).
    public func migrate() async throws(AssayError) {
        do {
            try await database.migrate(migrations)
        } catch {
            throw Self.translate(error, database)
        }
    }

    // MARK: - Sessions

    package func write<T: Sendable>(_ body: @escaping @Sendable (Database.Session) async throws -> T) async throws(AssayError) -> T {
        inFlight.withLock { $0.writes += 1 }
        defer { inFlight.withLock { $0.writes -= 1 } }
        do {
            return try await database.transaction(body)
        } catch {
            throw Self.translate(error, database)
        }
    }

    package func read<T: Sendable>(_ body: @escaping @Sendable (Database.Session) async throws -> T) async throws(AssayError) -> T {
        inFlight.withLock { $0.reads += 1 }
        defer { inFlight.withLock { $0.reads -= 1 } }
        do {
            return try await database.read(body)
        } catch {
            throw Self.translate(error, database)
        }
    }

    private static func translate(_ error: any Error, _ database: Database) -> AssayError {
        (error as? AssayError) ?? database.storeError(error)
    }

    /// The store's errors, in MLflow's words where the client reads them.
    enum Failure {
        static func runNotFound(_ id: String) -> AssayError { AssayError(.notFound, "Run with id=\(id) not found") }
        static func experimentNotFound(_ id: String) -> AssayError { AssayError(.notFound, "No Experiment with id=\(id) exists") }
        static func experimentExists(_ name: String) -> AssayError { AssayError(.alreadyExists, "Experiment '\(name)' already exists.") }
        static func traceNotFound(_ id: String) -> AssayError { AssayError(.notFound, "Trace with ID '\(id)' not found.") }
        static func modelNotFound(_ id: String) -> AssayError { AssayError(.notFound, "Logged model with ID '\(id)' not found.") }
        static func datasetNotFound(_ id: String) -> AssayError { AssayError(.notFound, "Evaluation dataset with id '\(id)' not found.") }
        static func scorerNotFound(_ name: String, _ experiment: String) -> AssayError {
            AssayError(.notFound, "Scorer with name '\(name)' not found for experiment \(experiment).")
        }
    }

    /// Reads are batched by this many ids a statement.
    static var chunk: Int { 500 }

    // MARK: - Experiments

    public func createExperiment(named name: String, artifactLocation: String?, tags: [KeyValue]) async throws(AssayError) -> Experiment {
        guard !name.isEmpty else { throw .invalidInput("an experiment needs a name") }
        try StoredText.check(name: name, of: "experiment")
        try StoredText.check(value: artifactLocation ?? "", of: "artifact_location")
        for tag in tags { try StoredText.check(tag, of: "experiment tag") }
        let root = artifactRoot
        let id: Int64 = try await write { s in
            if try await s.exists("SELECT 1 FROM experiments WHERE name = \(name)") { throw Failure.experimentExists(name) }
            let now = MetricPoint.now()
            guard
                let row = try await s.first(
                    """
                    INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
                    VALUES (\(name), '', 'active', \(now), \(now)) RETURNING experiment_id
                    """)
            else { throw AssayError.internal("the database gave the new experiment no id") }
            let id = row.int64(0)
            try await s.execute(
                "UPDATE experiments SET artifact_location = \(artifactLocation ?? "\(root)/\(id)") WHERE experiment_id = \(id)")
            try await Self.upsertExperimentTags(s, id, tags)
            return id
        }
        return try await experiment(id: String(id))
    }

    public func experiment(id: String) async throws(AssayError) -> Experiment {
        guard let number = Int64(id) else { throw Failure.experimentNotFound(id) }
        guard let found = try await read({ s in try await Self.loadExperiments(s, [number]).first }) else {
            throw Failure.experimentNotFound(id)
        }
        return found
    }

    public func experiment(named name: String) async throws(AssayError) -> Experiment? {
        try await read { s in
            let ids = try await s.rows("SELECT experiment_id FROM experiments WHERE name = \(name)").map { $0.int64(0) }
            return try await Self.loadExperiments(s, ids).first
        }
    }

    public func searchExperiments(_ query: ExperimentQuery) async throws(AssayError) -> SearchPage<Experiment> {
        let statement = SearchSQL.experiments(query, dialect: database.dialect, limit: query.maxResults + 1, offset: query.offset)
        let fetched = try await read { s in
            try await Self.loadExperiments(s, try await s.rows(statement).map { $0.int64(0) })
        }
        return SearchPage(fetched: fetched, limit: query.maxResults, offset: query.offset)
    }

    public func experimentActivity() async throws(AssayError) -> [String: ExperimentActivity] {
        try await read { s in
            var activity: [String: ExperimentActivity] = [:]
            let rows = try await s.rows(
                "SELECT experiment_id, COUNT(*), MAX(start_time) FROM runs WHERE lifecycle_stage = 'active' GROUP BY experiment_id")
            for row in rows {
                activity[String(row.int64(0))] = ExperimentActivity(runCount: Int(row.int64(1)), lastStartTime: row.int64(2))
            }
            return activity
        }
    }

    /// Runs `body` in a write on an experiment that exists (`notFound` otherwise).
    private func onExperiment(
        _ id: String, _ body: @escaping @Sendable (Database.Session, Int64) async throws -> Void
    ) async throws(AssayError) {
        guard let number = Int64(try await experiment(id: id).id) else { throw Failure.experimentNotFound(id) }
        try await write { s in try await body(s, number) }
    }

    public func renameExperiment(id: String, to name: String) async throws(AssayError) {
        try StoredText.check(name: name, of: "experiment")
        try await onExperiment(id) { s, number in
            if try await s.exists("SELECT 1 FROM experiments WHERE name = \(name) AND experiment_id <> \(number)") {
                throw Failure.experimentExists(name)
            }
            try await s.execute(
                "UPDATE experiments SET name = \(name), last_update_time = \(MetricPoint.now()) WHERE experiment_id = \(number)")
        }
    }

    public func setExperimentLifecycle(id: String, _ stage: LifecycleStage) async throws(AssayError) {
        try await onExperiment(id) { s, number in
            try await s.execute(
                """
                UPDATE experiments SET lifecycle_stage = \(stage.rawValue), last_update_time = \(MetricPoint.now())
                WHERE experiment_id = \(number)
                """
            )
            // Runs follow their experiment into and out of the bin.
            try await s.execute("UPDATE runs SET lifecycle_stage = \(stage.rawValue) WHERE experiment_id = \(number)")
        }
    }

    public func setExperimentTag(id: String, _ tag: KeyValue) async throws(AssayError) {
        try StoredText.check(tag, of: "experiment tag")
        try await onExperiment(id) { s, number in try await Self.upsertExperimentTags(s, number, [tag]) }
    }

    public func deleteExperimentTag(id: String, key: String) async throws(AssayError) {
        try await onExperiment(id) { s, number in
            guard try await s.exists("DELETE FROM experiment_tags WHERE experiment_id = \(number) AND key = \(key) RETURNING key") else {
                throw AssayError(.notFound, "No tag with name: \(key) in experiment with id \(id)")
            }
        }
    }

    private static func upsertExperimentTags(_ s: Database.Session, _ id: Int64, _ tags: [KeyValue]) async throws {
        for tag in lastPerKey(tags) {
            try await s.execute(
                """
                INSERT INTO experiment_tags (experiment_id, key, value) VALUES (\(id), \(tag.key), \(tag.value))
                ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value
                """)
        }
    }

    /// Experiments with their tags, in the order of `ids` (unknown ids are skipped).
    private static func loadExperiments(_ s: Database.Session, _ ids: [Int64]) async throws -> [Experiment] {
        var found: [Int64: Experiment] = [:]
        for start in stride(from: 0, to: ids.count, by: chunk) {
            let part = Array(ids[start..<min(start + chunk, ids.count)])
            let rows = try await s.rows(
                """
                SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time
                FROM experiments WHERE \("experiment_id", in: part)
                """)
            for row in rows {
                found[row.int64(0)] = Experiment(
                    id: String(row.int64(0)), name: row.string(1), artifactLocation: row.string(2),
                    lifecycleStage: LifecycleStage(rawValue: row.string(3)) ?? .active, creationTime: row.int64(4),
                    lastUpdateTime: row.int64(5), tags: [])
            }
            for row in try await s.rows(
                "SELECT experiment_id, key, value FROM experiment_tags WHERE \("experiment_id", in: part) ORDER BY key")
            {
                found[row.int64(0)]?.tags.append(KeyValue(row.string(1), row.string(2)))
            }
        }
        return ids.compactMap { found[$0] }
    }

    // MARK: - Runs

    public func createRun(
        in experimentID: String, named name: String?, startTime: Int64, userID: String?, tags: [KeyValue]
    )
        async throws(AssayError) -> RunInfo
    {
        try StoredText.check(name: name ?? "", of: "run")
        try StoredText.check(value: userID ?? "", of: "user_id")
        for tag in tags { try StoredText.check(tag, of: "tag") }
        let experiment = try await experiment(id: experimentID)
        let (info, allTags) = try RunInfo.new(in: experiment, named: name, startTime: startTime, userID: userID, tags: tags)
        guard let number = Int64(experiment.id) else { throw Failure.experimentNotFound(experimentID) }
        try await write { s in
            try await s.execute(
                """
                INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage)
                VALUES (\(info.id), \(number), \(info.name), \(info.userID), \(RunStatus.running.rawValue), \(startTime), NULL,
                    \(info.artifactURI), 'active')
                """)
            try await Self.upsertTags(s, info.id, allTags)
        }
        return info
    }

    public func run(id: String) async throws(AssayError) -> Run {
        guard let found = try await read({ s in try await Self.loadRuns(s, [id]).first }) else { throw Failure.runNotFound(id) }
        return found
    }

    public func updateRun(id: String, status: RunStatus?, endTime: Int64?, name: String?) async throws(AssayError) -> RunInfo {
        try StoredText.check(name: name ?? "", of: "run")
        return try await write { s in
            guard try await Self.loadRunInfo(s, id) != nil else { throw Failure.runNotFound(id) }
            if let status { try await s.execute("UPDATE runs SET status = \(status.rawValue) WHERE run_uuid = \(id)") }
            if let endTime { try await s.execute("UPDATE runs SET end_time = \(endTime) WHERE run_uuid = \(id)") }
            if let name { try await Self.upsertTags(s, id, [KeyValue("mlflow.runName", name)]) }
            guard let updated = try await Self.loadRunInfo(s, id) else { throw Failure.runNotFound(id) }
            return updated
        }
    }

    public func setRunLifecycle(id: String, _ stage: LifecycleStage) async throws(AssayError) {
        try await write { s in
            guard try await s.exists("UPDATE runs SET lifecycle_stage = \(stage.rawValue) WHERE run_uuid = \(id) RETURNING run_uuid") else {
                throw Failure.runNotFound(id)
            }
        }
    }

    public func purgeRun(id: String) async throws(AssayError) {
        try await write { s in
            guard let info = try await Self.loadRunInfo(s, id) else { throw Failure.runNotFound(id) }
            guard info.lifecycleStage == .deleted else {
                throw AssayError.invalidInput("run \(id) is not deleted; delete it first (only runs in the bin are purged)")
            }
            for table in ["params", "tags", "metrics", "latest_metrics", "inputs", "run_outputs", "run_model_inputs", "trace_runs"] {
                try await s.execute("DELETE FROM \(raw: table) WHERE run_uuid = \(id)")
            }
            try await s.execute("DELETE FROM runs WHERE run_uuid = \(id)")
        }
    }

    public func searchRuns(_ query: RunQuery) async throws(AssayError) -> SearchPage<Run> {
        let statement = SearchSQL.runs(query, dialect: database.dialect, limit: query.maxResults + 1, offset: query.offset)
        let fetched = try await read { s in try await Self.loadRuns(s, try await s.rows(statement).map { $0.string(0) }) }
        return SearchPage(fetched: fetched, limit: query.maxResults, offset: query.offset)
    }

    private static var runColumns: String {
        "run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage"
    }

    private static func runInfo(_ row: SQLRow) -> RunInfo {
        RunInfo(
            id: row.string(0), experimentID: String(row.int64(1)), name: row.string(2), userID: row.string(3),
            status: RunStatus(rawValue: row.string(4)) ?? .running, startTime: row.int64(5), endTime: row.optionalInt64(6),
            artifactURI: row.string(7), lifecycleStage: LifecycleStage(rawValue: row.string(8)) ?? .active)
    }

    static func loadRunInfo(_ s: Database.Session, _ id: String) async throws -> RunInfo? {
        try await s.first("SELECT \(raw: runColumns) FROM runs WHERE run_uuid = \(id)").map(runInfo)
    }

    /// Runs with their latest metrics, params, tags and inputs, in the order of `ids` (unknown ids are
    /// skipped): three statements per 500 runs rather than several per run.
    private static func loadRuns(_ s: Database.Session, _ ids: [String]) async throws -> [Run] {
        var runs: [String: Run] = [:]
        for start in stride(from: 0, to: ids.count, by: chunk) {
            let part = Array(ids[start..<min(start + chunk, ids.count)])
            // The runs; their latest metrics, params and tags as (kind, run, key, text, number, is_nan,
            // timestamp, step); their dataset inputs, model outputs and model inputs as (kind, run,
            // position, name or model, digest, source type, source, schema, profile, tags, step): three
            // statements, sent together where the database can.
            let found = try await s.rows(of: [
                "SELECT \(raw: runColumns) FROM runs WHERE \("run_uuid", in: part)",
                """
                SELECT 0, run_uuid, key, NULL, value, is_nan, timestamp, step FROM latest_metrics WHERE \("run_uuid", in: part)
                UNION ALL SELECT 1, run_uuid, key, value, NULL, 0, 0, 0 FROM params WHERE \("run_uuid", in: part)
                UNION ALL SELECT 2, run_uuid, key, value, NULL, 0, 0, 0 FROM tags WHERE \("run_uuid", in: part)
                """,
                """
                SELECT 0, run_uuid, position, name, digest, source_type, source, schema, profile, tags, NULL FROM inputs
                WHERE \("run_uuid", in: part)
                UNION ALL SELECT 1, run_uuid, position, model_id, NULL, NULL, NULL, NULL, NULL, NULL, step FROM run_outputs
                WHERE \("run_uuid", in: part)
                UNION ALL SELECT 2, run_uuid, position, model_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM run_model_inputs
                WHERE \("run_uuid", in: part)
                """,
            ])
            for row in found[0] {
                let info = runInfo(row)
                runs[info.id] = Run(info: info, metrics: [], params: [], tags: [], inputs: [])
            }
            for row in found[1] {
                let id = row.string(1)
                switch row.int64(0) {
                case 0:
                    let value = row.int64(5) == 1 ? Double.nan : (row.optionalDouble(4) ?? .nan)
                    runs[id]?.metrics.append(MetricPoint(key: row.string(2), value: value, timestamp: row.int64(6), step: row.int64(7)))
                case 1: runs[id]?.params.append(KeyValue(row.string(2), row.string(3)))
                default: runs[id]?.tags.append(KeyValue(row.string(2), row.string(3)))
                }
            }
            for row in found[2].sorted(by: { ($0.int64(0), $0.int64(2)) < ($1.int64(0), $1.int64(2)) }) {
                let id = row.string(1)
                switch row.int64(0) {
                case 0:
                    runs[id]?.inputs.append(
                        DatasetInput(
                            name: row.string(3), digest: row.string(4), sourceType: row.string(5), source: row.string(6),
                            schema: row.optionalString(7), profile: row.optionalString(8), tags: StoredJSON.pairs(row.string(9))))
                case 1: runs[id]?.modelOutputs.append(RunModelOutput(modelID: row.string(3), step: row.int64(10)))
                default: runs[id]?.modelInputs.append(row.string(3))
                }
            }
        }
        // Sorted here rather than by the database: keys by their UTF-8 bytes (SQLite's order for text,
        // whatever a PostgreSQL collation says), inputs and models by position.
        return ids.compactMap { id in
            guard var run = runs[id] else { return nil }
            run.metrics.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            run.params.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            run.tags.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            return run
        }
    }

    // MARK: - Logging

    public func logBatch(run id: String, metrics: [MetricPoint], params: [KeyValue], tags: [KeyValue]) async throws(AssayError) {
        for metric in metrics { try StoredText.check(name: metric.key, of: "metric") }
        for param in params { try StoredText.check(param, of: "param") }
        for tag in tags { try StoredText.check(tag, of: "tag") }
        try await write { s in
            guard let info = try await Self.loadRunInfo(s, id) else { throw Failure.runNotFound(id) }
            guard info.lifecycleStage == .active else {
                throw AssayError.invalidInput("The run \(id) must be in the 'active' state. Current state is deleted.")
            }
            try await Self.insertParams(s, id, params)
            try await Self.upsertTags(s, id, tags)
            try await Self.insertMetrics(s, id, metrics)
            try await Self.insertModelMetrics(s, info, metrics)
        }
    }

    /// Params are immutable: logging a key again with the same value is fine, a new value fails the batch.
    private static func insertParams(_ s: Database.Session, _ id: String, _ params: [KeyValue]) async throws {
        try await insertImmutable(s, params, table: "params", owner: ("run_uuid", id), named: "run ID")
    }

    /// The rule for params of runs and of logged models: a key logged again with the same value is
    /// fine, with a new value it fails (and with it the whole write).
    static func insertImmutable(
        _ s: Database.Session, _ params: [KeyValue], table: String, owner: (column: String, id: String), named: String
    ) async throws {
        guard !params.isEmpty else { return }
        var logged: [String: String] = [:]
        for row in try await s.rows(
            "SELECT key, value FROM \(raw: table) WHERE \(raw: owner.column) = \(owner.id) AND \("key", in: params.map(\.key))")
        {
            logged[row.string(0)] = row.string(1)
        }
        var fresh: [KeyValue] = []
        for param in params {
            if let existing = logged[param.key] {
                guard existing == param.value else {
                    throw AssayError.invalidInput(
                        "Changing param values is not allowed. Param with key='\(param.key)' was already logged with value='\(existing)' "
                            + "for \(named)='\(owner.id)'. Attempted logging new value '\(param.value)'."
                    )
                }
                continue
            }
            logged[param.key] = param.value
            fresh.append(param)
        }
        for part in chunks(fresh, of: chunk) {
            try await s.execute(
                """
                INSERT INTO \(raw: table) (\(raw: owner.column), key, value) VALUES \(values(part) { "(\(owner.id), \($0.key), \($0.value))" })
                """)
        }
    }

    /// Tags are set, the last value of a key in the batch winning; `mlflow.runName` renames the run.
    private static func upsertTags(_ s: Database.Session, _ id: String, _ tags: [KeyValue]) async throws {
        let unique = lastPerKey(tags)
        for part in chunks(unique, of: chunk) {
            try await s.execute(
                """
                INSERT INTO tags (run_uuid, key, value) VALUES \(values(part) { "(\(id), \($0.key), \($0.value))" })
                ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value
                """)
        }
        if let name = unique.last(where: { $0.key == "mlflow.runName" }) {
            try await s.execute("UPDATE runs SET name = \(name.value) WHERE run_uuid = \(id)")
        }
    }

    /// Every point goes into the history; the latest per key is the greatest by (step, timestamp, value)
    /// with NaN above every number, compared in SQL with what is stored.
    private static func insertMetrics(_ s: Database.Session, _ id: String, _ metrics: [MetricPoint]) async throws {
        guard !metrics.isEmpty else { return }
        func row(_ p: MetricPoint) -> SQL {
            "(\(id), \(p.key), \(p.value.isNaN ? nil : p.value), \(p.value.isNaN ? 1 : 0), \(p.timestamp), \(p.step))"
        }
        for part in chunks(metrics, of: chunk) {
            try await s.execute("INSERT INTO metrics (run_uuid, key, value, is_nan, timestamp, step) VALUES \(values(part, row))")
        }
        var latest: [String: MetricPoint] = [:]
        var order: [String] = []
        for point in metrics {
            if let current = latest[point.key] {
                if MetricPoint.latestOrder(point, current) { latest[point.key] = point }
            } else {
                latest[point.key] = point
                order.append(point.key)
            }
        }
        for part in chunks(order.compactMap { latest[$0] }, of: chunk) {
            try await s.execute(
                """
                INSERT INTO latest_metrics (run_uuid, key, value, is_nan, timestamp, step) VALUES \(values(part, row))
                ON CONFLICT (run_uuid, key) DO UPDATE
                SET value = excluded.value, is_nan = excluded.is_nan, timestamp = excluded.timestamp, step = excluded.step
                WHERE (excluded.step, excluded.timestamp, excluded.is_nan, COALESCE(excluded.value, 0))
                    > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.is_nan, COALESCE(latest_metrics.value, 0))
                """)
        }
    }

    public func deleteTag(run id: String, key: String) async throws(AssayError) {
        try await write { s in
            guard let info = try await Self.loadRunInfo(s, id) else { throw Failure.runNotFound(id) }
            guard info.lifecycleStage == .active else {
                throw AssayError.invalidInput("The run \(id) must be in the 'active' state. Current state is deleted.")
            }
            guard try await s.exists("DELETE FROM tags WHERE run_uuid = \(id) AND key = \(key) RETURNING key") else {
                throw AssayError(.notFound, "No tag with name: \(key) in run with id \(id)")
            }
        }
    }

    public func metricHistory(run id: String, key: String) async throws(AssayError) -> [MetricPoint] {
        try await read { s in
            guard try await Self.loadRunInfo(s, id) != nil else { throw Failure.runNotFound(id) }
            return try await s.rows(
                """
                SELECT key, value, is_nan, timestamp, step FROM metrics WHERE run_uuid = \(id) AND key = \(key)
                ORDER BY timestamp, step, is_nan, value
                """
            ).map { Self.metric($0, from: 0) }
        }
    }

    public func logInputs(run id: String, datasets: [DatasetInput]) async throws(AssayError) {
        for dataset in datasets {
            try StoredText.check(name: dataset.name, of: "dataset")
            for (field, value) in [
                ("digest", dataset.digest), ("source", dataset.source), ("schema", dataset.schema ?? ""),
                ("profile", dataset.profile ?? ""),
            ] {
                try StoredText.check(value: value, of: "dataset \(field)")
            }
            for tag in dataset.tags { try StoredText.check(tag, of: "dataset tag") }
        }
        try await write { s in
            guard try await Self.loadRunInfo(s, id) != nil else { throw Failure.runNotFound(id) }
            var position = (try await s.first("SELECT MAX(position) FROM inputs WHERE run_uuid = \(id)")?.optionalInt64(0) ?? -1) + 1
            for dataset in datasets {
                if try await s.exists(
                    "SELECT 1 FROM inputs WHERE run_uuid = \(id) AND name = \(dataset.name) AND digest = \(dataset.digest)")
                {
                    continue
                }
                try await s.execute(
                    """
                    INSERT INTO inputs (run_uuid, position, name, digest, source_type, source, schema, profile, tags)
                    VALUES (\(id), \(position), \(dataset.name), \(dataset.digest), \(dataset.sourceType), \(dataset.source),
                        \(dataset.schema), \(dataset.profile), \(StoredJSON.list(dataset.tags)))
                    """)
                position += 1
            }
        }
    }

    /// A metric point from the columns key, value, is_nan, timestamp, step starting at `first`.
    private static func metric(_ row: SQLRow, from first: Int) -> MetricPoint {
        let value = row.int64(first + 2) == 1 ? Double.nan : (row.optionalDouble(first + 1) ?? .nan)
        return MetricPoint(key: row.string(first), value: value, timestamp: row.int64(first + 3), step: row.int64(first + 4))
    }

    // MARK: - Statement helpers

    /// `(…), (…), …`: one VALUES row per item.
    static func values<T>(_ items: some Collection<T>, _ row: (T) -> SQL) -> SQL {
        SQL.joined(items.map(row), separator: ", ")
    }

    static func chunks<T>(_ items: [T], of size: Int) -> [ArraySlice<T>] {
        stride(from: 0, to: items.count, by: size).map { items[$0..<min($0 + size, items.count)] }
    }

    /// One pair per key, the last given winning, in the order the keys first came.
    static func lastPerKey(_ pairs: [KeyValue]) -> [KeyValue] {
        var index: [String: Int] = [:]
        var result: [KeyValue] = []
        for pair in pairs {
            if let i = index[pair.key] {
                result[i] = pair
            } else {
                index[pair.key] = result.count
                result.append(pair)
            }
        }
        return result
    }
}

extension MetricPoint {
    /// Whether `a` replaces `b` as a key's latest value: greater by (step, timestamp, value), NaN above
    /// every number. The SQL upsert compares in the same order.
    static func latestOrder(_ a: MetricPoint, _ b: MetricPoint) -> Bool {
        let aNaN = a.value.isNaN ? 1 : 0
        let bNaN = b.value.isNaN ? 1 : 0
        let aValue = a.value.isNaN ? 0 : a.value
        let bValue = b.value.isNaN ? 0 : b.value
        return (a.step, a.timestamp, aNaN, aValue) > (b.step, b.timestamp, bNaN, bValue)
    }
}
