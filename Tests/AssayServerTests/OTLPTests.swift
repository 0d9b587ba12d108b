import Assay
import AssayTesting
import Foundation
import HTTPTypes
import NIOHTTP1
import SwiftProtobuf
import Testing

@testable import AssayServer

/// OTLP/HTTP trace ingestion: JSON and protobuf, experiment routing, limits and malformed payloads,
/// and the official OpenTelemetry Python exporter.
@Suite struct OTLPTests {
    static let json = #"""
        {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "chat"}}]},
          "scopeSpans": [{"scope": {"name": "manual"}, "spans": [
            {"traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "EEE19B7EC3C1B174", "name": "answer", "kind": 2,
             "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000250000000", "status": {"code": 1},
             "attributes": [{"key": "input.value", "value": {"stringValue": "What is 2+2?"}}]},
            {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b175", "parentSpanId": "eee19b7ec3c1b174",
             "name": "chat", "kind": "SPAN_KIND_CLIENT", "startTimeUnixNano": 1700000000010000000, "endTimeUnixNano": "1700000000240000000",
             "attributes": [{"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o-mini"}},
                            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "12"}},
                            {"key": "gen_ai.completion", "value": {"stringValue": "4"}},
                            {"key": "tags", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": 2}]}}}],
             "events": [{"timeUnixNano": "1700000000020000000", "name": "gen_ai.user.message",
                         "attributes": [{"key": "content", "value": {"stringValue": "What is 2+2?"}}]}]}]}]}]}
        """#

    @Test func jsonAndProtobufSpansAreStoredPerExperiment() async throws {
        try await LiveServer.with { server in
            let reply = try await server.send(
                .post, "/v1/traces", bytes: Array(Self.json.utf8),
                headers: [("Content-Type", "application/json"), ("x-assay-experiment", "chat-app")])
            #expect(reply.status == 200 && reply.body == "{}", "\(reply.body)")
            let experiment = try await server.get("experiments/get-by-name?experiment_name=chat-app")
            #expect(experiment.status == 200, "a new experiment name creates the experiment")
            let page = try await server.send(.get, "/traces/5b8efff798038103d269b633813fc60c")
            #expect(page.status == 200)
            #expect(page.body.contains("gpt-4o-mini") && page.body.contains("What is 2+2?") && page.body.contains("12 / –"))
            #expect(page.body.contains("CLIENT") && page.body.contains("250.0 ms"))

            var request = Otlp_ExportTraceServiceRequest()
            var resourceSpans = Otlp_ResourceSpans()
            var kv = Otlp_KeyValue()
            kv.key = "assay.experiment"
            kv.value.stringValue = "from-resource"
            resourceSpans.resource.attributes = [kv]
            var scope = Otlp_ScopeSpans()
            var span = Otlp_Span()
            span.traceID = Data((1...16).map { UInt8($0) })
            span.spanID = Data((1...8).map { UInt8($0) })
            span.name = "protobuf root"
            span.kind = 1
            span.startTimeUnixNano = 1_700_000_001_000_000_000
            span.endTimeUnixNano = 1_700_000_001_500_000_000
            span.status.code = 2
            span.status.message = "boom"
            scope.spans = [span]
            resourceSpans.scopeSpans = [scope]
            request.resourceSpans = [resourceSpans]
            let bytes: [UInt8] = try request.serializedBytes()
            let proto = try await server.send(.post, "/v1/traces", bytes: bytes, headers: [("Content-Type", "application/x-protobuf")])
            #expect(proto.status == 200 && proto.headers.first(name: "Content-Type") == "application/x-protobuf")
            let list = try await server.send(.get, "/experiments/2/traces")
            #expect(list.body.contains("protobuf root") && list.body.contains("ERROR"), "routed by the resource attribute")
        }
    }

    @Test func badPayloadsAre4xxAndStoreNothing() async throws {
        try await LiveServer.with({ $0.maxOTLPBytes = 4096 }) { server in
            let json = [("Content-Type", "application/json")]
            let halfBad = Self.json.replacingOccurrences(of: "eee19b7ec3c1b175", with: "eee19b")
            let cases: [([UInt8], [(String, String)], Int, String)] = [
                (Array("{not json".utf8), json, 400, "not valid JSON"),
                (Array(halfBad.utf8), json, 400, "spanId must be 16 hexadecimal digits"),
                (Array(#"{"resourceSpans": {"no": "list"}}"#.utf8), json, 400, "must be a list"),
                (Array(Self.json.replacingOccurrences(of: #""kind": 2"#, with: #""kind": "SIDEWAYS""#).utf8), json, 400, "SPAN_KIND_"),
                ([0x0A, 0xFF, 0xFF, 0xFF], [("Content-Type", "application/x-protobuf")], 400, "protobuf"),
                (Array("x".utf8), [("Content-Type", "text/plain")], 400, "application/x-protobuf or application/json"),
                (Array(String(repeating: " ", count: 5000).utf8), json, 413, "larger than"),
            ]
            for (body, headers, status, fragment) in cases {
                let reply = try await server.send(.post, "/v1/traces", bytes: body, headers: headers)
                #expect(reply.status == status, "\(fragment): \(reply.status) \(reply.body)")
                #expect(reply.body.contains(fragment), "\(reply.body)")
            }
            let page = try await server.send(.get, "/traces/5b8efff798038103d269b633813fc60c")
            #expect(page.status == 404, "the batch with one bad span stored nothing")
            #expect(try await server.send(.get, "/v1/traces").status == 404)
        }
    }

    static let python = ProcessInfo.processInfo.environment["ASSAY_OTEL_PYTHON"]

    @Test(
        .enabled(
            if: python != nil, "set ASSAY_OTEL_PYTHON to a python with opentelemetry-sdk and its OTLP/HTTP exporter, or run scripts/test"))
    func theOfficialOpenTelemetryExporterSendsGenAISpans() async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("OpenTelemetry/send_genai_spans.py")
        try await LiveServer.with(live: true) { server in
            let folder = try TemporaryFolder()
            let (status, output) = try await BrowserTests.run(Self.python!, [script.path, server.base, "otel-interop", "3"], in: folder)
            #expect(status == 0, "\(output)")
            let ids = output.split(separator: "\n").map(String.init).filter { $0.count == 32 }
            #expect(ids.count == 3)
            var seen: [String] = []
            for id in ids {
                let page = try await server.send(.get, "/traces/\(id)")
                #expect(page.status == 200 && page.body.contains("gemma-3-270m") && page.body.contains("Background on:"))
                seen.append(page.body)
            }
            // The three conventions: current attributes, the older attributes, the events.
            #expect(seen[0].contains("MLflow is an open-source platform"))
            #expect(seen[1].contains("Paris."))
            #expect(seen[2].contains("Eight.") && !seen[2].contains("&quot;role&quot;: &quot;assistant&quot;, &quot;content"))
        }
    }
}
