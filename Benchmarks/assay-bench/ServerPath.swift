import ArgumentParser
import Assay
import AssayMLflowAPI
import AssayServer
import AssayStoreSQLite
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore

/// The tracking server's request path, layer by layer, on the load `scripts/bench-server` sends
/// (log-batch of 10 metrics and a tag, then get-run): the wire coding alone, the store alone (SQLite
/// file), and whole requests through the router in process. Prints microseconds per request pair.
struct ServerPath: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server-path", abstract: "Time the server's request path by layer: MLflow JSON coding, the SQLite store, the router.")

    @Option(help: "Request pairs (log-batch + get-run) per layer.") var pairs = 5_000

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("assay-bench-path-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteTrackingStore(path: folder.appendingPathComponent("assay.db").path)
        let runID = try await store.createRun(in: "0", named: "bench", startTime: 1, userID: nil, tags: []).id

        @Sendable func batch(_ step: Int) -> [String: DataValue] {
            let metrics: [DataValue] = (0..<10).map { k in
                .object([
                    "key": .string("m\(k)"), "value": .double(Double(step) * 0.5 + Double(k)), "timestamp": .int(step), "step": .int(step),
                ])
            }
            return [
                "run_id": .string(runID), "metrics": .list(metrics),
                "tags": .list([.object(["key": .string("t"), "value": .string("\(step)")])]),
            ]
        }

        // 1. MLflow JSON: parse the body, decode LogBatch, encode a run's answer, write it.
        try await store.logBatch(
            run: runID, metrics: (0..<10).map { MetricPoint(key: "m\($0)", value: 1, timestamp: 1, step: 0) }, params: [],
            tags: [KeyValue("t", "0")])
        let sample = try await store.run(id: runID)
        let body = DataValue.object(batch(1)).description
        var clock = ContinuousClock.now
        for _ in 0..<pairs {
            guard case .object(let fields) = try DataValue(json: body) else { continue }
            let request = try ProtoJSON.decode(MLflow.LogBatch.self, from: fields)
            _ = ProtoJSON.encode(MLflow.RunResponse(run: MLflow.Run(sample))).description + request.metrics[0].key
        }
        report("MLflow JSON coding (parse, decode, encode, write)", since: clock)

        // 2. The store: logBatch then run(id:), on a SQLite file.
        clock = .now
        for step in 0..<pairs {
            try await store.logBatch(
                run: runID,
                metrics: (0..<10).map { MetricPoint(key: "m\($0)", value: Double($0), timestamp: Int64(step), step: Int64(step)) },
                params: [], tags: [KeyValue("t", "\(step)")])
            _ = try await store.run(id: runID)
        }
        report("store (SQLite file): logBatch + run(id:)", since: clock)

        // 3. Whole requests through the router, in process (no sockets).
        var logger = Logger(label: "assay.bench")
        logger.logLevel = .critical
        let server = try TrackingServer(store: store, artifactRoot: folder.appendingPathComponent("artifacts"), logger: logger)
        let count = pairs
        let elapsed = try await server.application().test(.router) { client in
            let start = ContinuousClock.now
            for step in 0..<count {
                let body = ByteBuffer(string: DataValue.object(batch(step)).description)
                _ = try await client.execute(
                    uri: "/api/2.0/mlflow/runs/log-batch", method: .post, headers: [.contentType: "application/json"], body: body)
                _ = try await client.execute(uri: "/api/2.0/mlflow/runs/get?run_id=\(runID)", method: .get, headers: [:], body: nil)
            }
            return ContinuousClock.now - start
        }
        report("router + handlers + store, in process", elapsed: elapsed)
    }

    private func report(_ what: String, since start: ContinuousClock.Instant) {
        report(what, elapsed: ContinuousClock.now - start)
    }

    private func report(_ what: String, elapsed: Duration) {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(String(format: "%@: %.1f µs per request pair", what, seconds / Double(pairs) * 1e6))
    }
}
