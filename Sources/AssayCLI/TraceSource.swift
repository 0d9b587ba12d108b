import Assay
import Foundation

/// `assay evaluate --traces`: the traces of an experiment as a dataset, and their scores written back
/// to the traces as assessments once the evaluation is recorded.
struct TraceSource {
    let store: any TraceStore
    let experiment: Experiment
    let traces: [TraceSummary]
    let dataset: Dataset

    static func load(
        experiment reference: String, filter: String?, since: String?, tracking: TrackingConnection
    ) async throws -> TraceSource {
        guard let store = try await tracking.open().store as? any TraceStore else {
            throw AssayError.invalidInput("--traces: the tracking store at \(tracking.options.uri) keeps no traces")
        }
        let experiment: Experiment
        if let byName = try await store.experiment(named: reference) {
            experiment = byName
        } else if reference.allSatisfy(\.isNumber), let byID = try? await store.experiment(id: reference) {
            experiment = byID
        } else {
            throw AssayError.invalidInput("--traces \(reference): no experiment with that name or id")
        }
        let condition = try SearchFilter(filter, for: .traces)
        let from = try since.map(parseSince)
        var traces: [TraceSummary] = []
        var offset = 0
        while true {
            let page = try await store.traces(in: experiment.id, since: from, limit: 5000, offset: offset)
            traces += page.filter { condition.matches($0.filterValues) }
            guard page.count == 5000 else { break }
            offset += page.count
        }
        guard !traces.isEmpty else {
            throw AssayError.invalidInput(
                "no traces in experiment '\(experiment.name)'\(filter == nil && since == nil ? "" : " match the filter"); send some to `assay server` at /v1/traces first"
            )
        }
        // Oldest first, as they happened.
        traces.reverse()
        return TraceSource(
            store: store, experiment: experiment, traces: traces, dataset: Dataset.traces(traces, name: "traces of \(experiment.name)"))
    }

    /// `30m`, `24h`, `7d` back from now, or an ISO 8601 date or date and time; nanoseconds since 1970.
    static func parseSince(_ text: String) throws(AssayError) -> Int64 {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()) {
            return Int64((Date().timeIntervalSince1970 - amount * unit) * 1e9)
        }
        let formats: [Date.ISO8601FormatStyle] = [.iso8601, .iso8601.year().month().day()]
        for format in formats {
            if let date = try? format.parse(text) { return Int64(date.timeIntervalSince1970 * 1e9) }
        }
        throw .invalidInput(
            "--since \(text): give an ISO 8601 date or time (2026-11-29, 2026-11-29T06:00:00Z) or a span such as 30m, 24h or 7d")
    }

    /// The dataset input a run records: which experiment's traces, how many.
    func input(rows: Int) -> DatasetInput {
        let ids = traces.map(\.traceID).joined(separator: ",")
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in ids.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        return DatasetInput(
            name: dataset.name, digest: String(format: "%08x", UInt32(truncatingIfNeeded: hash)), sourceType: "traces",
            source: DataValue.object(["experiment_id": .string(experiment.id), "traces": .int(traces.count)]).description,
            profile: DataValue.object(["num_rows": .int(rows)]).description)
    }

    /// Writes each row's scores to its trace, tagged with the run, and links the run to the experiment
    /// its traces came from. Returns the number of scores written.
    func recordScores(_ result: EvaluationResult, run: RunInfo) async throws -> Int {
        let columns = result.table.columns
        guard let idColumn = columns.firstIndex(of: "trace_id") else { return 0 }
        // Per-row metric columns: `<metric>/score`, and the bare ones (token_count, latency, the tool counts).
        let bare = Set(result.metricInfos.filter { $0.column == .bare }.map(\.name))
        let scores = columns.enumerated().compactMap { index, name -> (String, Int, Int?)? in
            guard name.hasSuffix("/score") || (bare.contains(name) && index > 0) else { return nil }
            let metric = name.hasSuffix("/score") ? String(name.dropLast("/score".count)) : name
            return (metric, index, columns.firstIndex(of: metric + "/justification"))
        }
        var assessments: [TraceAssessment] = []
        try result.table.forEachRow { row in
            let trace = row[idColumn].text
            for (metric, column, justification) in scores {
                let rationale = justification.map { row[$0].text }.flatMap { $0.isEmpty ? nil : $0 }
                assessments.append(
                    TraceAssessment(traceID: trace, name: metric, value: row[column].doubleValue, rationale: rationale, runID: run.id))
            }
        }
        for start in stride(from: 0, to: assessments.count, by: 1000) {
            try await store.logAssessments(Array(assessments[start..<min(start + 1000, assessments.count)]))
        }
        try await store.setTag(run: run.id, KeyValue("assay.traces.experiment_id", experiment.id))
        return assessments.count
    }
}
