import Assay
import AssayS3
import AssayServer
import Foundation
import HTTPTypes
import Testing

/// What operators and load balancers read: health, readiness, Prometheus metrics, request ids.
@Suite struct OperationsTests {
    /// `name{labels} value` lines of Prometheus' text format, by name and label text.
    static func samples(_ text: String) throws -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                Issue.record("not a Prometheus sample line: \(line)")
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    @Test func healthReadinessAndMetricsCountWhatWasSent() async throws {
        try await LiveServer.with { server in
            #expect(try await server.send(.get, "/health").body == "OK")
            let ready = try await server.send(.get, "/ready")
            #expect(ready.status == 200 && ready.json["status"] as? String == "ready" && ready.json["database"] as? String == "ok")
            let run = try await server.createRun()
            for _ in 0..<7 {
                #expect(
                    try await server.post("runs/log-metric", #"{"run_id": "\#(run)", "key": "m", "value": 1, "timestamp": 1}"#).status
                        == 200)
            }
            for _ in 0..<3 { #expect(try await server.get("runs/get?run_id=nope").status == 404) }
            let file = "/api/2.0/mlflow-artifacts/artifacts/0/\(run)/artifacts/a.txt"
            #expect(try await server.send(.put, file, bytes: Array("twelve bytes".utf8)).status == 200)
            #expect(try await server.send(.get, file).body == "twelve bytes")

            let metrics = try await server.send(.get, "/metrics")
            #expect(metrics.headers.first(name: "Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
            let samples = try Self.samples(metrics.body)
            #expect(samples[#"assay_http_requests_total{route="/api/2.0/mlflow/runs/log-metric",method="POST",status="200"}"#] == 7)
            #expect(samples[#"assay_http_requests_total{route="/api/2.0/mlflow/runs/get",method="GET",status="404"}"#] == 3)
            #expect(samples[#"assay_http_request_duration_seconds_count{route="/api/2.0/mlflow/runs/log-metric",method="POST"}"#] == 7)
            #expect(
                samples[#"assay_artifact_bytes_total{direction="in"}"#] == 12
                    && samples[#"assay_artifact_bytes_total{direction="out"}"#] == 12)
            #expect(samples[#"assay_db_operations_in_flight{kind="write"}"#] == 0)
            #expect(samples["assay_http_requests_in_flight"] == 1, "the /metrics request itself")
        }
    }

    @Test func requestsCarryAnIdBackAndAHostileOneIsReplaced() async throws {
        try await LiveServer.with { server in
            let given = try await server.send(.get, "/health", headers: [("X-Request-Id", "trace-42.a_b")])
            #expect(given.headers.first(name: "X-Request-Id") == "trace-42.a_b")
            let made = try await server.send(.get, "/api/2.0/mlflow/experiments/get?experiment_id=0")
            #expect(made.headers.first(name: "X-Request-Id")?.count == 32)
            let hostile = try await server.send(.get, "/health", headers: [("X-Request-Id", "a\"b<script>")])
            #expect(hostile.headers.first(name: "X-Request-Id")?.count == 32)
            let failed = try await server.get("runs/get?run_id=nope", headers: [("X-Request-Id", "failing-1")])
            #expect(failed.status == 404 && failed.headers.first(name: "X-Request-Id") == "failing-1")
        }
    }

    @Test func anArtifactStoreThatDoesNotAnswerMakesTheServerNotReady() async throws {
        let unreachable = S3Configuration(
            credentials: S3Credentials(accessKeyID: "k", secretAccessKey: "s"), endpoint: URL(string: "http://127.0.0.1:9")!)
        try await LiveServer.with(artifactDestination: .s3(S3Location(bucket: "nowhere", prefix: ""), unreachable)) { server in
            let ready = try await server.send(.get, "/ready")
            #expect(ready.status == 503 && ready.json["database"] as? String == "ok", "\(ready.body)")
            #expect((ready.json["artifacts"] as? String ?? "ok") != "ok")
            #expect(try await server.send(.get, "/health").status == 200)
        }
    }
}
