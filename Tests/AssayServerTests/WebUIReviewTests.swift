import Assay
import AssayServer
import AssayTesting
import Foundation
import HTTPTypes
import Testing

/// Human review in the web UI: the queue's order, scores posted through the form and read back from
/// the store as HUMAN assessments, judge-against-people figures, reviews of traces, and bad forms.
@Suite struct WebUIReviewTests {
    /// A judge that answers from a table keyed by the graded output.
    struct TableJudge: ChatCompleting {
        let identifier = "table-judge"
        let answers: [String: String]

        func complete(_ request: ChatRequest) async throws -> ChatCompletion {
            let prompt = request.messages.map(\.content).joined(separator: "\n")
            let output = answers.keys.first { prompt.contains("\n\($0)\n") } ?? ""
            return ChatCompletion(text: answers[output] ?? "no idea")
        }
    }

    static func verdict(_ score: Int, _ why: String) -> String { #"{"score": \#(score), "justification": "\#(why)"}"# }

    /// Six answers scored by two judges on 1..5: row 2's correctness answer cannot be read, the judges
    /// disagree on row 3, row 4 sits on the gate's threshold of 3. Also a run whose table's row is a
    /// trace (sent over OTLP by the test).
    static func seed(_ store: any TrackingStore, _ root: URL) async throws {
        let outputs = ["out-one", "out-two", "out-three", "out-four", "out-five", "out-six"]
        let correctness = TableJudge(answers: [
            "out-one": verdict(5, "right"), "out-two": "I would rate this 100 out of 5", "out-three": verdict(1, "wrong"),
            "out-four": verdict(3, "half right"), "out-five": verdict(4, "mostly"), "out-six": verdict(2, "poor"),
        ])
        let relevance = TableJudge(answers: [
            "out-one": verdict(5, "on topic"), "out-two": verdict(4, "on topic"), "out-three": verdict(5, "on topic"),
            "out-four": verdict(3, "partly"), "out-five": verdict(4, "on topic"), "out-six": verdict(2, "drifts"),
        ])
        let data = Dataset(
            name: "qa.jsonl", columns: ["inputs", "ground_truth", "predictions"],
            rows: outputs.indices.map { [.string("question \($0 + 1)"), .string("truth \($0 + 1)"), .string(outputs[$0])] })
        let result = try await evaluate(
            data, targets: "ground_truth", predictions: "predictions", modelType: nil,
            extraMetrics: [
                Metric.judge(BuiltinJudges.answerCorrectness, model: correctness),
                Metric.judge(BuiltinJudges.answerRelevance, model: relevance),
            ])
        var details = RunRecorder.Details()
        details.tags = [KeyValue("assay.gate", "answer_correctness/v1/mean >= 3")]
        let artifacts = LocalArtifactRepository(root: root)
        _ = try await RunRecorder(store: store, artifacts: artifacts).record(
            result, experiment: "review", runName: "judged", details: details)

        let traced = try await store.createRun(in: "0", named: "traced", startTime: 5, userID: "root", tags: [])
        let table = #"{"columns":["trace_id","inputs","outputs"],"data":[["5b8efff798038103d269b633813fc60c","What is 2+2?","4"]]}"#
        try await artifacts.write(Data(table.utf8), at: "eval_results_table.json", of: traced)
        try await store.logBatch(
            run: traced.id, metrics: [], params: [],
            tags: [KeyValue("mlflow.loggedArtifacts", #"[{"path": "eval_results_table.json", "type": "table"}]"#)])
    }

    static func form(_ fields: [(String, String)]) -> [UInt8] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return Array(
            fields.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&").utf8)
    }

    @Test func theQueueOrdersRowsAndScoresPostedThroughTheFormAreStoredAsHumanAssessments() async throws {
        try await LiveServer.with(seed: Self.seed) { server in
            let runs = try await server.post("runs/search", #"{"experiment_ids": ["1"]}"#).json["runs"] as? [[String: Any]]
            let run = try #require((runs?.first?["info"] as? [String: Any])?["run_id"] as? String)
            let first = try await server.send(.get, "/runs/\(run)/review")
            #expect(first.status == 200)
            #expect(
                first.body.contains("row 2 of 6") && first.body.contains("answer_correctness/v1 could not be read"),
                "an unreadable answer first")
            #expect(first.body.contains(#"<option value="answer_correctness/v1" selected>"#), "the metric to score is the unreadable one")
            #expect(first.body.contains(#"name="next" value="3""#), "then the judges' disagreement on row 3")
            let csrf = try #require(first.body.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1)

            func review(_ row: Int, next: Int, _ fields: [(String, String)]) async throws -> LiveServer.Reply {
                try await server.send(
                    .post, "/runs/\(run)/review",
                    bytes: Self.form([("csrf", String(csrf)), ("row", String(row)), ("next", String(next))] + fields))
            }
            let saved = try await review(
                2, next: 3, [("metric", "answer_correctness/v1"), ("value", "2"), ("comment", "half of it"), ("action", "save")])
            #expect(saved.status == 303 && saved.headers.first(name: "Location") == "/runs/\(run)/review?row=3&saved=2")
            let second = try await server.send(.get, "/runs/\(run)/review?row=3&saved=2")
            #expect(second.body.contains("Saved your score of row 2.") && second.body.contains("the judges disagree"))
            #expect(second.body.contains(#"name="next" value="4""#), "then row 4, on the gate's threshold")
            let fourth = try await server.send(.get, "/runs/\(run)/review?row=4")
            #expect(fourth.body.contains("answer_correctness/v1 3 is near the gate&#39;s 3"))
            #expect(try await review(3, next: 4, [("metric", "answer_correctness/v1"), ("thumb", "down")]).status == 303)
            for (row, value) in [(1, "5"), (4, "3"), (5, "4"), (6, "1")] {
                #expect(try await review(row, next: 1, [("metric", "answer_correctness/v1"), ("value", value)]).status == 303)
            }
            let skip = try await review(5, next: 6, [("action", "skip")])
            #expect(skip.headers.first(name: "Location") == "/runs/\(run)/review?row=6", "skipping stores nothing")

            let store = try #require(server.store as? any TraceStore)
            let stored = try await store.assessments(traceIDs: ["row:\(run):2"])
            #expect(stored.count == 1)
            #expect(stored.first?.source.type == "HUMAN" && stored.first?.source.id == "web UI" && stored.first?.data == .int(2))
            #expect(stored.first?.rationale == "half of it" && stored.first?.metadata["assay.run"] == run)
            #expect(try await store.assessments(traceIDs: ["row:\(run):3"]).first?.data == .bool(false), "thumbs down")

            var page = try await server.send(.get, "/runs/\(run)")
            #expect(page.body.contains("person: 2") && page.body.contains("person: thumbs down"), "people's scores beside the judge's")
            #expect(page.body.contains("(6 reviewed)"))
            // Rows 1, 4, 5 and 6 have both scores (row 2's judge answer is unreadable, row 3 has thumbs).
            #expect(page.body.contains("Judges against people") && page.body.contains("4 rows scored by both · exact agreement 75%"))
            #expect(page.body.contains("Rows by a person's score (down) and the judge's (across)"))

            // The same reviewer's second score of a row replaces the first.
            #expect(try await review(6, next: 1, [("metric", "answer_correctness/v1"), ("value", "2")]).status == 303)
            #expect(try await store.assessments(traceIDs: ["row:\(run):6"]).filter(\.valid).map(\.data) == [.int(2)])
            // Another reviewer's score of the same row is kept beside the first.
            let ann = try await review(6, next: 1, [("metric", "answer_correctness/v1"), ("value", "3"), ("reviewer", "ann")])
            #expect(ann.headers.first(name: "Location") == "/runs/\(run)/review?row=1&saved=6&reviewer=ann", "the name goes on")
            #expect(try await server.send(.get, "/runs/\(run)/review?row=1&reviewer=ann").body.contains(#"name="reviewer" value="ann""#))
            let both = try await store.assessments(run: run, sourceType: "HUMAN").filter { $0.traceID == "row:\(run):6" }
            #expect(Set(both.map(\.source.id)) == ["web UI", "ann"] && Set(both.map(\.data)) == [.int(2), .int(3)])
            #expect(try await review(6, next: 1, [("metric", "answer_correctness/v1"), ("value", "2"), ("reviewer", "ann")]).status == 303)
            page = try await server.send(.get, "/runs/\(run)")
            #expect(page.body.contains("4 rows scored by both · exact agreement 100%"))
            #expect(page.body.contains("weighted kappa 1.000"))

            // Bad forms say what is wrong and store nothing.
            let none = try await review(1, next: 2, [("metric", "answer_correctness/v1"), ("value", " ")])
            #expect(none.status == 400 && none.body.contains("Give a score"))
            let far = try await review(99, next: 1, [("value", "3")])
            #expect(far.status == 400 && far.body.contains("names no row"))
            let forged = try await server.send(
                .post, "/runs/\(run)/review", bytes: Self.form([("csrf", "guess"), ("row", "1"), ("value", "1")]))
            #expect(forged.status == 403)
            #expect(try await server.send(.get, "/runs/nope/review").status == 404)
            #expect(try await store.assessments(traceIDs: ["row:\(run):1"]).filter(\.valid).count == 1)
        }
    }

    @Test func aRowThatIsATraceIsReviewedOnTheTraceAndTracesTakeScoresToo() async throws {
        try await LiveServer.with(seed: Self.seed) { server in
            #expect(try await server.send(.post, "/v1/traces", body: OTLPTests.json).status == 200)
            let runs = try await server.post("runs/search", #"{"experiment_ids": ["0"]}"#).json["runs"] as? [[String: Any]]
            let run = try #require((runs?.first?["info"] as? [String: Any])?["run_id"] as? String)
            let page = try await server.send(.get, "/runs/\(run)/review")
            let csrf = String(try #require(page.body.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1))
            let posted = try await server.send(
                .post, "/runs/\(run)/review", bytes: Self.form([("csrf", csrf), ("row", "1"), ("metric", "overall"), ("thumb", "up")]))
            #expect(posted.status == 303)
            let trace = "5b8efff798038103d269b633813fc60c"
            let onTrace = try await server.send(
                .post, "/traces/\(trace)/review",
                bytes: Self.form([("csrf", csrf), ("metric", "tone"), ("value", "friendly"), ("comment", "<b>nice</b>")]))
            #expect(onTrace.status == 303 && onTrace.headers.first(name: "Location") == "/traces/\(trace)#as-h")
            // The MLflow 3 client reads both as the trace's HUMAN assessments.
            let info = try await server.send(.get, "/api/3.0/mlflow/traces/tr-\(trace)").json
            let assessments = try #require(
                ((info["trace"] as? [String: Any])?["trace_info"] as? [String: Any])?["assessments"] as? [[String: Any]])
            let human = assessments.filter { ($0["source"] as? [String: Any])?["source_type"] as? String == "HUMAN" }
            #expect(Set(human.compactMap { $0["assessment_name"] as? String }) == ["overall", "tone"])
            let tracePage = try await server.send(.get, "/traces/\(trace)")
            #expect(tracePage.body.contains("thumbs up") && tracePage.body.contains("friendly"))
            #expect(tracePage.body.contains("&lt;b&gt;nice&lt;/b&gt;") && !tracePage.body.contains("<b>nice</b>"))
            let missing = try await server.send(
                .post, "/traces/ffffffffffffffffffffffffffffffff/review", bytes: Self.form([("csrf", csrf), ("value", "1")]))
            #expect(missing.status == 404)
        }
    }
}
