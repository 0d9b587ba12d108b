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
            + "outputs, context, instructions, tool_steps"
    }

    private static func summary(_ row: SQLRow) -> TraceSummary {
        var summary = TraceSummary(
            traceID: row.string(0), experimentID: String(row.int64(1)), name: row.string(2), startTimeNanos: row.int64(3),
            endTimeNanos: row.int64(4), status: row.string(5), spanCount: Int(row.int64(6)), model: row.optionalString(7),
            inputTokens: row.optionalInt64(8).map { Int($0) }, outputTokens: row.optionalInt64(9).map { Int($0) },
            inputs: row.optionalString(10), outputs: row.optionalString(11), context: StoredJSON.context(row.string(12)),
            instructions: row.optionalString(13))
        summary.toolSteps = ToolStep.steps(json: row.string(14))
        return summary
    }

    public func traces(in experimentID: String, since: Int64?, limit: Int, offset: Int) async throws(AssayError) -> [TraceSummary] {
        guard let experiment = Int64(experimentID) else { return [] }
        return try await read { s in
            try await s.rows(
                """
                SELECT \(raw: Self.summaryColumns) FROM traces WHERE experiment_id = \(experiment) AND start_time >= \(since ?? Int64.min)
                ORDER BY start_time DESC, trace_id LIMIT \(Int64(limit)) OFFSET \(Int64(offset))
                """
            ).map(Self.summary)
        }
    }

    public func trace(id: String) async throws(AssayError) -> (TraceSummary, [SpanRecord], [TraceAssessment]) {
        let found: (TraceSummary, [SpanRecord], [TraceAssessment])? = try await read { s in
            guard let row = try await s.first("SELECT \(raw: Self.summaryColumns) FROM traces WHERE trace_id = \(id)") else { return nil }
            let assessments = try await s.rows(
                "SELECT name, value, rationale, run_uuid FROM assessments WHERE trace_id = \(id) ORDER BY run_uuid, name"
            ).map {
                TraceAssessment(
                    traceID: id, name: $0.string(0), value: $0.optionalDouble(1), rationale: $0.optionalString(2), runID: $0.string(3))
            }
            return (Self.summary(row), try await Self.spans(s, id), assessments)
        }
        guard let found else { throw AssayError(.notFound, "No trace with id \(id)") }
        return found
    }

    /// Assessments are set per trace, name and run, the last one given winning.
    public func logAssessments(_ assessments: [TraceAssessment]) async throws(AssayError) {
        var latest: [String: TraceAssessment] = [:]
        var order: [String] = []
        for a in assessments {
            let key = [a.traceID, a.name, a.runID].joined(separator: "\u{0}")
            if latest.updateValue(a, forKey: key) == nil { order.append(key) }
        }
        let unique = order.compactMap { latest[$0] }
        try await write { s in
            for part in Self.chunks(unique, of: Self.chunk) {
                let rows = Self.values(part) { a in "(\(a.traceID), \(a.name), \(a.value), \(a.rationale), \(a.runID))" }
                try await s.execute(
                    """
                    INSERT INTO assessments (trace_id, name, value, rationale, run_uuid) VALUES \(rows)
                    ON CONFLICT (trace_id, name, run_uuid) DO UPDATE SET value = excluded.value, rationale = excluded.rationale
                    """)
            }
        }
    }
}
