import Assay
import AssayServer
import AssayTesting
import Foundation
import HTTPTypes
import NIOHTTP1
import Testing

/// Every page of the web UI over HTTP, in process: status, the content that matters, and escaping.
@Suite struct WebUITests {
    static let script = "<script>alert(1)</script>"

    /// Two evaluations of the same questions (the second with an injected script in an answer), and a
    /// hand-made table with a row error and an unreadable judge answer.
    static func seed(_ store: any TrackingStore, _ root: URL) async throws {
        let artifacts = LocalArtifactRepository(root: root)
        let recorder = RunRecorder(store: store, artifacts: artifacts)
        let questions = ["What is 2+2?", "Capital of France?", "How many legs does a spider have?"]
        let truth = ["4", "Paris", "Eight"]
        for (name, answers) in [("baseline", ["4", "Lyon", "Six"]), ("prompt-v2", ["4", "Paris", "Eight \(script)"])] {
            let data = Dataset(
                name: "qa.jsonl", columns: ["inputs", "ground_truth", "predictions"],
                rows: questions.indices.map { [.string(questions[$0]), .string(truth[$0]), .string(answers[$0])] })
            let result = try await evaluate(
                data, targets: "ground_truth", predictions: "predictions", modelType: .questionAnswering,
                extraMetrics: [Metric.rouge("rougeL")!])
            _ = try await recorder.record(result, experiment: "qa <b>demo</b>", runName: name)
        }
        let judged = try await store.createRun(in: "1", named: "judged", startTime: 5, userID: "root", tags: [])
        let table = #"""
            {"columns":["inputs","outputs","error","answer_correctness/v1/score","answer_correctness/v1/justification"],
             "data":[["q1","a1",null,4,"close enough"],["q2","a2",null,null,"I would rate this 100 out of 5"],["q3",null,"HTTP 500 from the model",null,null]]}
            """#
        try await artifacts.write(Data(table.utf8), at: "eval_results_table.json", of: judged)
        try await store.logBatch(
            run: judged.id, metrics: (1...5).map { MetricPoint(key: "loss", value: 1 / Double($0), timestamp: Int64($0), step: Int64($0)) },
            params: [], tags: [KeyValue("mlflow.loggedArtifacts", #"[{"path": "eval_results_table.json", "type": "table"}]"#)])
    }

    /// The runs of an experiment, id by name.
    static func runs(_ server: LiveServer, experiment: String = "1", headers: [(String, String)] = []) async throws -> [String: String] {
        let reply = try await server.post("runs/search", #"{"experiment_ids": ["\#(experiment)"]}"#, headers: headers)
        let runs = try #require(reply.json["runs"] as? [[String: Any]])
        return Dictionary(
            uniqueKeysWithValues: runs.compactMap { run in
                guard let info = run["info"] as? [String: Any], let name = info["run_name"] as? String, let id = info["run_id"] as? String
                else { return nil }
                return (name, id)
            })
    }

    @Test func everyPageRendersAndEscapes() async throws {
        try await LiveServer.with(seed: Self.seed) { server in
            let ids = try await Self.runs(server)
            let (baseline, v2, judged) = (try #require(ids["baseline"]), try #require(ids["prompt-v2"]), try #require(ids["judged"]))
            var pages: [String: String] = [:]
            for path in [
                "/", "/experiments/1", "/runs/\(v2)", "/runs/\(judged)", "/runs/\(v2)/artifacts/eval_results_table.json",
                "/compare?runs=\(baseline)&runs=\(v2)",
            ] {
                let reply = try await server.send(.get, path)
                #expect(reply.status == 200, "\(path): \(reply.status)")
                #expect(reply.headers.first(name: "Content-Type") == "text/html; charset=utf-8")
                #expect(reply.headers.first(name: "Content-Security-Policy")?.contains("default-src 'self'") == true)
                #expect(!reply.body.contains(Self.script) && !reply.body.contains("<b>demo</b>"), "\(path) has unescaped text")
                pages[path] = reply.body
            }
            #expect(pages["/"]!.contains("qa &lt;b&gt;demo&lt;/b&gt;") && pages["/"]!.contains(#"<td class="num">3</td>"#))
            let runsPage = pages["/experiments/1"]!
            #expect(runsPage.contains("baseline") && runsPage.contains("prompt-v2") && runsPage.contains("exact_match/v1"))
            #expect(runsPage.contains(#"name="runs" value="\#(baseline)""#), "runs can be selected for comparison")
            let runPage = pages["/runs/\(v2)"]!
            #expect(runPage.contains("Eight &lt;script&gt;alert(1)&lt;/script&gt;"), "the answer is shown, as text")
            #expect(runPage.contains("eval_results_table.json") && runPage.contains("<svg class=\"chart\""), "artifacts and histograms")
            let judgedPage = pages["/runs/\(judged)"]!
            #expect(judgedPage.contains(#"<details class="invalid"><summary>invalid</summary>"#), "an unreadable judge answer is marked")
            #expect(judgedPage.contains("I would rate this 100 out of 5"))
            #expect(judgedPage.components(separatedBy: #"class="flagged""#).count - 1 == 2, "the invalid row and the error row")
            #expect(judgedPage.contains("aria-label=\"loss by step\""), "a history chart for a metric with steps")
            #expect(pages["/runs/\(v2)/artifacts/eval_results_table.json"]!.contains("&quot;columns&quot;"))
            let compare = pages["/compare?runs=\(baseline)&runs=\(v2)"]!
            #expect(compare.contains(#"<span aria-current="page">Compare</span>"#), "the current page's crumb is not a link")
            #expect(compare.contains(#"<span class="delta better""#), "exact_match went up: better")
            #expect(compare.contains("<del>Lyon</del>") && compare.contains("<ins>Paris"), "word diff against the baseline")
            #expect(compare.contains("<del>Six</del><ins>Eight &lt;script&gt;alert(1)&lt;/script&gt;</ins>"))
            // Statistics beside the mean changes: one of three rows went from wrong to right, which
            // exact McNemar cannot tell from chance (p 1).
            #expect(compare.contains("3 rows paired with the baseline"))
            #expect(compare.contains("p 1.0000 · no detectable difference"), "exact_match/v1 with its p-value and verdict")
            #expect(compare.contains("exact McNemar, 3 pairs"))
            let download = try await server.send(.get, "/runs/\(v2)/download/eval_results_table.json")
            #expect(download.status == 200 && download.headers.first(name: "Content-Disposition")?.hasPrefix("attachment") == true)
            #expect(try await server.send(.get, "/static/assay.css").body.contains("--accent"))
            #expect(try await server.send(.get, "/no/such/page").status == 404)
            #expect(try await server.send(.get, "/runs/\(v2)/artifacts/..%2F..%2Fassay.db").status == 400)
        }
    }

    @Test func filtersSearchesAndPages() async throws {
        try await LiveServer.with(seed: Self.seed) { server in
            let ids = try await Self.runs(server)
            let filtered = try await server.send(.get, "/experiments/1?filter=metrics.%60exact_match%2Fv1%60%20%3E%200.5")
            #expect(filtered.body.contains("prompt-v2") && !filtered.body.contains(">baseline<"))
            let bad = try await server.send(.get, "/experiments/1?filter=metrics.x%20%3E%3E%201")
            #expect(bad.status == 200 && bad.body.contains("Invalid comparator"), "a bad filter is explained, not a failure")
            let sorted = try await server.send(.get, "/experiments/1?order=metrics.%60exact_match%2Fv1%60%20DESC")
            let first = try #require(sorted.body.range(of: "prompt-v2")), second = try #require(sorted.body.range(of: ">baseline<"))
            #expect(first.lowerBound < second.lowerBound)
            let v2 = try #require(ids["prompt-v2"])
            let search = try await server.send(.get, "/runs/\(v2)?q=SPIDER")
            #expect(search.body.contains("1 of 3 rows match"))
            let range = try await server.send(.get, "/runs/\(v2)?metric=rougeL%2Fv1&min=0.9&max=1")
            #expect(range.body.contains("of 3 rows match") && range.body.contains("What is 2+2?"))
            // Histograms count the matching rows; a page past the last shows the last; a bound that is
            // not a number is said.
            #expect(search.body.contains("rougeL/v1, matching rows (n=1)"))
            let far = try await server.send(.get, "/runs/\(v2)?page=999")
            #expect(far.body.contains("page 1 of 1") && !far.body.contains("← Previous"))
            let wordy = try await server.send(.get, "/runs/\(v2)?metric=rougeL%2Fv1&min=abc")
            #expect(wordy.body.contains("The range&#39;s lower end &#39;abc&#39; is not a number, so the range ignores it."))
            #expect(wordy.body.contains("3 rows"))
            let one = try await server.send(.get, "/compare?runs=\(v2)")
            #expect(one.status == 400 && one.body.contains("Choose 2 to 5 runs"))
        }
    }

    @Test func aTokenMeansSignInAndFormsNeedTheirCSRFToken() async throws {
        try await LiveServer.with({ $0.authToken = "s3cret" }, seed: Self.seed) { server in
            let ids = try await Self.runs(server, headers: [("Authorization", "Bearer s3cret")])
            let v2 = try #require(ids["prompt-v2"])
            let anonymous = try await server.send(.get, "/runs/\(v2)")
            #expect(anonymous.status == 303 && anonymous.headers.first(name: "Location") == "/login?next=%2Fruns%2F\(v2)")
            #expect(try await server.send(.get, "/login").body.contains(#"type="password""#))
            let wrong = try await server.send(.post, "/login", bytes: Array("token=nope&next=%2F".utf8))
            #expect(wrong.status == 401 && wrong.headers.first(name: "Set-Cookie") == nil)
            let right = try await server.send(.post, "/login", bytes: Array("token=s3cret&next=%2F%2Fevil.example".utf8))
            #expect(right.status == 303 && right.headers.first(name: "Location") == "/", "no redirect off the site")
            let cookie = try #require(right.headers.first(name: "Set-Cookie"))
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            let session = [("Cookie", String(cookie.split(separator: ";")[0]))]
            let page = try await server.send(.get, "/runs/\(v2)", headers: session)
            #expect(page.status == 200 && page.body.contains("Sign out"))
            #expect(try await server.send(.get, "/", headers: [("Cookie", "assay_session=forged")]).status == 303)

            let forged = try await server.send(.post, "/runs/\(v2)/delete", bytes: Array("csrf=guess".utf8), headers: session)
            #expect(forged.status == 403)
            let missing = try await server.send(.post, "/runs/\(v2)/delete", bytes: [], headers: session)
            #expect(missing.status == 403)
            #expect(
                try await server.get("runs/get?run_id=\(v2)", headers: [("Authorization", "Bearer s3cret")]).body.contains(
                    #""lifecycle_stage":"active""#))
            let csrf = try #require(page.body.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1)
            let deleted = try await server.send(.post, "/runs/\(v2)/delete", bytes: Array("csrf=\(csrf)".utf8), headers: session)
            #expect(deleted.status == 303)
            #expect(
                try await server.get("runs/get?run_id=\(v2)", headers: [("Authorization", "Bearer s3cret")]).body.contains(
                    #""lifecycle_stage":"deleted""#))
            #expect(
                try await server.get("runs/get?run_id=\(v2)", headers: session).status == 401, "the API wants the token, not the cookie")
        }
    }
    @Test func sessionsAreRandomRevocableAndSecureBehindTLS() async throws {
        try await LiveServer.with({ $0.authToken = "s3cret" }) { server in
            func signIn(_ headers: [(String, String)] = [], next: String = "%2F") async throws -> LiveServer.Reply {
                try await server.send(.post, "/login", bytes: Array("token=s3cret&next=\(next)".utf8), headers: headers)
            }
            let first = try await signIn(), second = try await signIn()
            let a = try #require(first.headers.first(name: "Set-Cookie")), b = try #require(second.headers.first(name: "Set-Cookie"))
            #expect(a != b, "a new session per sign-in")
            #expect(!a.contains("Secure"), "plain HTTP: a Secure cookie would never come back")
            let cookieA = [("Cookie", String(a.split(separator: ";")[0]))], cookieB = [("Cookie", String(b.split(separator: ";")[0]))]
            let page = try await server.send(.get, "/", headers: cookieA)
            #expect(page.status == 200)
            let csrf = try #require(page.body.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1)
            let out = try await server.send(.post, "/logout", bytes: Array("csrf=\(csrf)".utf8), headers: cookieA)
            #expect(out.status == 303)
            #expect(try await server.send(.get, "/", headers: cookieA).status == 303, "signed out means the old cookie no longer works")
            #expect(try await server.send(.get, "/", headers: cookieB).status == 200, "other sessions stay")

            let proxied = try await signIn([("X-Forwarded-Proto", "https")])
            #expect(proxied.headers.first(name: "Set-Cookie")?.contains("; Secure") == true)
            let forwarded = try await signIn([("Forwarded", "for=1.2.3.4;proto=https")])
            #expect(forwarded.headers.first(name: "Set-Cookie")?.contains("; Secure") == true)

            for next in [
                "%2F%09%2F127.0.0.1:5199%2F", "%2F%0A%2Fevil.example", "%2F%5Cevil.example", "%2F%2Fevil.example", "https:%2F%2Fevil",
            ] {
                let reply = try await signIn(next: next)
                #expect(reply.headers.first(name: "Location") == "/", "\(next) -> \(reply.headers.first(name: "Location") ?? "")")
                let page = try await server.send(.get, "/login?next=\(next)", headers: cookieB)
                #expect(page.headers.first(name: "Location") == "/", "signed in: \(next)")
            }
            #expect(try await signIn(next: "%2Fruns%2Fabc%3Fq%3D1").headers.first(name: "Location") == "/runs/abc?q=1")

            // Wrong tokens: each answered slowly, and after five the address waits.
            let clock = ContinuousClock()
            let start = clock.now
            for _ in 0..<5 {
                let wrong = try await server.send(.post, "/login", bytes: Array("token=guess&next=%2F".utf8))
                #expect(wrong.status == 401)
            }
            #expect(clock.now - start >= .seconds(2), "five failures take at least 2.5 s")
            let refused = try await signIn()
            #expect(refused.status == 429 && refused.headers.first(name: "Set-Cookie") == nil, "even the right token waits")
            #expect(Int(refused.headers.first(name: "Retry-After") ?? "") ?? 0 > 0)
        }
    }

    @Test func aRunWithAnUnreadableArtifactLocationStillShows() async throws {
        try await LiveServer.with(seed: { store, _ in
            let experiment = try await store.createExperiment(named: "odd", artifactLocation: "mlflow-artifacts:/../../etc", tags: [])
            _ = try await store.createRun(in: experiment.id, named: "odd-run", startTime: 1, userID: "u", tags: [])
        }) { server in
            let reply = try await server.post("runs/search", #"{"experiment_ids": ["1"]}"#)
            let run = try #require(((reply.json["runs"] as? [[String: Any]])?.first?["info"] as? [String: Any])?["run_id"] as? String)
            let page = try await server.send(.get, "/runs/\(run)")
            #expect(page.status == 200 && page.body.contains("odd-run"))
            #expect(page.body.contains("cannot be listed: Invalid path"), "\(page.body.prefix(200))")
        }
    }

    /// Stored values at the edges of their types (from a careless or hostile client) must not stop a page from
    /// rendering: times at Int64's ends, a metric step at Int64.max, scores near ±Double.greatestFiniteMagnitude,
    /// a span from the first to the last representable nanosecond.
    /// Two runs of an agent whose tables hold conversations (no inputs column), in different row orders.
    static func seedConversations(_ store: any TrackingStore, _ root: URL) async throws {
        let artifacts = LocalArtifactRepository(root: root)
        // The runs' conversations differ after the first user message, so only that can pair them.
        func conversation(_ question: String, _ city: String, failed: Bool, run: String) -> String {
            #"[{"role": "user", "content": "\#(question)"}, {"role": "assistant", "content": "", "tool_calls": [{"name": "weather", "arguments": {"city": "\#(city)"}}]}, {"role": "tool", "content": "18 C \#(script)"\#(failed ? #", "is_error": true"# : "")}, {"role": "assistant", "content": "It is 18 C (\#(run))."}]"#
        }
        for (name, order) in [("agent-a", [0, 1]), ("agent-b", [1, 0])] {
            let run = try await store.createRun(in: "0", named: name, startTime: 1, userID: "root", tags: [])
            let rows = [
                #"[\#(conversation("Weather in Paris?", "Paris", failed: false, run: name)), "It is 18 C.", \#(name == "agent-a" ? 1 : 0)]"#,
                #"[\#(conversation("Weather in Oslo?", "Oslo", failed: true, run: name)), "It is 18 C.", 0]"#,
            ]
            let table =
                #"{"columns": ["messages", "outputs", "tool_call_f1/score"], "data": [\#(order.map { rows[$0] }.joined(separator: ","))]}"#
            try await artifacts.write(Data(table.utf8), at: "eval_results_table.json", of: run)
            try await store.logBatch(
                run: run.id, metrics: [MetricPoint(key: "tool_call_f1/mean", value: 0.5, timestamp: 1, step: 0)], params: [],
                tags: [KeyValue("mlflow.loggedArtifacts", #"[{"path": "eval_results_table.json", "type": "table"}]"#)])
        }
    }

    @Test func conversationsRenderAsTurnsAndCompareByTheirFirstUserMessage() async throws {
        try await LiveServer.with(seed: Self.seedConversations) { server in
            let reply = try await server.post("runs/search", #"{"experiment_ids": ["0"]}"#)
            let runs = try #require(reply.json["runs"] as? [[String: Any]])
            let ids = Dictionary(
                uniqueKeysWithValues: runs.compactMap { run -> (String, String)? in
                    guard let info = run["info"] as? [String: Any], let name = info["run_name"] as? String,
                        let id = info["run_id"] as? String
                    else { return nil }
                    return (name, id)
                })
            let (a, b) = (try #require(ids["agent-a"]), try #require(ids["agent-b"]))
            let page = try await server.send(.get, "/runs/\(a)")
            #expect(page.status == 200)
            let html = page.body
            #expect(html.contains(#"<details class="conversation"><summary>4 messages · 1 tool call</summary>"#), "\(html.prefix(300))")
            #expect(html.contains("4 messages · 1 tool call · 1 failed"))
            #expect(html.contains(#"<summary>calls weather</summary>"#))
            #expect(html.contains("turn tool failed"))
            #expect(!html.contains(Self.script) && html.contains("&lt;script&gt;"), "tool results are escaped")
            let compare = try await server.send(.get, "/compare?runs=\(a)&runs=\(b)")
            #expect(compare.status == 200)
            #expect(compare.body.contains("Weather in Paris?") && compare.body.contains("Weather in Oslo?"))
            #expect(!compare.body.contains("no such row"), "rows pair by their first user message, whatever their order")
        }
    }

    static func seedExtremes(_ store: any TrackingStore, _ root: URL) async throws {
        let artifacts = LocalArtifactRepository(root: root)
        for name in ["edge-a", "edge-b"] {
            let run = try await store.createRun(in: "0", named: name, startTime: .min, userID: "root", tags: [])
            _ = try await store.updateRun(id: run.id, status: .finished, endTime: .max, name: nil)
            try await store.logBatch(
                run: run.id,
                metrics: [
                    MetricPoint(key: "loss", value: -1.7e308, timestamp: .min, step: 1),
                    MetricPoint(key: "loss", value: 1.7e308, timestamp: .max, step: .max),
                    MetricPoint(key: "score", value: .infinity, timestamp: 0, step: .min),
                ],
                params: [], tags: [KeyValue("mlflow.loggedArtifacts", #"[{"path": "eval_results_table.json", "type": "table"}]"#)])
            let table = #"""
                {"columns":["inputs","outputs","s/v1/score"],"data":[["q1","a1",-1.7e308],["q2","a2",1.7e308],["q3","a3",0.5]]}
                """#
            try await artifacts.write(Data(table.utf8), at: "eval_results_table.json", of: run)
        }
        try await #require(store as? any TraceStore).ingest(
            [
                SpanRecord(
                    traceID: "0123456789abcdef0123456789abcdef", spanID: "0123456789abcdef", parentSpanID: nil, name: "edge",
                    startTimeNanos: .min, endTimeNanos: .max,
                    events: [SpanEvent(name: "e", timeNanos: .max, attributes: [:])]),
                SpanRecord(
                    traceID: "0123456789abcdef0123456789abcdef", spanID: "1123456789abcdef", parentSpanID: "0123456789abcdef",
                    name: "child", startTimeNanos: .max, endTimeNanos: .min),
            ], experimentID: "0")
    }

    @Test func extremeStoredValuesRenderOnEveryPage() async throws {
        try await LiveServer.with(seed: Self.seedExtremes) { server in
            let reply = try await server.post("runs/search", #"{"experiment_ids": ["0"]}"#)
            let runs = try #require(reply.json["runs"] as? [[String: Any]])
            let ids = runs.compactMap { ($0["info"] as? [String: Any])?["run_id"] as? String }
            #expect(ids.count == 2)
            for path in [
                "/", "/experiments/0", "/runs/\(ids[0])", "/runs/\(ids[0])?metric=s%2Fv1&min=-1e308&max=1e308",
                "/compare?runs=\(ids[0])&runs=\(ids[1])", "/experiments/0/traces", "/traces/0123456789abcdef0123456789abcdef",
            ] {
                let page = try await server.send(.get, path)
                #expect(page.status == 200, "\(path): \(page.status) \(page.body.prefix(300))")
            }
            let run = try await server.send(.get, "/runs/\(ids[0])")
            #expect(run.body.contains("aria-label=\"loss by step\"") && run.body.contains("Distribution of s/v1"), "the charts are drawn")
            #expect(!run.body.contains("nan") && !run.body.contains("NaN,"), "no NaN coordinates")
            let store = try #require(server.store as? any TraceStore)
            let (summary, _, _) = try await store.trace(id: "0123456789abcdef0123456789abcdef")
            #expect(try Dataset.traces([summary], name: "t").rows().count == 1, "a trace table for `assay evaluate --traces`")
        }
    }
}
