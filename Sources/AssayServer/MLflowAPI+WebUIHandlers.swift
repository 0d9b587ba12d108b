import Assay
import AssayMLflowAPI
import Foundation
import Hummingbird

/// The RPCs MLflow's own web UI calls beside the public API: metric histories of several runs at once
/// (all points, or an even sample of steps), the datasets an experiment's runs used, and uploading a
/// file to a run's artifacts.
extension MLflowAPI {
    static let webUIRoutes: [Route] = [
        rpc(.get, "metrics/get-history-bulk", BulkHistory.self) { api, r in
            guard !r.runID.isEmpty else { throw APIError.missing("run_id") }
            guard r.runID.count <= 100 else { throw APIError.invalid("GetMetricHistoryBulk takes at most 100 runs; got \(r.runID.count).") }
            let limit = try Self.maxResults(r.maxResults, default: 25_000)
            var points: [DataValue] = []
            for run in r.runID {
                for point in try await api.store.metricHistory(run: run, key: r.metricKey).prefix(limit) {
                    points.append(Self.point(point, run: run))
                }
            }
            return BulkHistoryResponse(metrics: Array(points.prefix(limit)))
        },
        rpc(.get, "metrics/get-history-bulk-interval", BulkInterval.self) { api, r in
            guard !r.runIDs.isEmpty else { throw APIError.missing("run_ids") }
            guard r.runIDs.count <= 100 else { throw APIError.invalid("At most 100 runs at once; got \(r.runIDs.count).") }
            let perRun = try Self.maxResults(r.maxResults, default: 320)
            if let start = r.startStep, let end = r.endStep, start > end {
                throw APIError.invalid("end_step must be greater than or equal to start_step; got start_step=\(start), end_step=\(end).")
            }
            var points: [DataValue] = []
            for run in r.runIDs {
                let (low, high) = (r.startStep ?? Int64.min, r.endStep ?? Int64.max)
                let history = try await api.store.metricHistory(run: run, key: r.metricKey).filter { (low...high).contains($0.step) }
                points += Self.sampled(history, perRun).map { Self.point($0, run: run) }
            }
            return BulkHistoryResponse(metrics: points)
        },
        rpc(.post, "experiments/search-datasets", SearchDatasets.self) { api, r in
            var seen = Set<String>()
            var summaries: [DataValue] = []
            for run in try await api.store.searchRuns(RunQuery(experimentIDs: r.experimentIDs, maxResults: 50_000)).items {
                for input in run.inputs {
                    let context = input.tags.first { $0.key == "mlflow.data.context" }?.value
                    let key = [run.info.experimentID, input.name, input.digest, context ?? ""].joined(separator: "\u{0}")
                    guard seen.insert(key).inserted else { continue }
                    var summary: [String: DataValue] = [
                        "experiment_id": .string(run.info.experimentID), "name": .string(input.name), "digest": .string(input.digest),
                    ]
                    if let context { summary["context"] = .string(context) }
                    summaries.append(.object(summary))
                }
            }
            return DatasetSummaries(datasetSummaries: summaries)
        },
    ]

    /// `POST upload-artifact?run_uuid=…&path=…`: the body, stored as that file of the run's artifacts.
    func addUploadRoute(to group: RouterGroup<AssayRequestContext>, artifacts: ArtifactStore, maxBytes: Int) {
        let api = self
        group.post("upload-artifact") { request, _ in
            let fields = RequestFields(query: request.uri.query)
            guard let runID = try fields.string("run_uuid") ?? fields.string("run_id"), !runID.isEmpty else {
                throw APIError.missing("run_uuid")
            }
            guard let path = try fields.string("path"), !path.isEmpty else { throw APIError.missing("path") }
            guard !path.split(separator: "/").contains(".."), !path.hasPrefix("/") else {
                throw APIError.invalid("Invalid path '\(path)': it must stay inside the run's artifacts.")
            }
            let run = try await api.store.run(id: runID)
            guard case .proxied(_, let base) = ArtifactURI(run.info.artifactURI) else {
                throw APIError.invalid("The run's artifacts are at \(run.info.artifactURI), which this server does not keep.")
            }
            let proxy = ArtifactProxy(artifacts: artifacts, maxArtifactBytes: maxBytes)
            return try await proxy.upload(request, to: base + "/" + path)
        }
    }

    static func point(_ p: MetricPoint, run: String) -> DataValue {
        .object([
            "key": .string(p.key),
            "value": p.value.isFinite ? .double(p.value) : .string(p.value.isNaN ? "NaN" : p.value > 0 ? "Infinity" : "-Infinity"),
            "timestamp": .int(Int(p.timestamp)), "step": .int(Int(p.step)), "run_id": .string(run),
        ])
    }

    /// At most `count` points of a history, evenly spread over its steps, the first and last kept.
    static func sampled(_ history: [MetricPoint], _ count: Int) -> [MetricPoint] {
        let steps = Array(Set(history.map(\.step))).sorted()
        guard steps.count > count, count > 1 else { return history }
        var kept = Set<Int64>()
        for i in 0..<count { kept.insert(steps[Int((Double(i) * Double(steps.count - 1) / Double(count - 1)).rounded())]) }
        return history.filter { kept.contains($0.step) }
    }

    struct BulkHistory: Decodable {
        var runID: [String]
        var metricKey: String
        var maxResults: Int64?
    }

    struct BulkInterval: Decodable {
        var runIDs: [String]
        var metricKey: String
        var startStep: Int64?
        var endStep: Int64?
        var maxResults: Int64?
    }

    struct BulkHistoryResponse: Encodable {
        var metrics: [DataValue]
    }

    struct SearchDatasets: Decodable {
        var experimentIDs: [String]
    }

    struct DatasetSummaries: Encodable {
        var datasetSummaries: [DataValue]
    }
}
