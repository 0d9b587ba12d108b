import Assay
import AssayMLflowAPI
import Foundation
import Hummingbird

/// The trace RPCs beside start, get and search: MLflow 2's start, end and get-info of a trace (below
/// `/api/2.0/mlflow/`, kept for older clients and `deprecated_start_trace_v2`), and below
/// `/api/3.0/mlflow/` the correlation of two trace filters and trace metrics, which MLflow's UI
/// charts. They read and write the same trace records as every other route.
extension MLflowAPI {
    static let legacyTraceRoutes: [Route] = [
        rpc(.post, "traces", MLflow.StartTraceV2.self) { api, r in try await api.startTraceV2(r) },
        rpc(.patch, "traces/:trace_id", MLflow.EndTraceV2.self) { api, r in try await api.endTraceV2(r) },
        rpc(.get, "traces/:trace_id/info", MLflow.EndTraceV2.self) { api, r in
            MLflow.TraceInfoV2Response(traceInfo: MLflow.TraceInfoV2(try await api.traceSummary(r.traceID)))
        },
    ]

    static let traceQueryRoutes: [Route] = [
        rpc(.post, "traces/calculate-filter-correlation", MLflow.CalculateTraceFilterCorrelation.self) { api, r in
            guard let first = r.filterString1, !first.isEmpty else { throw APIError.missing("filter_string1") }
            guard let second = r.filterString2, !second.isEmpty else { throw APIError.missing("filter_string2") }
            let correlation = try await api.traceStore.filterCorrelation(
                experimentIDs: r.experimentIDs, try SearchFilter(first, for: .traces), try SearchFilter(second, for: .traces),
                base: try SearchFilter(r.baseFilter, for: .traces))
            return MLflow.TraceFilterCorrelationResponse(correlation)
        },
        rpc(.post, "traces/metrics", MLflow.QueryTraceMetrics.self) { api, r in
            guard !r.experimentIDs.isEmpty else { throw APIError.missing("experiment_ids") }
            guard let viewName = r.viewType, let view = TraceMetricQuery.View(rawValue: viewName) else {
                throw APIError.invalid("Invalid value '\(r.viewType ?? "")' for parameter 'view_type': use TRACES, SPANS or ASSESSMENTS.")
            }
            guard let metric = r.metricName, !metric.isEmpty else { throw APIError.missing("metric_name") }
            let aggregations = try r.aggregations.map { a throws(AssayError) in
                try TraceMetricQuery.Aggregation(name: a.aggregationType ?? "", percentile: a.percentileValue)
            }
            let query = try TraceMetricQuery(
                view: view, metric: metric, aggregations: aggregations, dimensions: r.dimensions, filters: r.filters,
                timeIntervalSeconds: r.timeIntervalSeconds, startTimeMilliseconds: r.startTimeMs, endTimeMilliseconds: r.endTimeMs,
                maxResults: Int(clamping: r.maxResults ?? 1000))
            let points = try await api.traceStore.traceMetrics(experimentIDs: r.experimentIDs, query)
            return MLflow.QueryTraceMetricsResponse(dataPoints: points.map(MLflow.MetricDataPoint.init))
        },
    ]

    /// A trace's summary by the client's id; RESOURCE_DOES_NOT_EXIST when there is none.
    func traceSummary(_ wireID: String) async throws -> TraceSummary {
        guard let found = try await traceStore.traces(ids: [Self.storedTraceID(wireID)]).first?.0 else { throw Self.traceNotFound(wireID) }
        return found
    }

    /// MLflow 2's start of a trace: a new `tr-` id, IN_PROGRESS, at the given time.
    func startTraceV2(_ r: MLflow.StartTraceV2) async throws -> MLflow.TraceInfoV2Response {
        guard let experiment = r.experimentID, !experiment.isEmpty else { throw APIError.missing("experiment_id") }
        let id = "tr-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let info = MLflow.TraceInfo(
            traceID: id, traceLocation: MLflow.TraceLocation(experimentID: experiment),
            requestTime: MLflow.Timestamp(milliseconds: r.timestampMs ?? MetricPoint.now()),
            executionDuration: MLflow.Duration(milliseconds: 0), state: "IN_PROGRESS",
            traceMetadata: Self.map(r.requestMetadata), tags: Self.map(r.tags))
        return MLflow.TraceInfoV2Response(traceInfo: MLflow.TraceInfoV2(try await record(info)))
    }

    /// MLflow 2's end of a trace: its status, its duration from the start, and metadata and tags added
    /// to (a key given again takes the new value).
    func endTraceV2(_ r: MLflow.EndTraceV2) async throws -> MLflow.TraceInfoV2Response {
        let existing = try await traceSummary(r.traceID)
        let status = r.status ?? "OK"
        guard ["OK", "ERROR", "IN_PROGRESS"].contains(status) else {
            throw APIError.invalid("Invalid value '\(status)' for parameter 'status': use OK, ERROR or IN_PROGRESS.")
        }
        let start = existing.timestampMilliseconds
        let end = r.timestampMs ?? MetricPoint.now()
        let info = MLflow.TraceInfo(
            traceID: r.traceID, clientRequestID: existing.clientRequestID,
            traceLocation: MLflow.TraceLocation(experimentID: existing.experimentID),
            requestPreview: existing.requestPreview, responsePreview: existing.responsePreview,
            requestTime: MLflow.Timestamp(milliseconds: start), executionDuration: MLflow.Duration(milliseconds: max(0, end - start)),
            state: status, traceMetadata: existing.metadata.merging(Self.map(r.requestMetadata)) { _, new in new },
            tags: existing.tags.merging(Self.map(r.tags)) { _, new in new })
        return MLflow.TraceInfoV2Response(traceInfo: MLflow.TraceInfoV2(try await record(info)))
    }

    /// Records what a client says about a trace and reads it back as stored.
    private func record(_ info: MLflow.TraceInfo) async throws -> TraceSummary {
        let trace = try Self.wire { () throws(WireError) in try TraceSummary(info, spans: []) }
        _ = try await traceStore.record(trace)
        return try await traceSummary(info.traceID ?? "")
    }

    /// MLflow 2's lists of pairs as a map (the last value of a key wins).
    static func map(_ pairs: [MLflow.KeyValue]) -> [String: String] {
        var map: [String: String] = [:]
        for pair in pairs { map[pair.key] = pair.value ?? "" }
        return map
    }
}
