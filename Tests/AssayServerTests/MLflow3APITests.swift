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
