import Assay

/// The tracking schema, declared once for every SQL database. Column types are ones SQLite and
/// PostgreSQL both read the same way (`BIGINT` has integer affinity in SQLite); only the generated
/// experiment key differs. NaN is a flag beside a NULL value, because SQLite cannot store NaN.
package enum Schema {
    package static let v1 = "v1: experiments, runs, params, tags, metrics, inputs"
    package static let v2 = "v2: traces, spans, assessments"
    package static let v3 = "v3: metrics keep NaN as a flag"
    package static let v4 = "v4: traces keep the tools they ran"
    package static let v5 = "v5: MLflow 3: logged models, run outputs, trace info, tags and links, assessments by id"
    package static let v6 = "v6: evaluation datasets and their records, registered scorers, online scoring"
    package static let v7 = "v7: the logged models a run took as inputs"
    package static let v8 = "v8: metrics logged for logged models"
    package static let v9 = "v9: server state shared by replicas: secrets, web UI sessions"
    package static let v10 = "v10: assessments found by their run (the web UI's reviews of a run's rows)"
    /// Every migration's name, in the order they run: what a fully migrated database has recorded.
    package static let names = [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10]

    static func migrations(dialect: SQLDialect, artifactRoot: String) -> [SQLMigration] {
        let now = MetricPoint.now()
        let first: [String] = [
            """
            CREATE TABLE experiments (
                experiment_id \(dialect.generatedKey),
                name TEXT NOT NULL UNIQUE, artifact_location TEXT NOT NULL,
                lifecycle_stage TEXT NOT NULL DEFAULT 'active', creation_time BIGINT NOT NULL, last_update_time BIGINT NOT NULL)
            """,
            """
            CREATE TABLE experiment_tags (
                experiment_id BIGINT NOT NULL REFERENCES experiments(experiment_id) ON DELETE CASCADE,
                key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (experiment_id, key))
            """,
            """
            CREATE TABLE runs (
                run_uuid TEXT PRIMARY KEY, experiment_id BIGINT NOT NULL REFERENCES experiments(experiment_id),
                name TEXT NOT NULL, user_id TEXT NOT NULL, status TEXT NOT NULL, start_time BIGINT NOT NULL, end_time BIGINT,
                artifact_uri TEXT NOT NULL, lifecycle_stage TEXT NOT NULL DEFAULT 'active')
            """,
            "CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time)",
            """
            CREATE TABLE params (
                run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
                key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_uuid, key))
            """,
            """
            CREATE TABLE tags (
                run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
                key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_uuid, key))
            """,
            """
            CREATE TABLE metrics (
                run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
                key TEXT NOT NULL, value DOUBLE PRECISION, is_nan INTEGER NOT NULL DEFAULT 0,
                timestamp BIGINT NOT NULL, step BIGINT NOT NULL)
            """,
            "CREATE INDEX metrics_by_run_key ON metrics (run_uuid, key, timestamp, step)",
            """
            CREATE TABLE latest_metrics (
                run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
                key TEXT NOT NULL, value DOUBLE PRECISION, is_nan INTEGER NOT NULL DEFAULT 0,
                timestamp BIGINT NOT NULL, step BIGINT NOT NULL, PRIMARY KEY (run_uuid, key))
            """,
            """
            CREATE TABLE inputs (
                run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE, position INTEGER NOT NULL,
                name TEXT NOT NULL, digest TEXT NOT NULL, source_type TEXT NOT NULL, source TEXT NOT NULL,
                schema TEXT, profile TEXT, tags TEXT NOT NULL, PRIMARY KEY (run_uuid, position))
            """,
        ]
        let second: [String] = [
            """
            CREATE TABLE traces (
                trace_id TEXT PRIMARY KEY, experiment_id BIGINT NOT NULL REFERENCES experiments(experiment_id),
                name TEXT NOT NULL, start_time BIGINT NOT NULL, end_time BIGINT NOT NULL, status TEXT NOT NULL,
                span_count INTEGER NOT NULL, model TEXT, input_tokens BIGINT, output_tokens BIGINT,
                inputs TEXT, outputs TEXT, context TEXT NOT NULL, instructions TEXT)
            """,
            "CREATE INDEX traces_by_experiment ON traces (experiment_id, start_time)",
            """
            CREATE TABLE spans (
                trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_span_id TEXT, name TEXT NOT NULL, kind TEXT NOT NULL,
                start_time BIGINT NOT NULL, end_time BIGINT NOT NULL, status_code TEXT NOT NULL, status_message TEXT NOT NULL,
                attributes TEXT NOT NULL, events TEXT NOT NULL, resource TEXT NOT NULL, PRIMARY KEY (trace_id, span_id))
            """,
            """
            CREATE TABLE assessments (
                trace_id TEXT NOT NULL, name TEXT NOT NULL, value DOUBLE PRECISION, rationale TEXT, run_uuid TEXT NOT NULL,
                PRIMARY KEY (trace_id, name, run_uuid))
            """,
        ]
        let defaultExperiment: SQL = """
            INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
            VALUES (0, 'Default', \(artifactRoot + "/0"), 'active', \(now), \(now))
            """
        let fifth: [String] = [
            """
            CREATE TABLE logged_models (
                model_id TEXT PRIMARY KEY, experiment_id BIGINT NOT NULL REFERENCES experiments(experiment_id),
                name TEXT NOT NULL, artifact_location TEXT NOT NULL, status TEXT NOT NULL, status_message TEXT NOT NULL,
                creation_time BIGINT NOT NULL, last_updated_time BIGINT NOT NULL, source_run_id TEXT, model_type TEXT)
            """,
            "CREATE INDEX logged_models_by_experiment ON logged_models (experiment_id, creation_time)",
            """
            CREATE TABLE logged_model_tags (
                model_id TEXT NOT NULL REFERENCES logged_models(model_id) ON DELETE CASCADE,
                key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (model_id, key))
            """,
            """
            CREATE TABLE logged_model_params (
                model_id TEXT NOT NULL REFERENCES logged_models(model_id) ON DELETE CASCADE,
                key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (model_id, key))
            """,
            """
            CREATE TABLE run_outputs (
                run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE, model_id TEXT NOT NULL, step BIGINT NOT NULL,
                position INTEGER NOT NULL, PRIMARY KEY (run_uuid, model_id, step))
            """,
            "ALTER TABLE traces ADD COLUMN state TEXT",
            "ALTER TABLE traces ADD COLUMN request_time BIGINT",
            "ALTER TABLE traces ADD COLUMN execution_duration BIGINT",
            "ALTER TABLE traces ADD COLUMN request_preview TEXT",
            "ALTER TABLE traces ADD COLUMN response_preview TEXT",
            "ALTER TABLE traces ADD COLUMN client_request_id TEXT",
            "ALTER TABLE traces ADD COLUMN trace_metadata TEXT NOT NULL DEFAULT '{}'",
            "CREATE TABLE trace_tags (trace_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (trace_id, key))",
            "CREATE TABLE trace_runs (trace_id TEXT NOT NULL, run_uuid TEXT NOT NULL, PRIMARY KEY (trace_id, run_uuid))",
            "CREATE INDEX trace_runs_by_run ON trace_runs (run_uuid)",
            """
            CREATE TABLE trace_assessments (
                assessment_id TEXT PRIMARY KEY, trace_id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
                value TEXT NOT NULL, rationale TEXT, source_type TEXT NOT NULL, source_id TEXT NOT NULL, run_uuid TEXT NOT NULL,
                span_id TEXT, metadata TEXT NOT NULL, error TEXT, valid INTEGER NOT NULL, overrides TEXT,
                create_time BIGINT NOT NULL, last_update_time BIGINT NOT NULL)
            """,
            "CREATE INDEX trace_assessments_by_trace ON trace_assessments (trace_id, create_time)",
            // The scores earlier evaluation runs wrote back keep their values under ids of their own.
            """
            INSERT INTO trace_assessments (assessment_id, trace_id, name, kind, value, rationale, source_type, source_id, run_uuid,
                span_id, metadata, error, valid, overrides, create_time, last_update_time)
            SELECT 'a-' || CAST(ROW_NUMBER() OVER (ORDER BY trace_id, name, run_uuid) AS TEXT), trace_id, name, 'feedback',
                CASE WHEN value IS NULL THEN 'null' ELSE CAST(value AS TEXT) END, rationale,
                CASE WHEN rationale IS NULL THEN 'CODE' ELSE 'LLM_JUDGE' END, 'assay', run_uuid, NULL,
                '{"mlflow.assessment.sourceRunId": "' || run_uuid || '"}', NULL, 1, NULL, 0, 0
            FROM assessments
            """,
            "DROP TABLE assessments",
        ]
        let sixth: [String] = [
            """
            CREATE TABLE evaluation_datasets (
                dataset_id TEXT PRIMARY KEY, name TEXT NOT NULL, tags TEXT NOT NULL, schema TEXT, profile TEXT, digest TEXT NOT NULL,
                created_time BIGINT NOT NULL, last_update_time BIGINT NOT NULL, created_by TEXT, last_updated_by TEXT)
            """,
            """
            CREATE TABLE dataset_experiments (
                dataset_id TEXT NOT NULL REFERENCES evaluation_datasets(dataset_id) ON DELETE CASCADE, experiment_id BIGINT NOT NULL,
                PRIMARY KEY (dataset_id, experiment_id))
            """,
            // A record is known by its inputs: `input_key` is the SHA-256 of their canonical JSON.
            """
            CREATE TABLE dataset_records (
                record_id TEXT PRIMARY KEY, dataset_id TEXT NOT NULL REFERENCES evaluation_datasets(dataset_id) ON DELETE CASCADE,
                input_key TEXT NOT NULL, inputs TEXT NOT NULL, expectations TEXT, outputs TEXT, tags TEXT NOT NULL, source TEXT,
                source_id TEXT, source_type TEXT, created_time BIGINT NOT NULL, last_update_time BIGINT NOT NULL, created_by TEXT,
                last_updated_by TEXT, position BIGINT NOT NULL)
            """,
            "CREATE UNIQUE INDEX dataset_records_by_inputs ON dataset_records (dataset_id, input_key)",
            """
            CREATE TABLE scorers (
                scorer_id TEXT NOT NULL, experiment_id BIGINT NOT NULL REFERENCES experiments(experiment_id), name TEXT NOT NULL,
                version INTEGER NOT NULL, serialized TEXT NOT NULL, creation_time BIGINT NOT NULL, PRIMARY KEY (experiment_id, name, version))
            """,
            """
            CREATE TABLE online_scoring_configs (
                config_id TEXT PRIMARY KEY, scorer_id TEXT NOT NULL, experiment_id BIGINT NOT NULL, sample_rate DOUBLE PRECISION NOT NULL,
                filter TEXT)
            """,
        ]
        let seventh = """
            CREATE TABLE run_model_inputs (
                run_uuid TEXT NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE, model_id TEXT NOT NULL,
                position INTEGER NOT NULL, PRIMARY KEY (run_uuid, model_id))
            """
        // A value logged for a model, by the run that logged it; no dataset is the empty name and digest.
        let eighth: [String] = [
            """
            CREATE TABLE logged_model_metrics (
                model_id TEXT NOT NULL, key TEXT NOT NULL, value DOUBLE PRECISION, is_nan INTEGER NOT NULL DEFAULT 0,
                timestamp BIGINT NOT NULL, step BIGINT NOT NULL, run_uuid TEXT NOT NULL, experiment_id BIGINT NOT NULL,
                dataset_name TEXT NOT NULL, dataset_digest TEXT NOT NULL,
                PRIMARY KEY (model_id, key, timestamp, step, run_uuid, dataset_name, dataset_digest))
            """
        ]
        let all = [
            SQLMigration(name: v1, statements: first.map(SQL.init(raw:)) + [defaultExperiment]),
            SQLMigration(name: v2, statements: second.map(SQL.init(raw:))),
            SQLMigration(name: v3, statements: (dialect.upgrades[v3] ?? []).map(SQL.init(raw:))),
            SQLMigration(name: v4, statements: [SQL(raw: "ALTER TABLE traces ADD COLUMN tool_steps TEXT NOT NULL DEFAULT '[]'")]),
            SQLMigration(name: v5, statements: fifth.map(SQL.init(raw:))),
            SQLMigration(name: v6, statements: sixth.map(SQL.init(raw:))),
            SQLMigration(name: v7, statements: [SQL(raw: seventh)]),
            SQLMigration(name: v8, statements: eighth.map(SQL.init(raw:))),
            SQLMigration(
                name: v9,
                statements: [
                    "CREATE TABLE server_secrets (name TEXT PRIMARY KEY, secret TEXT NOT NULL)",
                    "CREATE TABLE ui_sessions (session_hash TEXT PRIMARY KEY, expires_at BIGINT NOT NULL)",
                ].map(SQL.init(raw:))),
            SQLMigration(
                name: v10, statements: [SQL(raw: "CREATE INDEX trace_assessments_by_run ON trace_assessments (run_uuid, source_type)")]),
        ]
        assert(all.map(\.name) == names, "Schema.names lists every migration, in order")
        return all
    }
}
