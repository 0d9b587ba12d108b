import Assay
import AssayTesting
import Foundation
import HTTPTypes
import Testing

@testable import AssayServer

/// MLflow 3's routes in process: what they answer to well-formed requests the way the client reads
/// them, and MLflow's error body with a 4xx (never a 5xx) for bad ones.
@Suite struct MLflow3APITests {
    static let trace = "tr-5b8aa5a2d2c872e8321cf37308d69df2"

    static func startTrace(_ id: String = trace, extra: String = "") -> String {
        """
        {"trace": {"trace_info": {"trace_id": "\(id)", "trace_location": {"type": "MLFLOW_EXPERIMENT",
            "mlflow_experiment": {"experiment_id": "0"}}, "request_time": "2026-12-01T08:20:21.283Z",
            "execution_duration": "0.070s", "state": "OK", "trace_metadata": {"mlflow.sourceRun": "r1"},
            "tags": {"mlflow.traceName": "answer"}, "request_preview": "{\\"q\\": 1}"\(extra)}}}
        """
    }

    @Test func aTraceRecordReadsBackAsTheClientExpects() async throws {
        try await LiveServer.with { server in
            #expect(try await server.send(.get, "/version").body == TrackingServer.mlflowProtocolVersion)
            let started = try await server.send(.post, "/api/3.0/mlflow/traces", body: Self.startTrace())
            #expect(started.status == 200, "\(started.body)")
            let info = try #require((started.json["trace"] as? [String: Any])?["trace_info"] as? [String: Any])
            #expect(info["trace_id"] as? String == Self.trace && info["request_time"] as? String == "2026-12-01T08:20:21.283Z")
            #expect(info["execution_duration"] as? String == "0.070s" && info["state"] as? String == "OK")
            let tags = try #require(info["tags"] as? [String: String])
            // No spans yet: the client is to upload them (where the artifact location says), not to expect them here.
            #expect(
                tags["mlflow.trace.spansLocation"] == nil
                    && tags["mlflow.artifactLocation"]?.hasSuffix("/traces/\(Self.trace)/artifacts") == true)
            let file = "/api/2.0/mlflow-artifacts/artifacts/0/traces/\(Self.trace)/artifacts/traces.json"
            let spans =
                #"{"spans": [{"trace_id": "W4qlotLIcugyHPNzCNad8g==", "span_id": "APBnqgupArc=", "parent_span_id": "", "name": "answer", "start_time_unix_nano": 1764577221283000000, "end_time_unix_nano": 1764577221353000000, "status": {"code": "STATUS_CODE_OK"}, "attributes": {"mlflow.spanInputs": "{\"q\": 1}", "mlflow.spanType": "\"CHAIN\""}, "events": []}]}"#
            #expect(try await server.send(.put, file, bytes: Array(spans.utf8)).status == 200)
            let uploaded = try await server.send(.get, "/api/3.0/mlflow/traces/get?trace_id=\(Self.trace)")
            let trace = try #require(uploaded.json["trace"] as? [String: Any])
            let stored = try #require(trace["spans"] as? [[String: Any]])
            #expect(stored.count == 1 && stored[0]["span_id"] as? String == "APBnqgupArc=", "\(uploaded.body)")
            #expect(
                ((trace["trace_info"] as? [String: Any])?["tags"] as? [String: String])?["mlflow.trace.spansLocation"] == "TRACKING_STORE")
            let garbled = try await server.send(.put, file, bytes: Array("{\"spans\": 7}".utf8))
            #expect(garbled.status == 400 && garbled.body.contains("not an MLflow traces file"), "\(garbled.body)")
            #expect((info["trace_metadata"] as? [String: String])?["mlflow.sourceRun"] == "r1")

            let created = try await server.send(
                .post, "/api/3.0/mlflow/traces/\(Self.trace)/assessments",
                body:
                    #"{"assessment": {"assessment_name": "helpful", "source": {"source_type": "HUMAN", "source_id": "me"}, "feedback": {"value": {"score": 4, "ok": true}}, "rationale": "fine"}}"#
            )
            #expect(created.status == 200, "\(created.body)")
            let assessment = try #require(created.json["assessment"] as? [String: Any])
            let id = try #require(assessment["assessment_id"] as? String)
            #expect(((assessment["feedback"] as? [String: Any])?["value"] as? [String: Any])?["score"] as? Int == 4)
            let updated = try await server.send(
                .patch, "/api/3.0/mlflow/traces/\(Self.trace)/assessments/\(id)",
                body: #"{"assessment": {"rationale": "better", "feedback": {"value": 5}}, "update_mask": "rationale"}"#)
            let after = try #require(updated.json["assessment"] as? [String: Any])
            #expect(after["rationale"] as? String == "better")
            #expect(
                ((after["feedback"] as? [String: Any])?["value"] as? [String: Any])?["score"] as? Int == 4, "only the masked field changes")

            let search = try await server.send(
                .post, "/api/3.0/mlflow/traces/search",
                body:
                    #"{"locations": [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": "0"}}], "filter": "attributes.run_id = 'r1'"}"#
            )
            #expect((search.json["traces"] as? [[String: Any]])?.count == 1, "\(search.body)")
            let got = try await server.send(.get, "/api/3.0/mlflow/traces/get?trace_id=\(Self.trace)&allow_partial=false")
            #expect(
                got.status == 200
                    && ((got.json["trace"] as? [String: Any])?["trace_info"] as? [String: Any])?["trace_id"] as? String == Self.trace)
        }
    }

    @Test func legacyTraceRoutesStartEndAndDescribeATrace() async throws {
        try await LiveServer.with { server in
            let started = try await server.send(
                .post, "/api/2.0/mlflow/traces",
                body:
                    #"{"experiment_id": "0", "timestamp_ms": 1000, "request_metadata": [{"key": "m1", "value": "apple"}], "tags": [{"key": "t1", "value": "red"}]}"#
            )
            let info = try #require(started.json["trace_info"] as? [String: Any], "\(started.body)")
            let id = try #require(info["request_id"] as? String)
            #expect(id.hasPrefix("tr-") && info["status"] as? String == "IN_PROGRESS" && info["timestamp_ms"] as? Int == 1000)
            let ended = try await server.send(
                .patch, "/api/2.0/mlflow/traces/\(id)",
                body:
                    #"{"timestamp_ms": 3000, "status": "OK", "request_metadata": [{"key": "m2", "value": "pear"}], "tags": [{"key": "t1", "value": "blue"}]}"#
            )
            let after = try #require(ended.json["trace_info"] as? [String: Any], "\(ended.body)")
            #expect(after["execution_time_ms"] as? Int == 2000 && after["status"] as? String == "OK")
            let metadata = (after["request_metadata"] as? [[String: String]])?.map { "\($0["key"]!)=\($0["value"]!)" }
            #expect(metadata == ["m1=apple", "m2=pear"])
            #expect((after["tags"] as? [[String: String]])?.contains(["key": "t1", "value": "blue"]) == true)
            let described = try await server.send(.get, "/api/2.0/mlflow/traces/\(id)/info")
            #expect((described.json["trace_info"] as? [String: Any])?["execution_time_ms"] as? Int == 2000)
            let unknown = try await server.send(.patch, "/api/2.0/mlflow/traces/tr-nope", body: #"{"status": "OK"}"#)
            #expect(unknown.status == 404 && unknown.errorCode == "RESOURCE_DOES_NOT_EXIST")
            let badStatus = try await server.send(.patch, "/api/2.0/mlflow/traces/\(id)", body: #"{"status": "DONE"}"#)
            #expect(badStatus.status == 400 && badStatus.errorCode == "INVALID_PARAMETER_VALUE")
            #expect(try await server.send(.post, "/api/2.0/mlflow/traces", body: "{}").status == 400)
        }
    }

    @Test func traceAnalyticsAndTheTraceFileAnswerAsMLflowsUIReadsThem() async throws {
        try await LiveServer.with { server in
            #expect(try await server.send(.post, "/api/3.0/mlflow/traces", body: Self.startTrace()).status == 200)
            let spans =
                #"{"spans": [{"trace_id": "W4qlotLIcugyHPNzCNad8g==", "span_id": "APBnqgupArc=", "parent_span_id": "", "name": "answer", "start_time_unix_nano": 1764577221283000000, "end_time_unix_nano": 1764577221353000000, "status": {"code": "STATUS_CODE_OK"}, "attributes": {"mlflow.traceRequestId": "\"tr-5b8aa5a2d2c872e8321cf37308d69df2\"", "fruit": "\"apple\"", "mlflow.spanInputs": "{\"q\": 1}"}, "events": [{"name": "e", "time_unix_nano": 5, "attributes": {"foo": "bar"}}]}]}"#
            let file = "/api/2.0/mlflow-artifacts/artifacts/0/traces/\(Self.trace)/artifacts/traces.json"
            #expect(try await server.send(.put, file, bytes: Array(spans.utf8)).status == 200)

            let download = try await server.send(.get, "/ajax-api/2.0/mlflow/get-trace-artifact?request_id=\(Self.trace)")
            #expect(download.status == 200 && download.headers.first(name: "Content-Disposition") == "attachment; filename=traces.json")
            let span = try #require((download.json["spans"] as? [[String: Any]])?.first, "\(download.body)")
            // Attributes go back as the JSON texts MLflow's client wrote, objects the way Python writes them.
            let attributes = try #require(span["attributes"] as? [String: String])
            #expect(attributes["fruit"] == "\"apple\"" && attributes["mlflow.spanInputs"] == "{\"q\": 1}")
            #expect(span["span_id"] as? String == "APBnqgupArc=" && span["parent_span_id"] is NSNull)
            #expect(((span["events"] as? [[String: Any]])?.first?["attributes"] as? [String: String]) == ["foo": "bar"])
            #expect(try await server.send(.get, "/ajax-api/2.0/mlflow/get-trace-artifact?request_id=tr-nope").status == 404)
            #expect(try await server.send(.get, "/ajax-api/2.0/mlflow/get-trace-artifact").status == 400)
            #expect(try await server.send(.get, "/ajax-api/2.0/mlflow/get-trace-artifact?request_id=\(Self.trace)&path=../x").status == 400)

            let search = try await server.send(
                .post, "/api/3.0/mlflow/traces/search",
                body:
                    #"{"locations": [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": "0"}}], "filter": "trace.text LIKE '%apple%'"}"#
            )
            #expect((search.json["traces"] as? [[String: Any]])?.count == 1, "\(search.body)")

            let correlation = try await server.send(
                .post, "/api/3.0/mlflow/traces/calculate-filter-correlation",
                body:
                    #"{"experiment_ids": ["0"], "filter_string1": "tags.`mlflow.traceName` = 'answer'", "filter_string2": "status = 'ERROR'"}"#
            )
            #expect(correlation.json["total_count"] as? Int == 1 && correlation.json["filter1_count"] as? Int == 1, "\(correlation.body)")
            #expect(correlation.json["npmi"] as? String == "NaN", "no trace passes the second filter: undefined")
            let invalid = try await server.send(
                .post, "/api/3.0/mlflow/traces/calculate-filter-correlation",
                body: #"{"experiment_ids": ["0"], "filter_string1": "invalid.filter = 'x'", "filter_string2": "status = 'OK'"}"#)
            #expect(invalid.status == 400 && invalid.body.contains("Invalid"))

            let metrics = try await server.send(
                .post, "/api/3.0/mlflow/traces/metrics",
                body:
                    #"{"experiment_ids": ["0"], "view_type": "TRACES", "metric_name": "trace_count", "aggregations": [{"aggregation_type": "COUNT"}], "dimensions": ["trace_status"]}"#
            )
            let points = try #require(metrics.json["data_points"] as? [[String: Any]], "\(metrics.body)")
            #expect(points.count == 1 && (points[0]["values"] as? [String: Double]) == ["COUNT": 1])
            #expect((points[0]["dimensions"] as? [String: String]) == ["trace_status": "OK"])
            for bad in [
                #"{"experiment_ids": ["0"], "view_type": "TRACES", "metric_name": "nope", "aggregations": [{"aggregation_type": "COUNT"}]}"#,
                #"{"experiment_ids": ["0"], "view_type": "ROWS", "metric_name": "trace_count"}"#,
                #"{"experiment_ids": ["0"], "view_type": "TRACES", "metric_name": "latency", "aggregations": [{"aggregation_type": "PERCENTILE", "percentile_value": 101}]}"#,
                #"{"experiment_ids": ["0"], "view_type": "TRACES", "metric_name": "latency", "aggregations": [{"aggregation_type": "AVG"}], "time_interval_seconds": 60}"#,
                #"{"experiment_ids": ["0"], "view_type": "SPANS", "metric_name": "span_count", "aggregations": [{"aggregation_type": "COUNT"}], "filters": ["span.color = 'red'"]}"#,
            ] {
                let answer = try await server.send(.post, "/api/3.0/mlflow/traces/metrics", body: bad)
                #expect(answer.status == 400 && answer.errorCode == "INVALID_PARAMETER_VALUE", "\(bad): \(answer.body)")
            }
        }
    }

    @Test func assessmentsOverrideEachOtherAndStructuredExpectationsAreSerialized() async throws {
        try await LiveServer.with { server in
            #expect(try await server.send(.post, "/api/3.0/mlflow/traces", body: Self.startTrace()).status == 200)
            let path = "/api/3.0/mlflow/traces/\(Self.trace)/assessments"
            func create(_ body: String) async throws -> [String: Any] {
                let answer = try await server.send(.post, path, body: body)
                return try #require(answer.json["assessment"] as? [String: Any], "\(answer.body)")
            }
            let first = try await create(
                #"{"assessment": {"assessment_name": "q", "feedback": {"value": 4}, "source": {"source_type": "HUMAN"}}}"#)
            let firstID = try #require(first["assessment_id"] as? String)
            let second = try await create(
                #"{"assessment": {"assessment_name": "q", "feedback": {"value": 2}, "source": {"source_type": "HUMAN"}, "overrides": "\#(firstID)"}}"#
            )
            let secondID = try #require(second["assessment_id"] as? String)
            func valid(_ id: String) async throws -> Bool? {
                (try await server.send(.get, "\(path)/\(id)").json["assessment"] as? [String: Any])?["valid"] as? Bool
            }
            let (overridden, overriding) = (try await valid(firstID), try await valid(secondID))
            #expect(overridden == false && overriding == true)
            #expect(try await server.send(.delete, "\(path)/\(secondID)", body: "{}").status == 200)
            #expect(try await valid(firstID) == true)
            let missing = try await server.send(
                .post, path,
                body:
                    #"{"assessment": {"assessment_name": "q", "feedback": {"value": 1}, "source": {"source_type": "HUMAN"}, "overrides": "a-nope"}}"#
            )
            #expect(missing.status == 404)

            let expectation = try await create(
                #"{"assessment": {"assessment_name": "limits", "expectation": {"value": {"passed": true, "ms": 750}}, "source": {"source_type": "CODE"}}}"#
            )
            let serialized = try #require((expectation["expectation"] as? [String: Any])?["serialized_value"] as? [String: Any])
            #expect(serialized["serialization_format"] as? String == "JSON_FORMAT")
            let value = try #require(
                try JSONSerialization.jsonObject(with: Data((serialized["value"] as? String ?? "").utf8)) as? [String: Any])
            #expect(value["passed"] as? Bool == true && value["ms"] as? Int == 750)
            let plain = try await create(
                #"{"assessment": {"assessment_name": "answer", "expectation": {"value": "Paris"}, "source": {"source_type": "HUMAN"}}}"#)
            #expect((plain["expectation"] as? [String: Any])?["value"] as? String == "Paris")
        }
    }

    @Test func metricsLoggedForAModelAndPromptLabRunsAnswerAsTheClientReadsThem() async throws {
        try await LiveServer.with { server in
            let created = try await server.send(
                .post, "/api/2.0/mlflow/logged-models", body: #"{"experiment_id": "0", "source_run_id": "123"}"#)
            let id = try #require(
                ((created.json["model"] as? [String: Any])?["info"] as? [String: Any])?["model_id"] as? String, "\(created.body)")
            let run = try await server.send(.post, "/api/2.0/mlflow/runs/create", body: #"{"experiment_id": "0"}"#)
            let runID = try #require(((run.json["run"] as? [String: Any])?["info"] as? [String: Any])?["run_id"] as? String)
            let logged = try await server.send(
                .post, "/api/2.0/mlflow/runs/log-metric",
                body:
                    #"{"run_id": "\#(runID)", "key": "metric", "value": 0.5, "timestamp": 123456789, "step": 1, "model_id": "\#(id)", "dataset_name": "name", "dataset_digest": "digest"}"#
            )
            #expect(logged.status == 200, "\(logged.body)")
            let model = try await server.send(.get, "/api/2.0/mlflow/logged-models/\(id)")
            let metric = try #require(((model.json["model"] as? [String: Any])?["data"] as? [String: Any])?["metrics"] as? [[String: Any]])
            #expect(metric.count == 1 && metric[0]["run_id"] as? String == runID && metric[0]["dataset_digest"] as? String == "digest")
            #expect(metric[0]["model_id"] as? String == id && metric[0]["value"] as? Double == 0.5)
            let search = try await server.send(
                .post, "/api/2.0/mlflow/logged-models/search",
                body:
                    #"{"experiment_ids": ["0"], "datasets": [{"dataset_name": "name", "dataset_digest": "digest"}], "filter": "metrics.metric >= 0.5"}"#
            )
            #expect((search.json["models"] as? [[String: Any]])?.count == 1, "\(search.body)")
            let noName = try await server.send(
                .post, "/api/2.0/mlflow/logged-models/search",
                body: #"{"experiment_ids": ["0"], "datasets": [{"dataset_digest": "digest"}]}"#)
            #expect(noName.status == 400)

            let lab = "/ajax-api/2.0/mlflow/runs/create-promptlab-run"
            let incomplete = try await server.send(.post, lab, body: #"{"experiment_id": "0", "prompt_template": "Say {{ x }}"}"#)
            #expect(incomplete.status == 400 && incomplete.body.contains("CreatePromptlabRun request must specify prompt_parameters."))
            let made = try await server.send(
                .post, lab,
                body:
                    #"{"experiment_id": "0", "run_name": "tried", "prompt_template": "Say {{ x }}", "prompt_parameters": [{"key": "x", "value": 7}], "model_route": "chat", "model_parameters": [{"key": "temperature", "value": "0.1"}], "model_input": "Say 7", "model_output": "7", "mlflow_version": "3.17.2", "user_id": "me", "start_time": 456}"#
            )
            let info = try #require((made.json["run"] as? [String: Any])?["info"] as? [String: Any], "\(made.body)")
            #expect(info["status"] as? String == "FINISHED" && info["start_time"] as? Int == 456 && info["user_id"] as? String == "me")
            let labRun = try #require(info["run_id"] as? String)
            let table = try await server.send(.get, "/get-artifact?run_id=\(labRun)&path=eval_results_table.json")
            #expect(
                table.status == 200 && table.body == #"{"columns": ["x", "prompt", "output"], "data": [["7", "Say 7", "7"]]}"#,
                "\(table.body)")
        }
    }

    @Test func aLoggedModelsFilesAreListedAndReadAsMLflowsUIAsks() async throws {
        try await LiveServer.with { server in
            let created = try await server.send(.post, "/api/2.0/mlflow/logged-models", body: #"{"experiment_id": "0", "name": "agent"}"#)
            let info = try #require((created.json["model"] as? [String: Any])?["info"] as? [String: Any], "\(created.body)")
            let id = try #require(info["model_id"] as? String)
            let location = try #require(info["artifact_uri"] as? String)
            let folder = String(location.dropFirst("mlflow-artifacts:/".count))
            for (path, text) in [("MLmodel", "model_id: \(id)"), ("code/app.py", "print(1)")] {
                let put = try await server.send(.put, "/api/2.0/mlflow-artifacts/artifacts/\(folder)/\(path)", bytes: Array(text.utf8))
                #expect(put.status == 200, "\(put.body)")
            }
            let listed = try await server.send(.get, "/ajax-api/2.0/mlflow/logged-models/\(id)/artifacts/directories")
            let paths = (listed.json["files"] as? [[String: Any]])?.compactMap { $0["path"] as? String }
            #expect(paths == ["MLmodel", "code"], "\(listed.body)")
            let nested = try await server.send(
                .get, "/ajax-api/2.0/mlflow/logged-models/\(id)/artifacts/directories?artifact_directory_path=code")
            #expect(nested.body.contains("code/app.py"), "\(nested.body)")
            let file = try await server.send(.get, "/ajax-api/2.0/mlflow/logged-models/\(id)/artifacts/files?artifact_file_path=MLmodel")
            #expect(file.status == 200 && file.body.contains(id))
            let escape = try await server.send(.get, "/ajax-api/2.0/mlflow/logged-models/\(id)/artifacts/files?artifact_file_path=../x")
            #expect(escape.status == 400 && escape.errorCode == "INVALID_PARAMETER_VALUE")
            let unknown = try await server.send(.get, "/ajax-api/2.0/mlflow/logged-models/m-nope/artifacts/directories")
            #expect(unknown.status == 404 && unknown.errorCode == "RESOURCE_DOES_NOT_EXIST")
        }
    }

    @Test func extremeTimesAreStoredWithoutOverflow() async throws {
        try await LiveServer.with { server in
            // Milliseconds made nanoseconds used to trap: a far-future request time, a huge duration, a huge cutoff.
            let far = "tr-" + String(repeating: "f", count: 32)
            let started = try await server.send(
                .post, "/api/3.0/mlflow/traces",
                body: Self.startTrace(far).replacingOccurrences(of: #""2026-12-01T08:20:21.283Z""#, with: "9200000000000000000")
                    .replacingOccurrences(of: #""0.070s""#, with: #""8000000000000s""#))
            #expect(started.status == 200, "\(started.body)")
            #expect(try await server.send(.post, "/api/3.0/mlflow/traces", body: Self.startTrace()).status == 200)
            #expect(try await server.send(.get, "/traces/\(far)").status == 200)
            #expect(try await server.send(.get, "/experiments/0/traces").status == 200)
            let refused = try await server.send(
                .post, "/api/2.0/mlflow/traces/delete-traces", body: #"{"experiment_id": "0", "max_timestamp_millis": 1, "max_traces": -5}"#
            )
            #expect(refused.status == 200 && refused.json["traces_deleted"] as? Int ?? 0 == 0, "\(refused.body)")
            // A cutoff in the year 33658 takes the 2026 trace, not the one past the end of time.
            let deleted = try await server.send(
                .post, "/api/2.0/mlflow/traces/delete-traces", body: #"{"experiment_id": "0", "max_timestamp_millis": 1000000000000000}"#)
            #expect(deleted.status == 200 && deleted.json["traces_deleted"] as? Int == 1, "\(deleted.body)")
        }
    }

    @Test func badRequestsOnTheNewRoutesAre4xxWithMLflowsErrorBody() async throws {
        try await LiveServer.with { server in
            _ = try await server.send(.post, "/api/3.0/mlflow/traces", body: Self.startTrace())
            let unknown = "tr-" + String(repeating: "0", count: 32)
            let cases: [(HTTPRequest.Method, String, String?, Int, String, String)] = [
                (.post, "/api/2.0/mlflow/logged-models", #"{"name": "m"}"#, 400, "INVALID_PARAMETER_VALUE", "experiment_id"),
                (.post, "/api/2.0/mlflow/logged-models", #"{"experiment_id": "404"}"#, 404, "RESOURCE_DOES_NOT_EXIST", "Experiment"),
                (
                    .post, "/api/2.0/mlflow/logged-models", #"{"experiment_id": "0", "name": "a\u0000b"}"#, 400, "INVALID_PARAMETER_VALUE",
                    ""
                ),
                (
                    .post, "/api/2.0/mlflow/logged-models", #"{"experiment_id": "0", "tags": "many"}"#, 400, "INVALID_PARAMETER_VALUE",
                    "tags"
                ),
                (.get, "/api/2.0/mlflow/logged-models/m-nope", nil, 404, "RESOURCE_DOES_NOT_EXIST", "m-nope"),
                (.patch, "/api/2.0/mlflow/logged-models/m-nope", #"{"status": "LOGGED_MODEL_READY"}"#, 404, "RESOURCE_DOES_NOT_EXIST", ""),
                (
                    .post, "/api/2.0/mlflow/logged-models/search", #"{"experiment_ids": ["0"], "filter": "name >> 'x'"}"#, 400,
                    "INVALID_PARAMETER_VALUE", ""
                ),
                (
                    .post, "/api/2.0/mlflow/runs/outputs", #"{"run_id": "nope", "models": [{"model_id": "m-x"}]}"#, 404,
                    "RESOURCE_DOES_NOT_EXIST", ""
                ),
                (.post, "/api/3.0/mlflow/traces", #"{"trace": {"trace_info": {}}}"#, 400, "INVALID_PARAMETER_VALUE", "trace_id"),
                (.post, "/api/3.0/mlflow/traces", Self.startTrace(extra: #", "state": "MAYBE""#), 400, "INVALID_PARAMETER_VALUE", ""),
                (
                    .post, "/api/3.0/mlflow/traces",
                    Self.startTrace().replacingOccurrences(of: "2026-12-01T08:20:21.283Z", with: "yesterday"), 400,
                    "INVALID_PARAMETER_VALUE", "timestamp"
                ),
                (
                    .post, "/api/3.0/mlflow/traces", Self.startTrace().replacingOccurrences(of: "0.070s", with: "1e400s"), 400,
                    "INVALID_PARAMETER_VALUE", "duration"
                ),
                (
                    .post, "/api/3.0/mlflow/traces", Self.startTrace().replacingOccurrences(of: "\"answer\"", with: "\"a\\u0000\""), 400,
                    "INVALID_PARAMETER_VALUE", ""
                ),
                (.get, "/api/3.0/mlflow/traces/\(unknown)", nil, 404, "RESOURCE_DOES_NOT_EXIST", "not found"),
                (.get, "/api/3.0/mlflow/traces/get?trace_id=\(unknown)", nil, 404, "RESOURCE_DOES_NOT_EXIST", "not found"),
                (.get, "/api/3.0/mlflow/traces/get", nil, 400, "INVALID_PARAMETER_VALUE", "trace_id"),
                (.post, "/api/3.0/mlflow/traces/search", #"{}"#, 400, "INVALID_PARAMETER_VALUE", "locations"),
                (
                    .post, "/api/3.0/mlflow/traces/search", #"{"experiment_ids": ["0"], "filter": "metrics.x > 1"}"#, 400,
                    "INVALID_PARAMETER_VALUE", "entity"
                ),
                (
                    .post, "/api/3.0/mlflow/traces/search", #"{"experiment_ids": ["0"], "order_by": ["bogus DESC"]}"#, 400,
                    "INVALID_PARAMETER_VALUE", ""
                ),
                (
                    .post, "/api/3.0/mlflow/traces/search", #"{"experiment_ids": ["0"], "max_results": 0}"#, 400, "INVALID_PARAMETER_VALUE",
                    ""
                ),
                (
                    .post, "/api/3.0/mlflow/traces/\(unknown)/assessments",
                    #"{"assessment": {"assessment_name": "a", "feedback": {"value": 1}}}"#, 404, "RESOURCE_DOES_NOT_EXIST", ""
                ),
                (
                    .post, "/api/3.0/mlflow/traces/\(Self.trace)/assessments", #"{"assessment": {"feedback": {"value": 1}}}"#, 400,
                    "INVALID_PARAMETER_VALUE", "assessment_name"
                ),
                (
                    .post, "/api/3.0/mlflow/traces/\(Self.trace)/assessments", #"{"assessment": {"assessment_name": "a"}}"#, 400,
                    "INVALID_PARAMETER_VALUE", "feedback"
                ),
                (
                    .post, "/api/3.0/mlflow/traces/\(Self.trace)/assessments",
                    #"{"assessment": {"assessment_name": "a", "feedback": {"value": 1}, "source": {"source_type": "ROBOT"}}}"#, 400,
                    "INVALID_PARAMETER_VALUE", "source_type"
                ),
                (
                    .post, "/api/3.0/mlflow/traces/\(Self.trace)/assessments",
                    #"{"assessment": {"assessment_name": "a\u0000", "feedback": {"value": 1}}}"#, 400, "INVALID_PARAMETER_VALUE", ""
                ),
                (.get, "/api/3.0/mlflow/traces/\(Self.trace)/assessments/a-nope", nil, 404, "RESOURCE_DOES_NOT_EXIST", "a-nope"),
                (.delete, "/api/3.0/mlflow/traces/\(Self.trace)/assessments/a-nope", nil, 404, "RESOURCE_DOES_NOT_EXIST", ""),
                (.patch, "/api/2.0/mlflow/traces/\(unknown)/tags", #"{"key": "k", "value": "v"}"#, 404, "RESOURCE_DOES_NOT_EXIST", ""),
                (.delete, "/api/2.0/mlflow/traces/\(Self.trace)/tags", #"{"key": "never-set"}"#, 404, "RESOURCE_DOES_NOT_EXIST", ""),
                (.post, "/api/2.0/mlflow/traces/delete-traces", #"{"experiment_id": "0"}"#, 400, "INVALID_PARAMETER_VALUE", "request_ids"),
                (
                    .post, "/api/2.0/mlflow/traces/link-to-run", #"{"trace_ids": ["\#(Self.trace)"], "run_id": "nope"}"#, 404,
                    "RESOURCE_DOES_NOT_EXIST", ""
                ),
            ]
            for (method, path, body, status, code, message) in cases {
                let reply = try await server.send(method, path, body: body)
                #expect(reply.status == status, "\(method) \(path) \(body ?? ""): \(reply.status) \(reply.body)")
                #expect(reply.errorCode == code, "\(method) \(path): \(reply.body)")
                #expect(message.isEmpty || reply.body.contains(message), "\(method) \(path): \(reply.body)")
            }
            let huge = String(repeating: "x", count: 17 << 20)
            let tooBig = try await server.send(
                .post, "/api/3.0/mlflow/traces", body: Self.startTrace(extra: #", "response_preview": "\#(huge)""#))
            #expect(tooBig.status == 413 && tooBig.errorCode != nil)
            #expect(try await server.send(.get, "/api/3.0/mlflow/traces/\(Self.trace)").status == 200, "still serving")
        }
    }

    @Test func datasetsAndScorersAnswerAsTheClientReadsThemAndRefuseBadInput() async throws {
        try await LiveServer.with { server in
            let created = try await server.send(
                .post, "/api/3.0/mlflow/datasets/create",
                body: #"{"name": "golden", "experiment_ids": ["0"], "tags": "{\"team\": \"nlp\"}"}"#)
            let id = try #require((created.json["dataset"] as? [String: Any])?["dataset_id"] as? String, "\(created.body)")
            #expect((created.json["dataset"] as? [String: Any])?["tags"] as? String == #"{"team":"nlp"}"#)
            let records = #"{"records": "[{\"inputs\": {\"q\": \"2+2?\"}, \"expectations\": {\"a\": \"4\"}}]"}"#
            let upserted = try await server.send(.post, "/api/3.0/mlflow/datasets/\(id)/records", body: records)
            #expect(upserted.json["inserted_count"] as? Int == 1, "\(upserted.body)")
            let listed = try await server.send(.get, "/api/3.0/mlflow/datasets/\(id)/records?max_results=10")
            let text = try #require(listed.json["records"] as? String)
            #expect(text.contains(#""dataset_record_id":"dr-"#) && text.contains(#""created_time":"#), "\(text)")

            // A gateway scorer can be scored online; the answer is MLflow's plain JSON.
            let registered = try await server.send(
                .post, "/api/3.0/mlflow/scorers/register",
                body:
                    #"{"experiment_id": "0", "name": "judge", "serialized_scorer": "{\"builtin_scorer_pydantic_data\": {\"model\": \"gateway:/judge\"}}"}"#
            )
            #expect(registered.json["version"] as? Int == 1, "\(registered.body)")
            let scorerID = try #require(registered.json["scorer_id"] as? String)
            let online = try await server.send(
                .put, "/api/3.0/mlflow/scorers/online-config", body: #"{"experiment_id": "0", "name": "judge", "sample_rate": 0.25}"#)
            let config = try #require(online.json["config"] as? [String: Any], "\(online.body)")
            #expect(
                config["sample_rate"] as? Double == 0.25 && config["scorer_id"] as? String == scorerID
                    && config["experiment_id"] as? String == "0")
            let configs = try await server.send(.get, "/api/3.0/mlflow/scorers/online-configs?scorer_ids=\(scorerID)")
            #expect((configs.json["configs"] as? [[String: Any]])?.count == 1)
            let none = try await server.send(.get, "/api/3.0/mlflow/scorers/online-configs?scorer_ids=nope")
            #expect(none.body.contains(#""configs":[]"#), "the client reads the key even when there are none: \(none.body)")
            let listing = try await server.send(.get, "/api/3.0/mlflow/scorers/list?experiment_id=0")
            #expect(((listing.json["scorers"] as? [[String: Any]])?.first?["experiment_id"] as? Int) == 0, "\(listing.body)")

            let cases: [(HTTPRequest.Method, String, String?, Int, String)] = [
                (.post, "/api/3.0/mlflow/datasets/create", #"{"experiment_ids": ["0"]}"#, 400, "name"),
                (.post, "/api/3.0/mlflow/datasets/create", #"{"name": "x", "experiment_ids": ["404"]}"#, 404, ""),
                (.post, "/api/3.0/mlflow/datasets/create", #"{"name": "x", "tags": "[1]"}"#, 400, "tags"),
                (.get, "/api/3.0/mlflow/datasets/d-nope", nil, 404, "not found"),
                (.post, "/api/3.0/mlflow/datasets/\(id)/records", #"{"records": "not json"}"#, 400, "records"),
                (.post, "/api/3.0/mlflow/datasets/\(id)/records", #"{"records": "[{\"inputs\": 7}]"}"#, 400, "records[0].inputs"),
                (
                    .post, "/api/3.0/mlflow/datasets/\(id)/records", #"{"records": "[{\"inputs\": {}, \"expectations\": 3}]"}"#, 400,
                    "expectations"
                ),
                (.post, "/api/3.0/mlflow/datasets/d-nope/records", #"{"records": "[]"}"#, 404, ""),
                (.post, "/api/3.0/mlflow/datasets/search", #"{"filter_string": "metrics.x > 1"}"#, 400, ""),
                (.post, "/api/3.0/mlflow/datasets/search", #"{"order_by": ["bogus"]}"#, 400, "order_by"),
                (
                    .post, "/api/3.0/mlflow/scorers/register", #"{"experiment_id": "0", "name": "s", "serialized_scorer": "nope"}"#, 400,
                    "serialized_scorer"
                ),
                (.post, "/api/3.0/mlflow/scorers/register", #"{"experiment_id": "404", "name": "s", "serialized_scorer": "{}"}"#, 404, ""),
                (.get, "/api/3.0/mlflow/scorers/get?experiment_id=0&name=nope", nil, 404, "not found"),
                (.get, "/api/3.0/mlflow/scorers/get?experiment_id=0", nil, 400, "name"),
                (
                    .put, "/api/3.0/mlflow/scorers/online-config", #"{"experiment_id": "0", "name": "judge", "sample_rate": 7}"#, 400,
                    "sample_rate"
                ),
                (
                    .put, "/api/3.0/mlflow/scorers/online-config", #"{"experiment_id": "0", "name": "judge", "sample_rate": "half"}"#, 400,
                    ""
                ),
                (.delete, "/api/3.0/mlflow/scorers/delete", #"{"experiment_id": "0", "name": "judge", "version": 9}"#, 404, ""),
            ]
            for (method, path, body, status, message) in cases {
                let reply = try await server.send(method, path, body: body)
                #expect(reply.status == status && reply.errorCode != nil, "\(method) \(path) \(body ?? ""): \(reply.status) \(reply.body)")
                #expect(message.isEmpty || reply.body.contains(message), "\(method) \(path): \(reply.body)")
            }
        }
    }
}
