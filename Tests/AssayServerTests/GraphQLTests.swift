import Assay
import Foundation
import HTTPTypes
import Testing

@testable import AssayServer

/// `/graphql` in process: the queries MLflow's web UI sends, answered from the same store as the REST
/// routes with MLflow's field names, 64-bit numbers as strings and NaN as null; MLflow's limits; and
/// hostile documents answered with errors, never a 5xx.
@Suite struct GraphQLTests {
    static func query(
        _ server: LiveServer, _ text: String, operation: String? = nil, variables: String? = nil
    ) async throws -> LiveServer.Reply {
        var body: [String: Any] = ["query": text]
        if let operation { body["operationName"] = operation }
        if let variables { body["variables"] = try JSONSerialization.jsonObject(with: Data(variables.utf8)) }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        return try await server.send(.post, "/graphql", body: json, headers: [("content-type", "application/json; charset=utf-8")])
    }

    @Test func runsExperimentsMetricsArtifactsAndDatasetsReadAsMLflowAnswersThem() async throws {
        try await LiveServer.with { server in
            let experiment = try await server.store.createExperiment(named: "GraphqlTest", artifactLocation: nil, tags: []).id
            let run = try await server.store.createRun(in: experiment, named: "first", startTime: 5, userID: "me", tags: [])
            try await server.store.logBatch(
                run: run.id,
                metrics: [
                    MetricPoint(key: "loss", value: 0.5, timestamp: 1, step: 1),
                    MetricPoint(key: "nan", value: .nan, timestamp: 2, step: 2),
                ],
                params: [KeyValue("lr", "0.1")], tags: [])
            let got = try await Self.query(
                server,
                """
                query testQuery @component(name: "Test") {
                  mlflowGetRun(input: {runId: "\(run.id)"}) {
                    __typename
                    run { info { status runName startTime } experiment { name } modelVersions { name }
                          data { metrics { key value timestamp step } params { key value } } inputs { datasetInputs { tags { key } } } }
                  }
                }
                """, operation: "testQuery")
            #expect(got.status == 200, "\(got.body)")
            #expect(got.json["errors"] is NSNull, "\(got.body)")
            let answer = try #require((got.json["data"] as? [String: Any])?["mlflowGetRun"] as? [String: Any])
            #expect(answer["__typename"] as? String == "MlflowGetRunResponse")
            let stored = try #require(answer["run"] as? [String: Any])
            let info = try #require(stored["info"] as? [String: Any])
            #expect(info["status"] as? String == "RUNNING" && info["runName"] as? String == "first" && info["startTime"] as? String == "5")
            #expect((stored["experiment"] as? [String: Any])?["name"] as? String == "GraphqlTest")
            #expect((stored["modelVersions"] as? [Any])?.isEmpty == true)
            let metrics = try #require((stored["data"] as? [String: Any])?["metrics"] as? [[String: Any]])
            let byKey = Dictionary(uniqueKeysWithValues: metrics.map { ($0["key"] as? String ?? "", $0) })
            #expect(byKey["loss"]?["value"] as? Double == 0.5 && byKey["loss"]?["step"] as? String == "1")
            #expect(byKey["nan"]?["value"] is NSNull && byKey["nan"]?["timestamp"] as? String == "2")
            #expect(((stored["inputs"] as? [String: Any])?["datasetInputs"] as? [Any])?.isEmpty == true)

            let second = try await server.store.createRun(in: experiment, named: "second", startTime: 6, userID: "me", tags: [])
            let searched = try await Self.query(
                server, #"mutation m { mlflowSearchRuns(input: { experimentIds: ["\#(experiment)"] }) { runs { info { runId } } } }"#)
            let runs = try #require(
                ((searched.json["data"] as? [String: Any])?["mlflowSearchRuns"] as? [String: Any])?["runs"] as? [[String: Any]])
            #expect(runs.compactMap { ($0["info"] as? [String: Any])?["runId"] as? String } == [second.id, run.id], "\(searched.body)")

            let history = try await Self.query(
                server,
                "query h($run: String) { mlflowGetMetricHistoryBulkInterval(input: {runIds: [$run], metricKey: \"loss\"}) { metrics { key value step runId } } }",
                variables: #"{"run": "\#(run.id)"}"#)
            let points = try #require(
                ((history.json["data"] as? [String: Any])?["mlflowGetMetricHistoryBulkInterval"] as? [String: Any])?["metrics"]
                    as? [[String: Any]])
            #expect(points.count == 1 && points[0]["runId"] as? String == run.id && points[0]["step"] as? String == "1", "\(history.body)")

            let echoed = try await Self.query(server, #"query t { test(inputString: "abc") { output } }"#)
            #expect(((echoed.json["data"] as? [String: Any])?["test"] as? [String: Any])?["output"] as? String == "abc")

            let missing = try await Self.query(server, #"{ mlflowGetExperiment(input: {experimentId: "404"}) { experiment { name } } }"#)
            #expect(missing.status == 200 && (missing.json["data"] as? [String: Any])?["mlflowGetExperiment"] is NSNull)
            #expect((missing.json["errors"] as? [String])?.first?.contains("404") == true, "\(missing.body)")
        }
    }

    @Test func limitsAndBadDocumentsAreErrorsNotFailures() async throws {
        try await LiveServer.with { server in
            func firstError(_ text: String) async throws -> String {
                let reply = try await Self.query(server, text)
                #expect(reply.status < 500, "\(reply.body)")
                return (reply.json["errors"] as? [String])?.first ?? "no error: \(reply.body)"
            }
            let roots = (0..<12).map { "k\($0): test(inputString: \"x\") { output }" }.joined(separator: " ")
            #expect(try await firstError("query q { \(roots) }").contains("should have at most 10 root fields"))
            let aliases = (0..<12).map { "e\($0): experiment { name }" }.joined(separator: " ")
            #expect(
                try await firstError(#"query q { mlflowGetExperiment(input: {experimentId: "0"}) { \#(aliases) } }"#).contains(
                    "at most 10 aliases"))
            var inner = "name"
            for _ in 0..<12 { inner = "name { \(inner) }" }
            #expect(
                try await firstError(#"{ mlflowGetExperiment(input: {experimentId: "0"}) { experiment { \#(inner) } } }"#).contains(
                    "maximum depth of 10"))
            let wide = (0..<1002).map { "f\($0) { name }" }.joined(separator: " ")
            #expect(
                try await firstError(#"{ mlflowGetExperiment(input: {experimentId: "0"}) { experiment { \#(wide) } } }"#).contains(
                    "maximum total selections of 1000"))
            #expect(try await firstError("{ mlflowGetRun(input: {runId: \"x\"}) { run { nope } } }").contains("Cannot query field 'nope'"))
            #expect(try await firstError("fragment f on X { ...g } fragment g on X { ...f } { ...f }").contains("within itself"))
            #expect(try await firstError("fragment f on X { run { ...f } } { mlflowGetRun { ...f } }").contains("maximum depth"))
            for hostile in [
                "{", "query {", "{ test(inputString: \"unterminated) { output } }", String(repeating: "{", count: 100_000),
                String(repeating: "[", count: 10_000), "{ test(inputString: \"\u{0}\") { output } }",
                "query q($x: [[Int!]!]) { __typename }",
            ] {
                let reply = try await Self.query(server, hostile)
                #expect(reply.status == 200 || reply.status == 400, "\(hostile.prefix(40)): \(reply.status)")
            }
            let notJSON = try await server.send(.post, "/graphql", body: "query")
            #expect(notJSON.status == 400)
            let viaGet = try await server.send(.get, "/graphql?query=%7B%20test(inputString%3A%20%22hi%22)%20%7B%20output%20%7D%20%7D")
            #expect(viaGet.body.contains(#""output":"hi""#), "\(viaGet.body)")
        }
    }
}
