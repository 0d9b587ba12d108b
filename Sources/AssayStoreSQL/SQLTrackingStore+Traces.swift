public import Assay

extension SQLTrackingStore {
    /// Spans are kept as sent (a span sent again replaces the earlier copy); every trace they touch gets
    /// its summary made again from all of its spans, and stays in the experiment that first had it.
    public func ingest(_ spans: [SpanRecord], experimentID: String) async throws(AssayError) {
        guard !spans.isEmpty else { return }
        guard let experiment = Int64(try await experiment(id: experimentID).id) else { return }
        var latest: [String: SpanRecord] = [:]
        var order: [String] = []
        for span in spans {
            let key = span.traceID + "/" + span.spanID
            if latest.updateValue(span, forKey: key) == nil { order.append(key) }
        }
        let unique = order.compactMap { latest[$0] }
        try await write { s in
            for part in Self.chunks(unique, of: 200) {
                let rows = Self.values(part) { span in
                    """
                    (\(span.traceID), \(span.spanID), \(span.parentSpanID), \(span.name), \(span.kind), \(span.startTimeNanos),
                        \(span.endTimeNanos), \(span.statusCode), \(span.statusMessage), \(DataValue.object(span.attributes).description),
                        \(StoredJSON.events(span.events)), \(DataValue.object(span.resource).description))
                    """
                }
                try await s.execute(
                    """
                    INSERT INTO spans (trace_id, span_id, parent_span_id, name, kind, start_time, end_time, status_code,
                        status_message, attributes, events, resource) VALUES \(rows)
                    ON CONFLICT (trace_id, span_id) DO UPDATE SET parent_span_id = excluded.parent_span_id, name = excluded.name,
                        kind = excluded.kind, start_time = excluded.start_time, end_time = excluded.end_time,
                        status_code = excluded.status_code, status_message = excluded.status_message,
                        attributes = excluded.attributes, events = excluded.events, resource = excluded.resource
                    """)
            }
            var seen = Set<String>()
            for traceID in unique.map(\.traceID) where seen.insert(traceID).inserted {
                let owner = try await s.first("SELECT experiment_id FROM traces WHERE trace_id = \(traceID)")?.int64(0) ?? experiment
                let t = TraceSummary.make(traceID: traceID, experimentID: String(owner), spans: try await Self.spans(s, traceID))
                try await s.execute(
                    """
                    INSERT INTO traces (trace_id, experiment_id, name, start_time, end_time, status, span_count, model, input_tokens,
                        output_tokens, inputs, outputs, context, instructions, tool_steps)
                    VALUES (\(traceID), \(owner), \(t.name), \(t.startTimeNanos), \(t.endTimeNanos), \(t.status), \(t.spanCount),
                        \(t.model), \(t.inputTokens), \(t.outputTokens), \(t.inputs), \(t.outputs), \(StoredJSON.context(t.context)),
                        \(t.instructions), \(ToolStep.json(t.toolSteps)))
                    ON CONFLICT (trace_id) DO UPDATE SET name = excluded.name, start_time = excluded.start_time,
                        end_time = excluded.end_time, status = excluded.status, span_count = excluded.span_count,
                        model = excluded.model, input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
                        inputs = excluded.inputs, outputs = excluded.outputs, context = excluded.context,
                        instructions = excluded.instructions, tool_steps = excluded.tool_steps
                    """)
            }
        }
    }

    private static func spans(_ s: Database.Session, _ traceID: String) async throws -> [SpanRecord] {
        try await s.rows(
            """
            SELECT span_id, parent_span_id, name, kind, start_time, end_time, status_code, status_message, attributes, events, resource
            FROM spans WHERE trace_id = \(traceID) ORDER BY start_time, span_id
            """
        ).map { row in
            SpanRecord(
                traceID: traceID, spanID: row.string(0), parentSpanID: row.optionalString(1), name: row.string(2), kind: row.string(3),
                startTimeNanos: row.int64(4), endTimeNanos: row.int64(5), statusCode: row.string(6), statusMessage: row.string(7),
                attributes: StoredJSON.object(row.string(8)), events: StoredJSON.events(row.string(9)),
                resource: StoredJSON.object(row.string(10)))
        }
    }

    private static var summaryColumns: String {
        "trace_id, experiment_id, name, start_time, end_time, status, span_count, model, input_tokens, output_tokens, inputs, "
            + "outputs, context, instructions, tool_steps, state, request_time, execution_duration, request_preview, response_preview, "
            + "client_request_id, trace_metadata"
    }

    private static func summary(_ row: SQLRow) -> TraceSummary {
        var summary = TraceSummary(
            traceID: row.string(0), experimentID: String(row.int64(1)), name: row.string(2), startTimeNanos: row.int64(3),
            endTimeNanos: row.int64(4), status: row.string(5), spanCount: Int(row.int64(6)), model: row.optionalString(7),
            inputTokens: row.optionalInt64(8).map { Int($0) }, outputTokens: row.optionalInt64(9).map { Int($0) },
            inputs: row.optionalString(10), outputs: row.optionalString(11), context: StoredJSON.context(row.string(12)),
            instructions: row.optionalString(13))
        summary.toolSteps = ToolStep.steps(json: row.string(14))
        summary.state = row.optionalString(15)
        summary.requestTime = row.optionalInt64(16)
        summary.executionDuration = row.optionalInt64(17)
        summary.requestPreview = row.optionalString(18)
        summary.responsePreview = row.optionalString(19)
        summary.clientRequestID = row.optionalString(20)
        summary.metadata = StoredJSON.strings(row.string(21))
        return summary
    }

    /// Summaries of these traces with their tags and linked runs, by id.
    private static func loadSummaries(_ s: Database.Session, where condition: SQL, ids: [String]?) async throws -> [String: TraceSummary] {
        var found: [String: TraceSummary] = [:]
        for row in try await s.rows("SELECT \(raw: summaryColumns) FROM traces WHERE \(condition)") {
            let summary = Self.summary(row)
            found[summary.traceID] = summary
        }
        let keys = ids ?? Array(found.keys)
        for part in chunks(keys, of: chunk) {
            for row in try await s.rows("SELECT trace_id, key, value FROM trace_tags WHERE \("trace_id", in: Array(part))") {
                found[row.string(0)]?.tags[row.string(1)] = row.string(2)
            }
            for row in try await s.rows("SELECT trace_id, run_uuid FROM trace_runs WHERE \("trace_id", in: Array(part)) ORDER BY run_uuid")
            {
                found[row.string(0)]?.linkedRunIDs.append(row.string(1))
            }
        }
        return found
    }

    public func traces(in experimentID: String, since: Int64?, limit: Int, offset: Int) async throws(AssayError) -> [TraceSummary] {
        guard let experiment = Int64(experimentID) else { return [] }
        return try await read { s in
            let ids = try await s.rows(
                """
                SELECT trace_id FROM traces WHERE experiment_id = \(experiment) AND start_time >= \(since ?? Int64.min)
                ORDER BY start_time DESC, trace_id LIMIT \(Int64(limit)) OFFSET \(Int64(offset))
                """
            ).map { $0.string(0) }
            var found: [String: TraceSummary] = [:]
            for part in Self.chunks(ids, of: Self.chunk) {
                found.merge(try await Self.loadSummaries(s, where: "\("trace_id", in: Array(part))", ids: Array(part))) { a, _ in a }
            }
            return ids.compactMap { found[$0] }
        }
    }

    public func trace(id: String) async throws(AssayError) -> (TraceSummary, [SpanRecord], [TraceAssessment]) {
        let found: (TraceSummary, [SpanRecord], [TraceAssessment])? = try await read { s in
            guard let summary = try await Self.loadSummaries(s, where: "trace_id = \(id)", ids: [id])[id] else { return nil }
            return (summary, try await Self.spans(s, id), try await Self.assessments(s, [id])[id] ?? [])
        }
        guard let found else { throw Failure.traceNotFound(id) }
        return found
    }

    public func traces(ids: [String]) async throws(AssayError) -> [(TraceSummary, [TraceAssessment])] {
        try await read { s in
            var result: [String: (TraceSummary, [TraceAssessment])] = [:]
            for part in Self.chunks(ids, of: Self.chunk) {
                let summaries = try await Self.loadSummaries(s, where: "\("trace_id", in: Array(part))", ids: Array(part))
                let assessments = try await Self.assessments(s, Array(part))
                for (id, summary) in summaries { result[id] = (summary, assessments[id] ?? []) }
            }
            return ids.compactMap { result[$0] }
        }
    }

    public func record(_ trace: TraceSummary) async throws(AssayError) -> TraceSummary {
        guard let experiment = Int64(try await experiment(id: trace.experimentID).id) else {
            throw Failure.experimentNotFound(trace.experimentID)
        }
        for (key, value) in trace.tags { try StoredText.check(KeyValue(key, value), of: "trace tag") }
        for (key, value) in trace.metadata { try StoredText.check(KeyValue(key, value), of: "trace metadata") }
        let t = trace
        let start = (t.requestTime ?? 0).saturatingMultiplied(by: 1_000_000)
        let end = start.saturatingAdding((t.executionDuration ?? 0).saturatingMultiplied(by: 1_000_000))
        let id = t.traceID
        try await write { s in
            // Spans that came first made the row (and keep their own summary); otherwise the client's word starts it.
            try await s.execute(
                """
                INSERT INTO traces (trace_id, experiment_id, name, start_time, end_time, status, span_count, context, state,
                    request_time, execution_duration, request_preview, response_preview, client_request_id, trace_metadata)
                VALUES (\(id), \(experiment), \(t.tags["mlflow.traceName"] ?? t.name), \(start), \(end),
                    \(t.state == "ERROR" ? "ERROR" : "UNSET"), 0, '[]', \(t.state), \(t.requestTime), \(t.executionDuration),
                    \(t.requestPreview), \(t.responsePreview), \(t.clientRequestID), \(StoredJSON.strings(t.metadata)))
                ON CONFLICT (trace_id) DO UPDATE SET state = excluded.state, request_time = excluded.request_time,
                    execution_duration = excluded.execution_duration, request_preview = excluded.request_preview,
                    response_preview = excluded.response_preview, client_request_id = excluded.client_request_id,
                    trace_metadata = excluded.trace_metadata
                """)
            try await Self.upsertTraceTags(s, id, t.tags.sorted { $0.key < $1.key }.map { KeyValue($0.key, $0.value) })
        }
        return try await self.trace(id: id).0
    }

    private static func upsertTraceTags(_ s: Database.Session, _ id: String, _ tags: [KeyValue]) async throws {
        for part in chunks(lastPerKey(tags), of: chunk) {
            try await s.execute(
                """
                INSERT INTO trace_tags (trace_id, key, value) VALUES \(values(part) { "(\(id), \($0.key), \($0.value))" })
                ON CONFLICT (trace_id, key) DO UPDATE SET value = excluded.value
                """)
        }
    }

    /// Runs `body` in a write on a trace that exists (`notFound` otherwise).
    private func onTrace(_ id: String, _ body: @escaping @Sendable (Database.Session) async throws -> Void) async throws(AssayError) {
        try await write { s in
            guard try await s.exists("SELECT 1 FROM traces WHERE trace_id = \(id)") else { throw Failure.traceNotFound(id) }
            try await body(s)
        }
    }

    public func setTraceTag(id: String, _ tag: KeyValue) async throws(AssayError) {
        try StoredText.check(tag, of: "trace tag")
        try await onTrace(id) { s in try await Self.upsertTraceTags(s, id, [tag]) }
    }

    public func deleteTraceTag(id: String, key: String) async throws(AssayError) {
        try await onTrace(id) { s in
            guard try await s.exists("DELETE FROM trace_tags WHERE trace_id = \(id) AND key = \(key) RETURNING key") else {
                throw AssayError(.notFound, "No trace tag with key '\(key)' in trace with ID '\(id)'")
            }
        }
    }

    public func deleteTraces(in experimentID: String, ids: [String]?, before: Int64?, maxTraces: Int?) async throws(AssayError) -> Int {
        guard let experiment = Int64(try await experiment(id: experimentID).id) else { throw Failure.experimentNotFound(experimentID) }
        return try await write { s in
            let chosen: [String]
            if let ids {
                var found: [String] = []
                for part in Self.chunks(ids, of: Self.chunk) {
                    found += try await s.rows(
                        "SELECT trace_id FROM traces WHERE experiment_id = \(experiment) AND \("trace_id", in: Array(part))"
                    ).map { $0.string(0) }
                }
                chosen = found
            } else {
                let cutoff = (before ?? .max).saturatingMultiplied(by: 1_000_000)
                chosen = try await s.rows(
                    """
                    SELECT trace_id FROM traces WHERE experiment_id = \(experiment) AND start_time < \(cutoff)
                    ORDER BY start_time, trace_id LIMIT \(Int64(max(0, maxTraces ?? Int(Int32.max))))
                    """
                ).map { $0.string(0) }
            }
            for part in Self.chunks(chosen, of: Self.chunk) {
                for table in ["spans", "trace_tags", "trace_runs", "trace_assessments", "traces"] {
                    try await s.execute("DELETE FROM \(raw: table) WHERE \("trace_id", in: Array(part))")
                }
            }
            return chosen.count
        }
    }

    /// Links traces to a run. A trace need not have arrived yet (its spans may still be on their way,
    /// as with MLflow, which links without looking): the link holds for it when it comes.
    public func linkTraces(_ ids: [String], toRun runID: String) async throws(AssayError) {
        guard ids.count <= 100 else {
            throw .invalidInput("Cannot link more than 100 traces to a run in a single request. Provided \(ids.count) traces.")
        }
        _ = try await run(id: runID)
        try await write { s in
            for part in Self.chunks(Array(Set(ids)).sorted(), of: Self.chunk) {
                try await s.execute(
                    """
                    INSERT INTO trace_runs (trace_id, run_uuid) VALUES \(Self.values(part) { "(\($0), \(runID))" })
                    ON CONFLICT (trace_id, run_uuid) DO NOTHING
                    """)
            }
        }
    }

    // MARK: - Assessments

    private static var assessmentColumns: String {
        "assessment_id, trace_id, name, kind, value, rationale, source_type, source_id, run_uuid, span_id, metadata, error, valid, "
            + "overrides, create_time, last_update_time"
    }

    private static func assessments(_ s: Database.Session, _ ids: [String]) async throws -> [String: [TraceAssessment]] {
        var found: [String: [TraceAssessment]] = [:]
        for part in chunks(ids, of: chunk) {
            let rows = try await s.rows(
                """
                SELECT \(raw: assessmentColumns) FROM trace_assessments WHERE \("trace_id", in: Array(part))
                ORDER BY create_time, run_uuid, name, assessment_id
                """)
            for row in rows {
                let a = assessment(row)
                found[a.traceID, default: []].append(a)
            }
        }
        return found
    }

    /// An assessment from a row of `assessmentColumns`.
    private static func assessment(_ row: SQLRow) -> TraceAssessment {
        TraceAssessment(
            id: row.string(0), traceID: row.string(1), name: row.string(2),
            kind: TraceAssessment.Kind(rawValue: row.string(3)) ?? .feedback, data: (try? DataValue(json: row.string(4))) ?? .null,
            rationale: row.optionalString(5), source: TraceAssessment.Source(type: row.string(6), id: row.string(7)),
            runID: row.string(8), spanID: row.optionalString(9), metadata: StoredJSON.strings(row.string(10)),
            error: row.optionalString(11), valid: row.int64(12) != 0, overrides: row.optionalString(13),
            createTime: row.int64(14), lastUpdateTime: row.int64(15))
    }

    /// New assessments get ids; an evaluation run's score of a trace and metric replaces the one the run
    /// gave before (keeping its id), the last one given winning.
    @discardableResult
    public func logAssessments(_ assessments: [TraceAssessment]) async throws(AssayError) -> [TraceAssessment] {
        for a in assessments {
            try StoredText.check(name: a.name, of: "assessment")
            for (key, value) in a.metadata { try StoredText.check(KeyValue(key, value), of: "assessment metadata") }
        }
        let given = assessments
        return try await write { s in
            // The ids a run's earlier scores of the same traces and metrics have.
            var earlier: [String: String] = [:]
            let byRun = Dictionary(grouping: given.filter { $0.id.isEmpty && !$0.runID.isEmpty }, by: \.runID)
            for (run, items) in byRun {
                for part in Self.chunks(Array(Set(items.map(\.traceID))).sorted(), of: Self.chunk) {
                    let rows = try await s.rows(
                        """
                        SELECT assessment_id, trace_id, name FROM trace_assessments
                        WHERE run_uuid = \(run) AND kind = 'feedback' AND \("trace_id", in: Array(part))
                        """)
                    for row in rows { earlier[[run, row.string(1), row.string(2)].joined(separator: "\u{0}")] = row.string(0) }
                }
            }
            var stored: [TraceAssessment] = []
            var index: [String: Int] = [:]
            for var a in given {
                if a.id.isEmpty {
                    let key = [a.runID, a.traceID, a.name].joined(separator: "\u{0}")
                    if !a.runID.isEmpty, a.kind == .feedback, let id = earlier[key] {
                        a.id = id
                    } else {
                        a.id = TraceAssessment.newID()
                        if !a.runID.isEmpty, a.kind == .feedback { earlier[key] = a.id }
                    }
                }
                if let i = index[a.id] {
                    stored[i] = a
                } else {
                    index[a.id] = stored.count
                    stored.append(a)
                }
            }
            for part in Self.chunks(stored, of: 200) {
                let rows = Self.values(part) { a in
                    """
                    (\(a.id), \(a.traceID), \(a.name), \(a.kind.rawValue), \(a.data.description), \(a.rationale), \(a.source.type),
                        \(a.source.id), \(a.runID), \(a.spanID), \(StoredJSON.strings(a.metadata)), \(a.error), \(a.valid ? 1 : 0),
                        \(a.overrides), \(a.createTime), \(a.lastUpdateTime))
                    """
                }
                try await s.execute(
                    """
                    INSERT INTO trace_assessments (\(raw: Self.assessmentColumns)) VALUES \(rows)
                    ON CONFLICT (assessment_id) DO UPDATE SET name = excluded.name, kind = excluded.kind, value = excluded.value,
                        rationale = excluded.rationale, source_type = excluded.source_type, source_id = excluded.source_id,
                        span_id = excluded.span_id, metadata = excluded.metadata, error = excluded.error, valid = excluded.valid,
                        overrides = excluded.overrides, last_update_time = excluded.last_update_time
                    """)
            }
            // An assessment that overrides another leaves the other in place, no longer valid.
            for a in stored where a.valid {
                guard let overridden = a.overrides else { continue }
                try await s.execute(
                    "UPDATE trace_assessments SET valid = 0 WHERE trace_id = \(a.traceID) AND assessment_id = \(overridden)")
            }
            return stored
        }
    }

    public func assessments(traceIDs: [String]) async throws(AssayError) -> [TraceAssessment] {
        let ids = Array(Set(traceIDs)).sorted()
        let found = try await read { s in try await Self.assessments(s, ids) }
        return ids.flatMap { found[$0] ?? [] }
    }

    public func assessments(run runID: String, sourceType: String?) async throws(AssayError) -> [TraceAssessment] {
        try await read { s in
            let source: SQL = sourceType.map { "AND source_type = \($0)" } ?? ""
            return try await s.rows(
                """
                SELECT \(raw: Self.assessmentColumns) FROM trace_assessments WHERE run_uuid = \(runID) \(source)
                ORDER BY create_time, assessment_id
                """
            ).map(Self.assessment)
        }
    }

    public func deleteAssessment(trace traceID: String, id: String) async throws(AssayError) {
        try await write { s in
            guard
                let deleted = try await s.first(
                    "DELETE FROM trace_assessments WHERE trace_id = \(traceID) AND assessment_id = \(id) RETURNING overrides")
            else {
                throw AssayError(.notFound, "Assessment with ID '\(id)' not found for trace '\(traceID)'")
            }
            // Deleting an override makes the assessment it overrode valid again.
            if let overridden = deleted.optionalString(0) {
                try await s.execute(
                    "UPDATE trace_assessments SET valid = 1 WHERE trace_id = \(traceID) AND assessment_id = \(overridden)")
            }
        }
    }
}
