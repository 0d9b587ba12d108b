import Assay
import AssayMLflowAPI
import AssayServer
import AssayStoreSQLite
import AssayTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// The server driven in process through HummingbirdTesting (no port), or on a free loopback port
/// (`live: true`) when the peer is a real external program; over a SQLite file, with its artifact
/// folder. The server stops when the test body returns.
struct LiveServer {
    let client: any TestClientProtocol
    let store: any TrackingStore
    let artifacts: URL
    let folder: TemporaryFolder

    /// The server's address, for external programs (live servers only).
    var base: String { "http://127.0.0.1:\(client.port ?? 0)" }

    struct Reply {
        let status: Int
        let body: String
        let headers: Headers
        /// The body as sent, for binary files.
        var bytes: [UInt8] = []
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var errorCode: String? { json["error_code"] as? String }
    }

    /// A response's header fields, looked up by name.
    struct Headers {
        let fields: HTTPFields
        func first(name: String) -> String? { HTTPField.Name(name).flatMap { fields[$0] } }
    }

    static func with(
        _ configure: (inout TrackingServer.Configuration) -> Void = { _ in },
        store given: (any TrackingStore)? = nil,
        artifactDestination: ArtifactDestination? = nil,
        live: Bool = false,
        seed: (any TrackingStore, URL) async throws -> Void = { _, _ in },
        _ body: @escaping @Sendable (LiveServer) async throws -> Void
    ) async throws {
        let folder = try TemporaryFolder()
        let store = try given ?? SQLiteTrackingStore(path: folder.path("assay.db"))
        let artifacts = folder.url.appendingPathComponent("artifacts")
        try await seed(store, artifacts)
        var configuration = TrackingServer.Configuration()
        configuration.port = 0
        // HummingbirdTesting's live client keeps one connection and does not reconnect: it must outlast a
        // test that waits for a slow peer (the local model) between requests.
        if live { configuration.idleTimeout = .seconds(600) }
        configure(&configuration)
        var logger = Logger(label: "assay.server.test")
        logger.logLevel = .critical
        let server = try TrackingServer(
            store: store, artifacts: artifactDestination ?? .folder(artifacts), configuration: configuration, logger: logger)
        try await server.application().test(live ? .live : .router) { client in
            try await body(LiveServer(client: client, store: store, artifacts: artifacts, folder: folder))
        }
    }

    func send(
        _ method: HTTPRequest.Method, _ path: String, body: String? = nil, bytes: [UInt8]? = nil, headers: [(String, String)] = []
    )
        async throws -> Reply
    {
        var fields = HTTPFields()
        for (name, value) in headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        var payload: ByteBuffer?
        if let body {
            payload = ByteBuffer(string: body)
            fields[.contentType] = "application/json"
        }
        if let bytes { payload = ByteBuffer(bytes: bytes) }
        let response = try await client.execute(uri: path, method: method, headers: fields, body: payload)
        return Reply(
            status: Int(response.status.code), body: String(buffer: response.body), headers: Headers(fields: response.headers),
            bytes: Array(response.body.readableBytesView))
    }

    func post(_ endpoint: String, _ body: String, headers: [(String, String)] = []) async throws -> Reply {
        try await send(.post, "/api/2.0/mlflow/" + endpoint, body: body, headers: headers)
    }

    func get(_ endpointAndQuery: String, headers: [(String, String)] = []) async throws -> Reply {
        try await send(.get, "/api/2.0/mlflow/" + endpointAndQuery, headers: headers)
    }

    func createRun() async throws -> String {
        let reply = try await post("runs/create", #"{"experiment_id": "0", "start_time": 1}"#)
        return try #require(((reply.json["run"] as? [String: Any])?["info"] as? [String: Any])?["run_id"] as? String)
    }
}

@Suite struct TrackingServerTests {
    @Test func badRequestsGetMLflowErrorsAndTheServerKeepsServing() async throws {
        try await LiveServer.with { server in
            let run = try await server.createRun()
            let cases: [(String, String, Int, String, String)] = [
                ("runs/log-metric", "{not json", 400, "INVALID_PARAMETER_VALUE", "not valid JSON"),
                ("runs/log-metric", "[1, 2]", 400, "INVALID_PARAMETER_VALUE", "must be a JSON object"),
                (
                    "runs/log-metric", #"{"run_id": "\#(run)", "key": "k", "value": "abc", "timestamp": 1}"#, 400,
                    "INVALID_PARAMETER_VALUE", "for parameter 'value' supplied"
                ),
                (
                    "runs/log-metric", #"{"run_id": "\#(run)", "key": "k", "value": 1, "timestamp": "soon"}"#, 400,
                    "INVALID_PARAMETER_VALUE", "timestamp"
                ),
                (
                    "runs/log-metric", #"{"run_id": "\#(String(repeating: "0", count: 32))", "key": "k", "value": 1, "timestamp": 1}"#, 404,
                    "RESOURCE_DOES_NOT_EXIST", "not found"
                ),
                ("runs/log-batch", #"{"run_id": "\#(run)", "metrics": "many"}"#, 400, "INVALID_PARAMETER_VALUE", "expected a list"),
                (
                    "runs/log-batch", #"{"run_id": "\#(run)", "params": [{"value": "x"}]}"#, 400, "INVALID_PARAMETER_VALUE",
                    "'params[0].key'"
                ),
                (
                    "runs/log-parameter", #"{"key": "k", "value": "v"}"#, 400, "INVALID_PARAMETER_VALUE",
                    "Missing value for required parameter 'run_id'"
                ),
                (
                    "runs/search", #"{"experiment_ids": ["0"], "filter": "metrics.a >> 1"}"#, 400, "INVALID_PARAMETER_VALUE",
                    "Invalid comparator"
                ),
                ("runs/search", #"{"experiment_ids": ["0"], "max_results": 50001}"#, 400, "INVALID_PARAMETER_VALUE", "max_results"),
                (
                    "runs/search", #"{"experiment_ids": ["0"], "order_by": ["metrics.a", "metrics.a"]}"#, 400, "INVALID_PARAMETER_VALUE",
                    "duplicate"
                ),
                ("experiments/create", #"{"name": "Default"}"#, 400, "RESOURCE_ALREADY_EXISTS", "already exists"),
                (
                    "runs/log-metric", String(repeating: "[", count: 2000) + String(repeating: "]", count: 2000), 400,
                    "INVALID_PARAMETER_VALUE", "too deep"
                ),
            ]
            for (endpoint, body, status, code, fragment) in cases {
                let reply = try await server.post(endpoint, body)
                #expect(reply.status == status, "\(endpoint) \(body.prefix(60))")
                #expect(reply.errorCode == code, "\(endpoint) \(body.prefix(60)): \(reply.body)")
                #expect(reply.body.contains(fragment), "\(endpoint): \(reply.body)")
                #expect(reply.headers.first(name: "Content-Type") == "application/json")
            }
            let huge = try await server.post(
                "runs/log-batch",
                #"{"run_id": "\#(run)", "tags": [{"key": "k", "value": ""#
                    + String(repeating: "x", count: 17 << 20) + #""}]}"#)
            #expect(huge.status == 413 && huge.errorCode == "INVALID_PARAMETER_VALUE")
            let unknown = try await server.get("runs/get?run_id=nope")
            #expect(unknown.status == 404 && unknown.errorCode == "RESOURCE_DOES_NOT_EXIST")
            let missing = try await server.get("runs/get")
            #expect(missing.body.contains("Missing value for required parameter 'run_id'"))
            let route = try await server.send(.get, "/api/2.0/mlflow/no/such/route")
            #expect(route.status == 404 && route.errorCode == "ENDPOINT_NOT_FOUND")
            let wrongMethod = try await server.post("experiments/get-by-name", "{}")
            #expect(wrongMethod.status == 404 && wrongMethod.errorCode == "ENDPOINT_NOT_FOUND")
            #expect(try await server.get("experiments/get?experiment_id=0").status == 200, "still serving")
        }
    }

    /// Numbers at the edge of Int64 and page tokens for absurd offsets are answered, never trapped on.
    @Test func extremeNumbersInRequestsAreAnsweredNotCrashedOn() async throws {
        try await LiveServer.with { server in
            let run = try await server.createRun()
            _ = try await server.post("runs/log-metric", #"{"run_id": "\#(run)", "key": "m", "value": 1, "timestamp": 1, "step": 1}"#)
            let history = try await server.get("metrics/get-history?run_id=\(run)&metric_key=m&max_results=9223372036854775807")
            #expect(history.status == 200 && history.body.contains("\"value\":1"), "\(history.body)")
            let token = Data(#"{"offset": 1e300}"#.utf8).base64EncodedString()
            for (endpoint, body) in [
                ("runs/search", #"{"experiment_ids": ["0"], "page_token": "\#(token)"}"#),
                ("experiments/search", #"{"page_token": "\#(token)"}"#),
            ] {
                let reply = try await server.post(endpoint, body)
                #expect(reply.status == 400 && reply.errorCode == "INVALID_PARAMETER_VALUE", "\(endpoint): \(reply.body)")
            }
            let page = try await server.get("metrics/get-history?run_id=\(run)&metric_key=m&page_token=\(token)")
            #expect(page.status == 400)
            #expect(try await server.get("experiments/get?experiment_id=0").status == 200, "still serving")
        }
    }

    @Test func oversizedSearchesAndNamesAreA400WithoutInternals() async throws {
        try await LiveServer.with { server in
            let run = try await server.createRun()
            func noInternals(_ reply: LiveServer.Reply, _ what: String) {
                #expect(
                    reply.status == 400 && reply.errorCode == "INVALID_PARAMETER_VALUE",
                    "\(what): \(reply.status) \(reply.body.prefix(300))")
                #expect(reply.body.count < 2000 && !reply.body.contains("SELECT") && !reply.body.contains(server.artifacts.path), "\(what)")
            }
            let clauses = (0..<1000).map { "metrics.m\($0) > 0" }.joined(separator: " and ")
            noInternals(try await server.post("runs/search", #"{"experiment_ids": ["0"], "filter": "\#(clauses)"}"#), "1,000 clauses")
            let orders = (0..<2000).map { "\"metrics.m\($0) DESC\"" }.joined(separator: ", ")
            noInternals(try await server.post("runs/search", #"{"experiment_ids": ["0"], "order_by": [\#(orders)]}"#), "2,000 order terms")
            let ids = (0..<250_000).map { "'\($0)'" }.joined(separator: ",")
            noInternals(
                try await server.post("runs/search", #"{"experiment_ids": ["0"], "filter": "attributes.run_id IN (\#(ids))"}"#),
                "250,000 ids")
            let name = String(repeating: "n", count: 300)
            noInternals(
                try await server.send(.put, "/api/2.0/mlflow-artifacts/artifacts/0/\(run)/artifacts/\(name).txt", bytes: [1]), "a long name"
            )

            // Up to the limits, searches are answered.
            let most = (0..<SearchFilter.maxConditions).map { "metrics.m\($0 % 7) >= -1" }.joined(separator: " and ")
            let orderMost = (0..<SearchOrder.maxClauses).map { "\"params.p\($0) DESC\"" }.joined(separator: ", ")
            let manyIDs = ([run] + (1..<SearchFilter.maxListValues).map { "id\($0)" }).map { "'\($0)'" }.joined(separator: ",")
            _ = try await server.post("runs/log-metric", #"{"run_id": "\#(run)", "key": "m0", "value": 1, "timestamp": 1}"#)
            for body in [
                #"{"experiment_ids": ["0"], "filter": "metrics.m0 >= -1 and \#(most.split(separator: " and ").dropFirst().joined(separator: " and "))"}"#,
                #"{"experiment_ids": ["0"], "order_by": [\#(orderMost)]}"#,
                #"{"experiment_ids": ["0"], "filter": "attributes.run_id IN (\#(manyIDs))"}"#,
            ] {
                let reply = try await server.post("runs/search", body)
                #expect(reply.status == 200, "\(reply.body.prefix(300))")
            }
        }
    }

    @Test func uploadsLeftByAKilledServerAreRemovedAtStart() async throws {
        try await LiveServer.with(seed: { _, root in
            let uploads = root.appendingPathComponent(".assay-uploads")
            try FileManager.default.createDirectory(at: uploads, withIntermediateDirectories: true)
            for name in ["stale", "fresh"] {
                #expect(FileManager.default.createFile(atPath: uploads.appendingPathComponent(name).path, contents: Data(count: 1024)))
            }
            try FileManager.default.setAttributes(
                [.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: uploads.appendingPathComponent("stale").path)
        }) { server in
            let uploads = server.artifacts.appendingPathComponent(".assay-uploads")
            #expect(try FileManager.default.contentsOfDirectory(atPath: uploads.path) == ["fresh"], "an upload of another replica stays")
            let listing = try await server.send(.get, "/api/2.0/mlflow-artifacts/artifacts")
            #expect(!listing.body.contains("assay-upload"), "\(listing.body)")
            let sneaky = try await server.send(.put, "/api/2.0/mlflow-artifacts/artifacts/.assay-uploads/x", bytes: [1])
            #expect(sneaky.status == 400)
        }
    }

    @Test func nulBytesInKeysAndValuesAreA400() async throws {
        try await LiveServer.with { server in
            let run = try await server.createRun()
            _ = try await server.post("runs/set-tag", #"{"run_id": "\#(run)", "key": "k2", "value": "kept"}"#)
            for body in [
                #"{"run_id": "\#(run)", "key": "k2\u0000evil", "value": "x"}"#,
                #"{"run_id": "\#(run)", "key": "mlflow.runName\u0000x", "value": "x"}"#,
                #"{"run_id": "\#(run)", "key": "k2", "value": "before\u0000after"}"#,
            ] {
                let reply = try await server.post("runs/set-tag", body)
                #expect(reply.status == 400 && reply.errorCode == "INVALID_PARAMETER_VALUE", "\(body): \(reply.body)")
            }
            let batch = try await server.post("runs/log-batch", #"{"run_id": "\#(run)", "params": [{"key": "p\u0000", "value": "v"}]}"#)
            #expect(batch.status == 400 && batch.errorCode == "INVALID_PARAMETER_VALUE")
            let got = try await server.get("runs/get?run_id=\(run)")
            #expect(got.body.contains(#"{"key":"k2","value":"kept"}"#) && !got.body.contains("evil"), "\(got.body)")
        }
    }

    @Test func valuesRoundTripInMLflowsJSON() async throws {
        try await LiveServer.with { server in
            let run = try await server.createRun()
            let batch = #"""
                {"run_id": "\#(run)", "metrics": [
                    {"key": "nan", "value": "NaN", "timestamp": 5, "step": "3"},
                    {"key": "inf", "value": "Infinity", "timestamp": 5, "step": 0},
                    {"key": "loss", "value": 0.3, "timestamp": 9, "step": 3},
                    {"key": "loss", "value": 0.25, "timestamp": 9, "step": 4}],
                 "params": [{"key": "model", "value": "gpt"}], "tags": [{"key": "t", "value": "é ✓"}]}
                """#
            #expect(try await server.post("runs/log-batch", batch).body == "{}")
            let reply = try await server.get("runs/get?run_uuid=\(run)&run_id=\(run)")
            #expect(reply.body.contains(#"{"key":"nan","step":3,"timestamp":5,"value":"NaN"}"#), "\(reply.body)")
            #expect(reply.body.contains(#""value":"Infinity""#))
            #expect(reply.body.contains(#"{"key":"loss","step":4,"timestamp":9,"value":0.25}"#))
            #expect(reply.body.contains(#"{"key":"t","value":"é ✓"}"#))
            #expect(!reply.body.contains("null") && !reply.body.contains("end_time"))
            let history = try await server.get("metrics/get-history?run_id=\(run)&metric_key=loss&max_results=1")
            #expect(history.body.contains("0.3") && history.json["next_page_token"] as? String == "eyJvZmZzZXQiOiAxfQ==")
            let empty = try await server.post("runs/search", #"{"experiment_ids": ["0"], "filter": "metrics.loss > 5"}"#)
            #expect(empty.body == "{}")
        }
    }

    @Test func artifactsUploadListAndDownload() async throws {
        try await LiveServer.with { server in
            let put = try await server.send(
                .put, "/api/2.0/mlflow-artifacts/artifacts/0/r1/artifacts/config/config.json", bytes: Array(#"{"a": 1}"#.utf8))
            #expect(put.status == 200)
            _ = try await server.send(.put, "/api/2.0/mlflow-artifacts/artifacts/0/r1/artifacts/with%20space.txt", bytes: Array("hi".utf8))
            let root = try await server.send(.get, "/api/2.0/mlflow-artifacts/artifacts?path=0%2Fr1%2Fartifacts")
            #expect(root.body == #"{"files":[{"is_dir":true,"path":"config"},{"file_size":2,"is_dir":false,"path":"with space.txt"}]}"#)
            let file = try await server.send(.get, "/api/2.0/mlflow-artifacts/artifacts/0/r1/artifacts/config/config.json")
            #expect(file.status == 200 && file.body == #"{"a": 1}"#)
            #expect(try await server.send(.get, "/api/2.0/mlflow-artifacts/artifacts?path=0/r1/artifacts/config/config.json").body == "{}")
            #expect(try await server.send(.get, "/api/2.0/mlflow-artifacts/artifacts?path=0/none").body == "{}")
            let missing = try await server.send(.get, "/api/2.0/mlflow-artifacts/artifacts/0/nonexistent/file.txt")
            #expect(missing.status == 404 && missing.body.contains("No such artifact: '0/nonexistent/file.txt'"))
            let overwrite = try await server.send(
                .put, "/api/2.0/mlflow-artifacts/artifacts/0/r1/artifacts/config/config.json", bytes: Array("2".utf8))
            #expect(overwrite.status == 200)
            #expect(try await server.send(.get, "/api/2.0/mlflow-artifacts/artifacts/0/r1/artifacts/config/config.json").body == "2")
        }
    }

    @Test func artifactPathsCannotLeaveTheRoot() async throws {
        try await LiveServer.with { server in
            let outside = try server.folder.file("secret.txt", "top secret")
            try FileManager.default.createDirectory(at: server.artifacts.appendingPathComponent("0"), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(
                atPath: server.artifacts.appendingPathComponent("0/escape").path, withDestinationPath: server.folder.url.path)
            try FileManager.default.createSymbolicLink(
                atPath: server.artifacts.appendingPathComponent("0/secret-link.txt").path, withDestinationPath: outside)
            let listings = ["../../etc", "..", "/etc", "0/../..", "%2e%2e/secret.txt", "0/escape", "C:/windows", "a%5c..%5c..", "0%00"]
            for path in listings {
                let encoded = path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? path
                let reply = try await server.send(.get, "/api/2.0/mlflow-artifacts/artifacts?path=\(encoded)")
                #expect(reply.status == 400 && reply.errorCode == "INVALID_PARAMETER_VALUE", "list \(path): \(reply.status) \(reply.body)")
            }
            let downloads = [
                "..%2F..%2Fsecret.txt", "%2e%2e/%2e%2e/secret.txt", "%252e%252e/secret.txt", "0/escape/secret.txt", "0/secret-link.txt",
                "..%5C..%5Csecret.txt", "0/a%00b", "%2Fetc%2Fpasswd",
            ]
            for path in downloads {
                let reply = try await server.send(.get, "/api/2.0/mlflow-artifacts/artifacts/\(path)")
                #expect([400, 404].contains(reply.status), "download \(path): \(reply.status)")
                #expect(!reply.body.contains("top secret"), "download \(path) leaked the file")
                let upload = try await server.send(.put, "/api/2.0/mlflow-artifacts/artifacts/\(path)", bytes: Array("pwned".utf8))
                #expect(upload.status == 400, "upload \(path): \(upload.status) \(upload.body)")
            }
            let viaLink = try await server.send(.put, "/api/2.0/mlflow-artifacts/artifacts/0/escape/new.txt", bytes: Array("pwned".utf8))
            #expect(viaLink.status == 400)
            #expect(!FileManager.default.fileExists(atPath: server.folder.path("new.txt")))
            #expect(try String(contentsOfFile: outside, encoding: .utf8) == "top secret")
        }
    }

    @Test func aTokenGuardsEveryRoute() async throws {
        try await LiveServer.with({
            $0.authToken = "s3cret-token"; $0.authUsername = "alice"
        }) { server in
            let basic = { (user: String, password: String) in
                ("Authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
            }
            for headers in [
                [], [("Authorization", "Bearer wrong")], [("Authorization", "Bearer s3cret-token-longer")], [basic("alice", "nope")],
                [basic("mallory", "s3cret-token")], [("Authorization", "Basic !!!")],
            ] {
                let reply = try await server.get("experiments/get?experiment_id=0", headers: headers)
                #expect(reply.status == 401 && reply.errorCode == "UNAUTHENTICATED", "\(headers)")
                let artifact = try await server.send(.get, "/api/2.0/mlflow-artifacts/artifacts?path=0", headers: headers)
                #expect(artifact.status == 401)
            }
            #expect(
                try await server.get("experiments/get?experiment_id=0", headers: [("Authorization", "Bearer s3cret-token")]).status == 200)
            #expect(try await server.get("experiments/get?experiment_id=0", headers: [basic("alice", "s3cret-token")]).status == 200)
            #expect(try await server.send(.get, "/health").status == 200, "the health probe stays open")
        }
    }
}

/// MLflow's messages written and read back the way its protobuf JSON does: wire names, omitted fields, non-finite numbers.
@Suite struct ProtoJSONTests {
    @Test func directAndCodableEncodingsAgree() throws {
        let metrics = [
            MLflow.Metric(key: "m", value: .nan, timestamp: 5, step: 3), MLflow.Metric(key: "n", value: 0.25, timestamp: 9),
            MLflow.Metric(key: "i", value: -.infinity, timestamp: 1, step: 0),
        ]
        let pairs = [MLflow.KeyValue(key: "k", value: "v"), MLflow.KeyValue(key: "empty")]
        let encoded = ProtoJSON.encode(MLflow.RunData(metrics: metrics, params: pairs, tags: []))
        #expect(
            encoded.description
                == #"{"metrics":[{"key":"m","step":3,"timestamp":5,"value":"NaN"},{"key":"n","timestamp":9,"value":0.25},"#
                + #"{"key":"i","step":0,"timestamp":1,"value":"-Infinity"}],"params":[{"key":"k","value":"v"},{"key":"empty"}]}"#)
        let decoded = try ProtoJSON.decode(MLflow.RunData.self, json: encoded.description)
        #expect(decoded.metrics.map(\.key) == ["m", "n", "i"] && decoded.metrics[0].value.isNaN && decoded.params == pairs)
    }

    @Test func wireNamesFollowMLflow() throws {
        let request = MLflow.SearchRuns(experimentIDs: ["1"], runViewType: "ALL", maxResults: 5, orderBy: ["metrics.m"], pageToken: "t")
        let fields = ProtoJSON.encode(request).description
        #expect(fields == #"{"experiment_ids":["1"],"max_results":5,"order_by":["metrics.m"],"page_token":"t","run_view_type":"ALL"}"#)
        let info = ProtoJSON.encode(MLflow.RunInfo(runID: "r", runUUID: "r", artifactURI: "mlflow-artifacts:/0/r/artifacts"))
        #expect(info.description == #"{"artifact_uri":"mlflow-artifacts:/0/r/artifacts","run_id":"r","run_uuid":"r"}"#)
    }
}

/// What MLflow's own REST tracking tests found missing: the web UI's bulk handlers, experiment tag
/// deletion, and MLflow's input checks.
@Suite struct ClassicAPIGapTests {
    @Test func theWebUIsHandlersAnswer() async throws {
        try await LiveServer.with { server in
            let a = try await server.createRun()
            let b = try await server.createRun()
            for (run, offset) in [(a, 0.0), (b, 10.0)] {
                let metrics = (0..<50).map {
                    #"{"key": "loss", "value": \#(Double($0) + offset), "timestamp": \#(1000 + $0), "step": \#($0)}"#
                }
                let body = #"{"run_id": "\#(run)", "metrics": [\#(metrics.joined(separator: ","))], "params": [], "tags": []}"#
                #expect(try await server.post("runs/log-batch", body).status == 200)
            }
            let inputs =
                #"{"run_id": "\#(a)", "datasets": [{"dataset": {"name": "qa", "digest": "abc", "source_type": "local", "source": "{}"}, "tags": [{"key": "mlflow.data.context", "value": "eval"}]}]}"#
            #expect(try await server.post("runs/log-inputs", inputs).status == 200)

            let bulk = try await server.send(.get, "/ajax-api/2.0/mlflow/metrics/get-history-bulk?run_id=\(a)&run_id=\(b)&metric_key=loss")
            let points = try #require(bulk.json["metrics"] as? [[String: Any]], "\(bulk.body)")
            #expect(points.count == 100 && Set(points.compactMap { $0["run_id"] as? String }) == [a, b])
            let interval = try await server.send(
                .get,
                "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=\(a)&metric_key=loss&start_step=10&end_step=40&max_results=5"
            )
            let sampled = try #require(interval.json["metrics"] as? [[String: Any]], "\(interval.body)")
            // MLflow's sampling: 31 points in 5 buckets of 7, 6, 6, 6, 6; each bucket's first point, the last point at the end.
            #expect(sampled.compactMap { $0["step"] as? Int } == [10, 17, 23, 29, 40], "\(interval.body)")
            let datasets = try await server.send(
                .post, "/ajax-api/2.0/mlflow/experiments/search-datasets", body: #"{"experiment_ids": ["0"]}"#)
            let summaries = try #require(datasets.json["dataset_summaries"] as? [[String: Any]], "\(datasets.body)")
            #expect(summaries.count == 1 && summaries[0]["context"] as? String == "eval" && summaries[0]["digest"] as? String == "abc")

            let upload = try await server.send(
                .post, "/ajax-api/2.0/mlflow/upload-artifact?run_uuid=\(a)&path=notes/readme.txt", bytes: Array("hello".utf8))
            #expect(upload.status == 200, "\(upload.body)")
            let listed = try await server.get("artifacts/list?run_id=\(a)&path=notes")
            #expect(listed.body.contains("notes/readme.txt"), "\(listed.body)")
            let escape = try await server.send(.post, "/ajax-api/2.0/mlflow/upload-artifact?run_uuid=\(a)&path=../x", bytes: [1])
            #expect(escape.status == 400 && escape.errorCode == "INVALID_PARAMETER_VALUE")
            let empty = try await server.send(.post, "/ajax-api/2.0/mlflow/upload-artifact?run_uuid=\(a)&path=x", bytes: [])
            #expect(empty.status == 400 && empty.body.contains("Request must specify data."), "\(empty.body)")
            let large = try await server.send(
                .post, "/ajax-api/2.0/mlflow/upload-artifact?run_uuid=\(a)&path=x", bytes: [UInt8](repeating: 1, count: (10 << 20) + 1))
            #expect(large.status == 400 && large.body.contains("Artifact size is too large"), "\(large.body)")
            let download = try await server.send(.get, "/get-artifact?run_uuid=\(a)&path=notes/readme.txt")
            #expect(download.status == 200 && download.body == "hello")
            #expect(try await server.send(.get, "/get-artifact?run_uuid=\(a)&path=../x").status == 400)
            #expect(try await server.send(.get, "/model-versions/get-artifact?name=m&version=1&path=../x").status == 400)
        }
    }

    @Test func mlflowsInputChecks() async throws {
        try await LiveServer.with { server in
            let run = try await server.createRun()
            let numericName = try await server.post("experiments/create", #"{"name": 123}"#)
            #expect(numericName.status == 400 && numericName.body.contains("'name'"), "\(numericName.body)")
            let numericRun = try await server.post("runs/log-metric", #"{"run_id": 123, "key": "a", "value": 1, "timestamp": 1}"#)
            #expect(numericRun.status == 400 && numericRun.errorCode == "INVALID_PARAMETER_VALUE", "\(numericRun.body)")
            #expect(try await server.get("artifacts/list?run_id=\(run)&path=../path").status == 400)

            #expect(
                try await server.post("experiments/set-experiment-tag", #"{"experiment_id": "0", "key": "team", "value": "nlp"}"#).status
                    == 200)
            #expect(try await server.post("experiments/delete-experiment-tag", #"{"experiment_id": "0", "key": "team"}"#).status == 200)
            let again = try await server.post("experiments/delete-experiment-tag", #"{"experiment_id": "0", "key": "team"}"#)
            #expect(again.status == 404 && again.errorCode == "RESOURCE_DOES_NOT_EXIST")
            #expect(!(try await server.get("experiments/get?experiment_id=0").body.contains("\"team\"")))

            #expect(try await server.post("runs/set-tag", #"{"run_id": "\#(run)", "key": "t", "value": "v"}"#).status == 200)
            #expect(try await server.post("runs/delete", #"{"run_id": "\#(run)"}"#).status == 200)
            let deletedRun = try await server.post("runs/delete-tag", #"{"run_id": "\#(run)", "key": "t"}"#)
            #expect(deletedRun.status == 400 && deletedRun.body.contains("must be in the 'active' state"), "\(deletedRun.body)")

            let relative = try await server.post("experiments/create", #"{"name": "relative", "artifact_location": "some/relative/path"}"#)
            let id = try #require(relative.json["experiment_id"] as? String)
            let stored = try await server.get("experiments/get?experiment_id=\(id)")
            let location = try #require((stored.json["experiment"] as? [String: Any])?["artifact_location"] as? String)
            #expect(
                location == FileManager.default.currentDirectoryPath + "/some/relative/path", "made absolute as MLflow does: \(location)")
        }
    }
}
