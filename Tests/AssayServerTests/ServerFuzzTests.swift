import Assay
import AssayTesting
import Foundation
import HTTPTypes
import PropertyBased
import SwiftProtobuf
import Testing

@testable import AssayServer

/// Random MLflow requests, UI query strings and OTLP payloads against the router, in process: every
/// answer is below 500 and an API error is MLflow's JSON error body. A short fixed-seed run by default;
/// `scripts/fuzz` runs it for minutes with fresh seeds.
@Suite struct ServerFuzzTests {
    /// Field names the MLflow messages use, so random bodies reach the handlers, not only the decoder.
    static let fields = [
        "run_id", "run_uuid", "experiment_id", "experiment_ids", "key", "value", "timestamp", "step", "metrics", "params", "tags",
        "filter", "order_by", "max_results", "page_token", "name", "artifact_location", "status", "end_time", "start_time", "datasets",
        "path", "metric_key", "new_name", "run_name", "view_type", "user_id", "experiment_name", "dataset", "source", "digest",
        // MLflow 3's messages.
        "model_id", "source_run_id", "model_type", "models", "trace", "trace_info", "trace_id", "trace_ids", "trace_location",
        "mlflow_experiment", "request_time", "execution_duration", "state", "trace_metadata", "request_preview", "locations",
        "assessment", "assessment_name", "feedback", "expectation", "rationale", "metadata", "source_type", "update_mask", "valid",
        "request_ids", "max_timestamp_millis", "max_traces", "overrides", "serialized_value", "records", "dataset_record_ids",
        "filter_string", "serialized_scorer", "sample_rate", "scorer_ids", "version",
    ]

    /// Text that tends to matter: quotes, filter syntax, NUL and other control characters, long runs, non-ASCII.
    static let words = [
        "", "0", "1", "-1", "'", "\"", "`", "\\", "%", "_", "\u{0}", "\u{1b}[31m", "metrics.m > 1", "params.p = 'x' and tags.t != 'y'",
        "attributes.run_id IN ('a', 'b')", "metrics.`a b` <= -1e308", "attributes.status = 'FINISHED'", "tags.mlflow.runName ILIKE '%x%'",
        "eyJvZmZzZXQiOiAxZTMwMH0=", "eyJvZmZzZXQiOiAtMX0=", "bm90IGpzb24=", "../../etc/passwd", "/abs", "a/../b", "NaN", "Infinity",
        "9223372036854775807", "-9223372036854775808", "1e999", "東京", "😀", String(repeating: "x", count: 5000),
    ]

    struct Context {
        let runID: String
        var modelID = ""
        var traceID = ""
        var assessmentID = ""
    }

    static func string(_ rng: inout Xoshiro, _ context: Context) -> String {
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: return context.runID
        case 4:
            return [context.modelID, "tr-" + context.traceID, context.assessmentID, "2026-12-01T08:20:21.283Z", "0.070s"].randomElement(
                using: &rng)!
        case 1: return Gen.letterOrNumber.string(of: 0...12).run(using: &rng)
        default: return words[Int.random(in: 0..<words.count, using: &rng)]
        }
    }

    static func value(_ rng: inout Xoshiro, _ context: Context, depth: Int = 0) -> DataValue {
        switch Int.random(in: 0..<(depth > 2 ? 6 : 9), using: &rng) {
        case 0: return .int([Int.min, Int.max, 0, -1, 1, Int(Int32.max) + 1][Int.random(in: 0..<6, using: &rng)])
        case 1: return .double([1e308, -1.7e308, 0.5, -0.0, 5e-324][Int.random(in: 0..<5, using: &rng)])
        case 2: return .bool(Bool.random(using: &rng))
        case 3: return .null
        case 4, 5: return .string(string(&rng, context))
        case 6: return .list((0..<Int.random(in: 0...4, using: &rng)).map { _ in value(&rng, context, depth: depth + 1) })
        default: return object(&rng, context, depth: depth + 1)
        }
    }

    static func object(_ rng: inout Xoshiro, _ context: Context, depth: Int = 0) -> DataValue {
        var members: [String: DataValue] = [:]
        for _ in 0..<Int.random(in: 0...5, using: &rng) {
            let name =
                Int.random(in: 0..<8, using: &rng) == 0 ? string(&rng, context) : fields[Int.random(in: 0..<fields.count, using: &rng)]
            members[name] = value(&rng, context, depth: depth)
        }
        return .object(members)
    }

    static func query(_ rng: inout Xoshiro, _ context: Context, names: [String]) -> String {
        (0..<Int.random(in: 0...4, using: &rng)).map { _ in
            let name = names[Int.random(in: 0..<names.count, using: &rng)]
            let raw =
                Int.random(in: 0..<6, using: &rng) == 0 ? ["%zz", "%", "%00", "%FF%FE", "+%2B"][Int.random(in: 0..<5, using: &rng)] : nil
            return name + "=" + (raw ?? (string(&rng, context).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        }.joined(separator: "&")
    }

    static let traceID = "5b8aa5a2d2c872e8321cf37308d69df2"

    static func seed(_ store: any TrackingStore, _ root: URL) async throws {
        let run = try await store.createRun(in: "0", named: "fuzz", startTime: 1, userID: "u", tags: [])
        try await store.logBatch(run: run.id, metrics: [MetricPoint(key: "m", value: 1, timestamp: 1, step: 1)], params: [], tags: [])
        let models = try #require(store as? any LoggedModelStore)
        _ = try await models.createLoggedModel(in: "0", name: "fuzz-model", sourceRunID: run.id, modelType: nil, tags: [], params: [])
        let traces = try #require(store as? any TraceStore)
        try await traces.ingest(
            [SpanRecord(traceID: traceID, spanID: "00f067aa0ba902b7", parentSpanID: nil, name: "root", startTimeNanos: 1, endTimeNanos: 2)],
            experimentID: "0")
        try await traces.logAssessments([TraceAssessment(traceID: traceID, name: "m", value: 1, rationale: nil, runID: run.id)])
    }

    /// The context of the seeded store: its run, model, trace and assessment.
    static func context(_ server: LiveServer) async throws -> Context {
        let runs = try await server.post("runs/search", #"{"experiment_ids": ["0"]}"#)
        let runID = try #require(((runs.json["runs"] as? [[String: Any]])?.first?["info"] as? [String: Any])?["run_id"] as? String)
        var context = Context(runID: runID)
        let models = try await server.post("logged-models/search", #"{"experiment_ids": ["0"]}"#)
        context.modelID = try #require(
            ((models.json["models"] as? [[String: Any]])?.first?["info"] as? [String: Any])?["model_id"] as? String)
        context.traceID = traceID
        let trace = try await server.send(.get, "/api/3.0/mlflow/traces/tr-\(traceID)")
        let info = try #require((trace.json["trace"] as? [String: Any])?["trace_info"] as? [String: Any])
        context.assessmentID = try #require((info["assessments"] as? [[String: Any]])?.first?["assessment_id"] as? String)
        return context
    }

    /// A route's path with its `:name` segments filled: mostly with the seeded ids, sometimes with random text.
    static func path(_ route: MLflowAPI.Route, _ rng: inout Xoshiro, _ context: Context) -> String {
        route.path.split(separator: "/").map { segment -> String in
            guard segment.hasPrefix(":") else { return String(segment) }
            if Int.random(in: 0..<4, using: &rng) == 0 {
                return string(&rng, context).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "x"
            }
            switch segment {
            case ":model_id": return context.modelID
            case ":trace_id": return "tr-" + context.traceID
            case ":assessment_id": return context.assessmentID
            default: return "team"
            }
        }.joined(separator: "/")
    }

    static func failure(_ reply: LiveServer.Reply, _ request: String, api: Bool) -> String? {
        if reply.status >= 500 { return "\(reply.status) for \(request.prefix(300)): \(reply.body.prefix(300))" }
        if api, reply.status >= 400, reply.errorCode == nil {
            return "\(reply.status) without MLflow's error body for \(request.prefix(300))"
        }
        return nil
    }

    @Test func randomMLflowRequestsAreNeverA5xx() async throws {
        try await LiveServer.with(seed: Self.seed) { server in
            let context = try await Self.context(server)
            let routes = MLflowAPI.routes.map { ("/api/2.0/mlflow/", $0) } + MLflowAPI.v3Routes.map { ("/api/3.0/mlflow/", $0) }
            var budget = FuzzBudget(name: "mlflow-api", inputs: 600)
            var failures: [String] = []
            while let seed = budget.nextBatch() {
                var rng = Xoshiro(seed: FuzzBudget.state(seed))
                for _ in 0..<budget.batchSize {
                    let (prefix, route) = routes[Int.random(in: 0..<routes.count, using: &rng)]
                    let path = prefix + Self.path(route, &rng, context)
                    let reply: LiveServer.Reply
                    let described: String
                    if route.method == .get {
                        let query = Self.query(&rng, context, names: Self.fields)
                        described = "GET \(path)?\(query)"
                        reply = try await server.send(.get, path + "?" + query)
                    } else {
                        let body =
                            Int.random(in: 0..<8, using: &rng) == 0
                            ? Gen<UInt8>.value(in: 0...255).array(of: 0...64).run(using: &rng)
                            : Array(Self.object(&rng, context).description.utf8)
                        described = "\(route.method) \(path) \(String(decoding: body, as: UTF8.self))"
                        reply = try await server.send(route.method, path, bytes: body, headers: [("Content-Type", "application/json")])
                    }
                    if let failure = Self.failure(reply, described + " (seed \(seed))", api: true), failures.count < 5 {
                        failures.append(failure)
                    }
                }
            }
            budget.report()
            #expect(failures.isEmpty, "\(failures)")
            #expect(try await server.get("experiments/get?experiment_id=0").status == 200, "still serving")
        }
    }

    @Test func randomPageQueriesAreNeverA5xx() async throws {
        try await LiveServer.with(seed: Self.seed) { server in
            let runs = try await server.post("runs/search", #"{"experiment_ids": ["0"]}"#)
            let runID = try #require(((runs.json["runs"] as? [[String: Any]])?.first?["info"] as? [String: Any])?["run_id"] as? String)
            let context = Context(runID: runID)
            let pages = [
                "/", "/experiments/0", "/runs/\(runID)", "/compare", "/experiments/0/traces", "/traces/abc", "/runs/\(runID)/artifacts/x",
                "/experiments/%00", "/runs/%2e%2e",
            ]
            let names = ["filter", "order", "offset", "q", "metric", "min", "max", "page", "table", "runs", "since", "next"]
            var budget = FuzzBudget(name: "ui-pages", inputs: 300)
            var failures: [String] = []
            while let seed = budget.nextBatch() {
                var rng = Xoshiro(seed: FuzzBudget.state(seed))
                for _ in 0..<budget.batchSize {
                    let path = pages[Int.random(in: 0..<pages.count, using: &rng)] + "?" + Self.query(&rng, context, names: names)
                    let reply = try await server.send(.get, path)
                    if let failure = Self.failure(reply, "GET \(path) (seed \(seed))", api: false), failures.count < 5 {
                        failures.append(failure)
                    }
                }
            }
            budget.report()
            #expect(failures.isEmpty, "\(failures)")
        }
    }

    @Test func randomOTLPPayloadsAreNeverA5xx() async throws {
        var request = Otlp_ExportTraceServiceRequest()
        var resourceSpans = Otlp_ResourceSpans()
        var scope = Otlp_ScopeSpans()
        var span = Otlp_Span()
        span.traceID = Data((1...16).map { UInt8($0) })
        span.spanID = Data((1...8).map { UInt8($0) })
        span.name = "root"
        span.startTimeUnixNano = 1_700_000_001_000_000_000
        span.endTimeUnixNano = 1_700_000_001_500_000_000
        var kv = Otlp_KeyValue()
        kv.key = "gen_ai.usage.input_tokens"
        kv.value.intValue = 12
        span.attributes = [kv]
        scope.spans = [span]
        resourceSpans.scopeSpans = [scope]
        request.resourceSpans = [resourceSpans]
        let protobuf = Array(try request.serializedData())
        let json = Array(OTLPTests.json.utf8)
        try await LiveServer.with { server in
            var budget = FuzzBudget(name: "otlp", inputs: 400)
            var failures: [String] = []
            while let seed = budget.nextBatch() {
                var rng = Xoshiro(seed: FuzzBudget.state(seed))
                for _ in 0..<budget.batchSize {
                    let isJSON = Bool.random(using: &rng)
                    var bytes = isJSON ? json : protobuf
                    for _ in 0..<Int.random(in: 1...6, using: &rng) {
                        let at = Int.random(in: 0..<max(1, bytes.count), using: &rng)
                        switch Int.random(in: 0..<3, using: &rng) {
                        case 0 where !bytes.isEmpty: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                        case 1 where !bytes.isEmpty: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...8, using: &rng)))
                        default:
                            bytes.insert(
                                contentsOf: Gen<UInt8>.value(in: 0...255).array(of: 1...8).run(using: &rng), at: min(at, bytes.count))
                        }
                    }
                    let type = isJSON ? "application/json" : "application/x-protobuf"
                    let started = ContinuousClock.now
                    let reply = try await server.send(.post, "/v1/traces", bytes: bytes, headers: [("Content-Type", type)])
                    let took = ContinuousClock.now - started
                    if reply.status >= 500 || budget.isTimed && took > .seconds(5), failures.count < 5 {
                        failures.append(
                            "\(reply.status) after \(took) for \(type) \(bytes.count) bytes (seed \(seed)): \(reply.body.prefix(200)) "
                                + (isJSON ? String(decoding: bytes, as: UTF8.self) : bytes.map { String($0) }.joined(separator: ",")))
                    }
                }
            }
            budget.report()
            #expect(failures.isEmpty, "\(failures)")
        }
    }

    @Test func randomGraphQLDocumentsAreAnsweredNeverA5xx() async throws {
        try await LiveServer.with(seed: Self.seed) { server in
            let context = try await Self.context(server)
            // Pieces of MLflow's queries, joined at random: mostly nonsense, sometimes a valid query.
            let pieces = [
                "{", "}", "(", ")", "[", "]", ":", ",", "...", "$v", "@component(name: \"x\")", "query q", "mutation m", "fragment f on X",
                "...f", "... on X", "mlflowGetRun", "mlflowSearchRuns", "mlflowGetExperiment", "mlflowListArtifacts", "test", "run", "info",
                "data", "metrics", "experiment", "runs", "files", "__typename", "a:", "input:", "runId:", "experimentIds:",
                "\"\(context.runID)\"", "\"0\"", "\"\\u00zz\"", "\"\"\"block\"\"\"", "1", "-2.5e3", "9999999999999999999999", "true",
                "null", "#c\n", "\u{0}", "\"\u{1F600}\"",
            ]
            var budget = FuzzBudget(name: "graphql", inputs: 300)
            var failures: [String] = []
            while let seed = budget.nextBatch() {
                var rng = Xoshiro(seed: FuzzBudget.state(seed))
                for _ in 0..<budget.batchSize {
                    let query = (0..<Int.random(in: 0...40, using: &rng)).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &rng)] }
                        .joined(separator: " ")
                    let body = DataValue.object(["query": .string(query), "variables": .object(["v": .string(context.runID)])]).description
                    let reply = try await server.send(.post, "/graphql", body: body, headers: [("Content-Type", "application/json")])
                    let shaped = reply.json["data"] != nil && reply.json["errors"] != nil
                    if reply.status >= 500 || !shaped, failures.count < 5 {
                        failures.append("\(reply.status) for \(query.prefix(200)) (seed \(seed)): \(reply.body.prefix(200))")
                    }
                }
            }
            budget.report()
            #expect(failures.isEmpty, "\(failures)")
        }
    }
}
