public import Assay
import Foundation
import GRDB

/// The embedded tracking store: one SQLite database (WAL) holding experiments, runs, params, tags,
/// metrics with their full history, and dataset inputs.
///
/// ```swift
/// let store = try SQLiteTrackingStore(path: "assay.db")
/// let run = try await store.createRun(in: "0", named: nil, startTime: MetricPoint.now(), userID: nil, tags: [])
/// ```
public final class SQLiteTrackingStore: TraceStore {
    private let writer: any DatabaseWriter
    /// The root that new experiments' artifact locations are made from.
    public let artifactRoot: String

    /// Opens (creating and migrating if needed) the database at `path`.
    public init(path: String, artifactRoot: String = "mlflow-artifacts:") throws(AssayError) {
        do {
            var configuration = Configuration()
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                db.add(function: LikePattern.sqlFunction)
            }
            configuration.busyMode = .timeout(30)
            writer = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw .invalidInput("cannot open the tracking database \(path): \(error)")
        }
        self.artifactRoot = artifactRoot
        try migrate()
    }

    /// An in-memory store, for tests.
    public init(inMemoryWithArtifactRoot artifactRoot: String = "mlflow-artifacts:") throws(AssayError) {
        do {
            var configuration = Configuration()
            configuration.prepareDatabase { db in db.add(function: LikePattern.sqlFunction) }
            writer = try DatabaseQueue(configuration: configuration)
        } catch {
            throw .internal("cannot open an in-memory database: \(error)")
        }
        self.artifactRoot = artifactRoot
        try migrate()
    }

    private func migrate() throws(AssayError) {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: experiments, runs, params, tags, metrics, inputs") { db in
            try db.execute(
                sql: """
                    CREATE TABLE experiments (
                        experiment_id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE,
                        artifact_location TEXT NOT NULL,
                        lifecycle_stage TEXT NOT NULL DEFAULT 'active',
                        creation_time INTEGER NOT NULL,
                        last_update_time INTEGER NOT NULL);
                    CREATE TABLE experiment_tags (
                        experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id) ON DELETE CASCADE,
                        key TEXT NOT NULL, value TEXT NOT NULL,
                        PRIMARY KEY (experiment_id, key));
                    CREATE TABLE runs (
                        run_uuid TEXT PRIMARY KEY,
                        experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
                        name TEXT NOT NULL,
                        user_id TEXT NOT NULL,
                        status TEXT NOT NULL,
                        start_time INTEGER NOT NULL,
                        end_time INTEGER,
                        artifact_uri TEXT NOT NULL,
                        lifecycle_stage TEXT NOT NULL DEFAULT 'active');
                    CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time);
                    CREATE TABLE params (
                        run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
                        key TEXT NOT NULL, value TEXT NOT NULL,
                        PRIMARY KEY (run_uuid, key));
                    CREATE TABLE tags (
                        run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
                        key TEXT NOT NULL, value TEXT NOT NULL,
                        PRIMARY KEY (run_uuid, key));
                    -- SQLite stores NaN as NULL, so NaN is a flag beside the value.
                    CREATE TABLE metrics (
                        run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
                        key TEXT NOT NULL, value REAL, is_nan INTEGER NOT NULL DEFAULT 0,
                        timestamp INTEGER NOT NULL, step INTEGER NOT NULL);
                    CREATE INDEX metrics_by_run_key ON metrics (run_uuid, key, timestamp, step);
                    CREATE TABLE latest_metrics (
                        run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
                        key TEXT NOT NULL, value REAL, is_nan INTEGER NOT NULL DEFAULT 0,
                        timestamp INTEGER NOT NULL, step INTEGER NOT NULL,
                        PRIMARY KEY (run_uuid, key));
                    CREATE TABLE inputs (
                        run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
                        position INTEGER NOT NULL,
                        name TEXT NOT NULL, digest TEXT NOT NULL, source_type TEXT NOT NULL, source TEXT NOT NULL,
                        schema TEXT, profile TEXT, tags TEXT NOT NULL,
                        PRIMARY KEY (run_uuid, position));
                    """)
            let now = MetricPoint.now()
            try db.execute(
                sql: "INSERT INTO experiments VALUES (0, 'Default', ?, 'active', ?, ?)",
                arguments: [self.artifactRoot + "/0", now, now])
        }
        migrator.registerMigration("v2: traces, spans, assessments") { db in
            try db.execute(
                sql: """
                    CREATE TABLE traces (
                        trace_id TEXT PRIMARY KEY,
                        experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
                        name TEXT NOT NULL, start_time INTEGER NOT NULL, end_time INTEGER NOT NULL, status TEXT NOT NULL,
                        span_count INTEGER NOT NULL, model TEXT, input_tokens INTEGER, output_tokens INTEGER,
                        inputs TEXT, outputs TEXT, context TEXT NOT NULL, instructions TEXT);
                    CREATE INDEX traces_by_experiment ON traces (experiment_id, start_time);
                    CREATE TABLE spans (
                        trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_span_id TEXT, name TEXT NOT NULL, kind TEXT NOT NULL,
                        start_time INTEGER NOT NULL, end_time INTEGER NOT NULL, status_code TEXT NOT NULL, status_message TEXT NOT NULL,
                        attributes TEXT NOT NULL, events TEXT NOT NULL, resource TEXT NOT NULL,
                        PRIMARY KEY (trace_id, span_id));
                    CREATE TABLE assessments (
                        trace_id TEXT NOT NULL, name TEXT NOT NULL, value REAL, rationale TEXT, run_uuid TEXT NOT NULL,
                        PRIMARY KEY (trace_id, name, run_uuid));
                    """)
        }
        do {
            try migrator.migrate(writer)
        } catch {
            throw .internal("cannot migrate the tracking database: \(error)")
        }
    }

    private func perform<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(AssayError) -> T {
        do {
            return try await writer.write(body)
        } catch let error as AssayError {
            throw error
        } catch {
            throw .internal("tracking database: \(error)")
        }
    }

    /// Reads run concurrently with each other and with the writer (WAL).
    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(AssayError) -> T {
        do {
            return try await writer.read(body)
        } catch let error as AssayError {
            throw error
        } catch {
            throw .internal("tracking database: \(error)")
        }
    }

    /// `?` for SQLite; NaN is a flag beside the value; LIKE through ``LikePattern`` because SQLite's own
    /// LIKE ignores case.
    static let dialect = SearchSQL.Dialect(
        placeholder: { _ in "?" },
        metricIsNumber: { "\($0).is_nan = 0" },
        like: { column, pattern, caseSensitive in "assay_like(\(pattern), \(column), \(caseSensitive ? 1 : 0))" },
        binaryText: { $0 })

    private static func arguments(_ arguments: [SearchSQL.Argument]) -> StatementArguments {
        StatementArguments(
            arguments.map { argument -> any DatabaseValueConvertible in
                switch argument {
                case .text(let s): s
                case .real(let d): d
                case .integer(let i): i
                }
            })
    }

    /// SQLite's own consistency check of the database file: no lines when it is sound, else what is wrong.
    public func integrityProblems() async throws(AssayError) -> [String] {
        let lines = try await read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        return lines == ["ok"] ? [] : lines
    }

    // MARK: - Experiments

    public func createExperiment(named name: String, artifactLocation: String?, tags: [KeyValue]) async throws(AssayError)
        -> Experiment
    {
        guard !name.isEmpty else { throw .invalidInput("an experiment needs a name") }
        let root = artifactRoot
        let id: Int64 = try await perform { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM experiments WHERE name = ?", arguments: [name]) == true {
                throw AssayError(.alreadyExists, "Experiment '\(name)' already exists.")
            }
            let next = (try Int64.fetchOne(db, sql: "SELECT MAX(experiment_id) FROM experiments") ?? 0) + 1
            let now = MetricPoint.now()
            try db.execute(
                sql: "INSERT INTO experiments VALUES (?, ?, ?, 'active', ?, ?)",
                arguments: [next, name, artifactLocation ?? "\(root)/\(next)", now, now])
            for tag in tags {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO experiment_tags VALUES (?, ?, ?)", arguments: [next, tag.key, tag.value])
            }
            return next
        }
        return try await experiment(id: String(id))
    }

    public func experiment(id: String) async throws(AssayError) -> Experiment {
        guard let number = Int64(id) else { throw AssayError(.notFound, "No Experiment with id=\(id) exists") }
        let found: Experiment? = try await read { db in try Self.loadExperiment(db, where: "experiment_id = ?", number) }
        guard let found else { throw AssayError(.notFound, "No Experiment with id=\(id) exists") }
        return found
    }

    public func experiment(named name: String) async throws(AssayError) -> Experiment? {
        try await read { db in try Self.loadExperiment(db, where: "name = ?", name) }
    }

    public func searchExperiments(_ query: ExperimentQuery) async throws(AssayError) -> SearchPage<Experiment> {
        let statement = SearchSQL.experiments(query, dialect: Self.dialect, limit: query.maxResults + 1, offset: query.offset)
        let fetched = try await read { db in
            let ids = try Int64.fetchAll(db, sql: statement.sql, arguments: Self.arguments(statement.arguments))
            return try ids.compactMap { try Self.loadExperiment(db, where: "experiment_id = ?", $0) }
        }
        return SearchPage(fetched: fetched, limit: query.maxResults, offset: query.offset)
    }

    public func experimentActivity() async throws(AssayError) -> [String: ExperimentActivity] {
        try await read { db in
            var activity: [String: ExperimentActivity] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT experiment_id, COUNT(*) AS n, MAX(start_time) AS last FROM runs WHERE lifecycle_stage = 'active' GROUP BY experiment_id")
            {
                let id: Int64 = row["experiment_id"]
                activity[String(id)] = ExperimentActivity(runCount: row["n"], lastStartTime: row["last"])
            }
            return activity
        }
    }

    /// Runs `body` in a write on an experiment that exists (`notFound` otherwise).
    private func onExperiment(_ id: String, _ body: @escaping @Sendable (Database, Int64) throws -> Void) async throws(AssayError) {
        guard let number = Int64(try await experiment(id: id).id) else { return }
        try await perform { db in try body(db, number) }
    }

    public func renameExperiment(id: String, to name: String) async throws(AssayError) {
        try await onExperiment(id) { db, number in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM experiments WHERE name = ? AND experiment_id != ?", arguments: [name, number]) == true {
                throw AssayError(.alreadyExists, "Experiment '\(name)' already exists.")
            }
            try db.execute(
                sql: "UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?",
                arguments: [name, MetricPoint.now(), number])
        }
    }

    public func setExperimentLifecycle(id: String, _ stage: LifecycleStage) async throws(AssayError) {
        try await onExperiment(id) { db, number in
            try db.execute(
                sql: "UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ?",
                arguments: [stage.rawValue, MetricPoint.now(), number])
            // Runs follow their experiment into and out of the bin.
            try db.execute(sql: "UPDATE runs SET lifecycle_stage = ? WHERE experiment_id = ?", arguments: [stage.rawValue, number])
        }
    }

    public func setExperimentTag(id: String, _ tag: KeyValue) async throws(AssayError) {
        try await onExperiment(id) { db, number in
            try db.execute(sql: "INSERT OR REPLACE INTO experiment_tags VALUES (?, ?, ?)", arguments: [number, tag.key, tag.value])
        }
    }

    private static func loadExperiment(_ db: Database, where condition: String, _ argument: some DatabaseValueConvertible & Sendable)
        throws -> Experiment?
    {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM experiments WHERE \(condition)", arguments: [argument]) else {
            return nil
        }
        let id: Int64 = row["experiment_id"]
        let tags = try Row.fetchAll(db, sql: "SELECT key, value FROM experiment_tags WHERE experiment_id = ? ORDER BY key", arguments: [id])
            .map { KeyValue($0["key"], $0["value"]) }
        return Experiment(
            id: String(id), name: row["name"], artifactLocation: row["artifact_location"],
            lifecycleStage: LifecycleStage(rawValue: row["lifecycle_stage"]) ?? .active, creationTime: row["creation_time"],
            lastUpdateTime: row["last_update_time"], tags: tags)
    }

    // MARK: - Runs

    public func createRun(in experimentID: String, named name: String?, startTime: Int64, userID: String?, tags: [KeyValue])
        async throws(AssayError) -> RunInfo
    {
        let (info, allTags) = try RunInfo.new(
            in: try await experiment(id: experimentID), named: name, startTime: startTime, userID: userID, tags: tags)
        let (id, runName, user) = (info.id, info.name, info.userID)
        try await perform { db in
            try db.execute(
                sql: "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, NULL, ?, 'active')",
                arguments: [id, Int64(experimentID), runName, user, RunStatus.running.rawValue, startTime, info.artifactURI])
            for tag in allTags {
                try db.execute(sql: "INSERT OR REPLACE INTO tags VALUES (?, ?, ?)", arguments: [id, tag.key, tag.value])
            }
        }
        return info
    }

    public func run(id: String) async throws(AssayError) -> Run {
        let found = try await read { db in try Self.loadRuns(db, [id]).first }
        guard let found else { throw AssayError(.notFound, "Run with id=\(id) not found") }
        return found
    }

    /// Runs with their latest metrics, params, tags and inputs, in the order of `ids` (unknown ids are
    /// skipped), a few statements per 500 runs rather than several per run.
    private static func loadRuns(_ db: Database, _ ids: [String]) throws -> [Run] {
        var runs: [String: Run] = [:]
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[start..<min(start + 500, ids.count)])
            let marks = chunk.map { _ in "?" }.joined(separator: ",")
            let arguments = StatementArguments(chunk)
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM runs WHERE run_uuid IN (\(marks))"), arguments: arguments) {
                let info = runInfo(row)
                runs[info.id] = Run(info: info, metrics: [], params: [], tags: [], inputs: [])
            }
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM latest_metrics WHERE run_uuid IN (\(marks)) ORDER BY key"), arguments: arguments) {
                runs[row["run_uuid"]]?.metrics.append(metric(row))
            }
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM params WHERE run_uuid IN (\(marks)) ORDER BY key"), arguments: arguments) {
                runs[row["run_uuid"]]?.params.append(KeyValue(row["key"], row["value"]))
            }
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM tags WHERE run_uuid IN (\(marks)) ORDER BY key"), arguments: arguments) {
                runs[row["run_uuid"]]?.tags.append(KeyValue(row["key"], row["value"]))
            }
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM inputs WHERE run_uuid IN (\(marks)) ORDER BY position"), arguments: arguments) {
                runs[row["run_uuid"]]?.inputs.append(
                    DatasetInput(
                        name: row["name"], digest: row["digest"], sourceType: row["source_type"], source: row["source"],
                        schema: row["schema"], profile: row["profile"], tags: KeyValue.pairs(fromJSONList: row["tags"])))
            }
        }
        return ids.compactMap { runs[$0] }
    }

    public func updateRun(id: String, status: RunStatus?, endTime: Int64?, name: String?) async throws(AssayError) -> RunInfo {
        let updated: RunInfo? = try await perform { db in
            guard try Self.loadRunInfo(db, id) != nil else { return nil }
            if let status { try db.execute(sql: "UPDATE runs SET status = ? WHERE run_uuid = ?", arguments: [status.rawValue, id]) }
            if let endTime { try db.execute(sql: "UPDATE runs SET end_time = ? WHERE run_uuid = ?", arguments: [endTime, id]) }
            if let name {
                try db.execute(sql: "UPDATE runs SET name = ? WHERE run_uuid = ?", arguments: [name, id])
                try db.execute(sql: "INSERT OR REPLACE INTO tags VALUES (?, 'mlflow.runName', ?)", arguments: [id, name])
            }
            return try Self.loadRunInfo(db, id)
        }
        guard let updated else { throw AssayError(.notFound, "Run with id=\(id) not found") }
        return updated
    }

    public func setRunLifecycle(id: String, _ stage: LifecycleStage) async throws(AssayError) {
        let changed: Bool = try await perform { db in
            try db.execute(sql: "UPDATE runs SET lifecycle_stage = ? WHERE run_uuid = ?", arguments: [stage.rawValue, id])
            return db.changesCount > 0
        }
        guard changed else { throw AssayError(.notFound, "Run with id=\(id) not found") }
    }

    public func searchRuns(_ query: RunQuery) async throws(AssayError) -> SearchPage<Run> {
        let statement = SearchSQL.runs(query, dialect: Self.dialect, limit: query.maxResults + 1, offset: query.offset)
        let fetched = try await read { db in
            let ids = try String.fetchAll(db, sql: statement.sql, arguments: Self.arguments(statement.arguments))
            return try Self.loadRuns(db, ids)
        }
        return SearchPage(fetched: fetched, limit: query.maxResults, offset: query.offset)
    }

    private static func loadRunInfo(_ db: Database, _ id: String) throws -> RunInfo? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM runs WHERE run_uuid = ?"), arguments: [id]) else {
            return nil
        }
        return runInfo(row)
    }

    private static func runInfo(_ row: Row) -> RunInfo {
        let experimentID: Int64 = row["experiment_id"]
        return RunInfo(
            id: row["run_uuid"], experimentID: String(experimentID), name: row["name"], userID: row["user_id"],
            status: RunStatus(rawValue: row["status"]) ?? .running, startTime: row["start_time"], endTime: row["end_time"],
            artifactURI: row["artifact_uri"], lifecycleStage: LifecycleStage(rawValue: row["lifecycle_stage"]) ?? .active)
    }

    // MARK: - Logging

    public func logBatch(run id: String, metrics: [MetricPoint], params: [KeyValue], tags: [KeyValue]) async throws(AssayError) {
        try await perform { db in
            guard let info = try Self.loadRunInfo(db, id) else { throw AssayError(.notFound, "Run with id=\(id) not found") }
            guard info.lifecycleStage == .active else {
                throw AssayError.invalidInput("The run \(id) must be in the 'active' state. Current state is deleted.")
            }
            for param in params {
                if let existing = try String.fetchOne(
                    db.cachedStatement(sql: "SELECT value FROM params WHERE run_uuid = ? AND key = ?"), arguments: [id, param.key])
                {
                    guard existing == param.value else {
                        throw AssayError.invalidInput(
                            "Changing param values is not allowed. Param with key='\(param.key)' was already logged with value='\(existing)' for run ID='\(id)'. Attempted logging new value '\(param.value)'.")
                    }
                    continue
                }
                try db.cachedStatement(sql: "INSERT INTO params VALUES (?, ?, ?)").execute(arguments: [id, param.key, param.value])
            }
            for tag in tags {
                try db.cachedStatement(sql: "INSERT OR REPLACE INTO tags VALUES (?, ?, ?)").execute(arguments: [id, tag.key, tag.value])
                if tag.key == "mlflow.runName" {
                    try db.execute(sql: "UPDATE runs SET name = ? WHERE run_uuid = ?", arguments: [tag.value, id])
                }
            }
            let insert = try db.cachedStatement(sql: "INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)")
            // The latest value per key is the greatest by (step, timestamp, value), NaN above every number.
            let latest = try db.cachedStatement(
                sql: """
                    INSERT INTO latest_metrics VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                    ON CONFLICT (run_uuid, key) DO UPDATE
                    SET value = excluded.value, is_nan = excluded.is_nan, timestamp = excluded.timestamp, step = excluded.step
                    WHERE (excluded.step, excluded.timestamp, CASE WHEN excluded.is_nan = 1 THEN 9e999 ELSE excluded.value END)
                        > (latest_metrics.step, latest_metrics.timestamp,
                           CASE WHEN latest_metrics.is_nan = 1 THEN 9e999 ELSE latest_metrics.value END)
                    """)
            for point in metrics {
                let arguments: StatementArguments = [
                    id, point.key, point.value.isNaN ? nil : point.value, point.value.isNaN ? 1 : 0, point.timestamp, point.step,
                ]
                try insert.execute(arguments: arguments)
                try latest.execute(arguments: arguments)
            }
        }
    }

    public func deleteTag(run id: String, key: String) async throws(AssayError) {
        try await perform { db in
            guard try Self.loadRunInfo(db, id) != nil else { throw AssayError(.notFound, "Run with id=\(id) not found") }
            try db.execute(sql: "DELETE FROM tags WHERE run_uuid = ? AND key = ?", arguments: [id, key])
            guard db.changesCount > 0 else {
                throw AssayError(.notFound, "No tag with name: \(key) in run with id \(id)")
            }
        }
    }

    public func metricHistory(run id: String, key: String) async throws(AssayError) -> [MetricPoint] {
        try await read { db in
            guard try Self.loadRunInfo(db, id) != nil else { throw AssayError(.notFound, "Run with id=\(id) not found") }
            return try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM metrics WHERE run_uuid = ? AND key = ? ORDER BY timestamp, step, value"),
                arguments: [id, key]
            ).map(Self.metric)
        }
    }

    public func logInputs(run id: String, datasets: [DatasetInput]) async throws(AssayError) {
        try await perform { db in
            guard try Self.loadRunInfo(db, id) != nil else { throw AssayError(.notFound, "Run with id=\(id) not found") }
            var position = (try Int.fetchOne(db, sql: "SELECT MAX(position) FROM inputs WHERE run_uuid = ?", arguments: [id]) ?? -1) + 1
            for dataset in datasets {
                let exists = try Bool.fetchOne(
                    db, sql: "SELECT 1 FROM inputs WHERE run_uuid = ? AND name = ? AND digest = ?",
                    arguments: [id, dataset.name, dataset.digest]) == true
                if exists { continue }
                try db.execute(
                    sql: "INSERT INTO inputs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        id, position, dataset.name, dataset.digest, dataset.sourceType, dataset.source, dataset.schema,
                        dataset.profile, KeyValue.jsonList(dataset.tags),
                    ])
                position += 1
            }
        }
    }

    private static func metric(_ row: Row) -> MetricPoint {
        let isNaN: Int = row["is_nan"]
        let value: Double? = row["value"]
        return MetricPoint(key: row["key"], value: isNaN == 1 ? .nan : (value ?? .nan), timestamp: row["timestamp"], step: row["step"])
    }


    // MARK: - Traces

    public func ingest(_ spans: [SpanRecord], experimentID: String) async throws(AssayError) {
        guard !spans.isEmpty else { return }
        guard let experiment = Int64(try await experiment(id: experimentID).id) else { return }
        try await perform { db in
            let upsert = try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO spans VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            for span in spans {
                let json = span.storedJSON
                try upsert.execute(arguments: [
                    span.traceID, span.spanID, span.parentSpanID, span.name, span.kind, span.startTimeNanos, span.endTimeNanos,
                    span.statusCode, span.statusMessage, json.attributes, json.events, json.resource,
                ])
            }
            for traceID in Set(spans.map(\.traceID)) {
                let owner = try Int64.fetchOne(db, sql: "SELECT experiment_id FROM traces WHERE trace_id = ?", arguments: [traceID]) ?? experiment
                let all = try Self.spans(db, traceID)
                let summary = TraceSummary.make(traceID: traceID, experimentID: String(owner), spans: all)
                try db.cachedStatement(sql: "INSERT OR REPLACE INTO traces VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").execute(arguments: [
                    traceID, owner, summary.name, summary.startTimeNanos, summary.endTimeNanos, summary.status, summary.spanCount,
                    summary.model, summary.inputTokens, summary.outputTokens, summary.inputs, summary.outputs, summary.contextJSON,
                    summary.instructions,
                ])
            }
        }
    }

    private static func spans(_ db: Database, _ traceID: String) throws -> [SpanRecord] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM spans WHERE trace_id = ? ORDER BY start_time, span_id"), arguments: [traceID]).map { row in
            SpanRecord.stored(
                traceID: row["trace_id"], spanID: row["span_id"], parentSpanID: row["parent_span_id"], name: row["name"], kind: row["kind"],
                start: row["start_time"], end: row["end_time"], statusCode: row["status_code"], statusMessage: row["status_message"],
                attributes: row["attributes"], events: row["events"], resource: row["resource"])
        }
    }

    private static func summary(_ row: Row) -> TraceSummary {
        let experimentID: Int64 = row["experiment_id"]
        return TraceSummary(
            traceID: row["trace_id"], experimentID: String(experimentID), name: row["name"], startTimeNanos: row["start_time"],
            endTimeNanos: row["end_time"], status: row["status"], spanCount: row["span_count"], model: row["model"],
            inputTokens: row["input_tokens"], outputTokens: row["output_tokens"], inputs: row["inputs"], outputs: row["outputs"],
            context: TraceSummary.context(fromJSON: row["context"]), instructions: row["instructions"])
    }

    public func traces(in experimentID: String, since: Int64?, limit: Int, offset: Int) async throws(AssayError) -> [TraceSummary] {
        guard let experiment = Int64(experimentID) else { return [] }
        return try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM traces WHERE experiment_id = ? AND start_time >= ? ORDER BY start_time DESC, trace_id LIMIT ? OFFSET ?",
                arguments: [experiment, since ?? Int64.min, limit, offset]
            ).map(Self.summary)
        }
    }

    public func trace(id: String) async throws(AssayError) -> (TraceSummary, [SpanRecord], [TraceAssessment]) {
        let found: (TraceSummary, [SpanRecord], [TraceAssessment])? = try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM traces WHERE trace_id = ?", arguments: [id]) else { return nil }
            let assessments = try Row.fetchAll(db, sql: "SELECT * FROM assessments WHERE trace_id = ? ORDER BY run_uuid, name", arguments: [id]).map {
                TraceAssessment(traceID: $0["trace_id"], name: $0["name"], value: $0["value"], rationale: $0["rationale"], runID: $0["run_uuid"])
            }
            return (Self.summary(row), try Self.spans(db, id), assessments)
        }
        guard let found else { throw AssayError(.notFound, "No trace with id \(id)") }
        return found
    }

    public func logAssessments(_ assessments: [TraceAssessment]) async throws(AssayError) {
        try await perform { db in
            let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO assessments VALUES (?, ?, ?, ?, ?)")
            for a in assessments { try statement.execute(arguments: [a.traceID, a.name, a.value, a.rationale, a.runID]) }
        }
    }
}
