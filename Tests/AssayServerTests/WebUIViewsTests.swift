import Assay
import AssayServer
import AssayTesting
import Foundation
import HTTPTypes
import Testing

/// The web UI's views over HTTP, in process: the evaluation table's ordering, columns and export, the
/// runs list's export and charts, compare on retriever runs, the traces list, and the HTML 404 page.
@Suite struct WebUIViewsTests {
    /// The QA runs of `WebUITests.seed`, and two retriever runs over the same questions in another
    /// experiment ("retrieval"), the second retrieving better.
    static func seed(_ store: any TrackingStore, _ root: URL) async throws {
        try await WebUITests.seed(store, root)
        let recorder = RunRecorder(store: store, artifacts: LocalArtifactRepository(root: root))
        let questions = ["How do I log a metric?", "How do I start a server?", "What is an experiment?"]
        let truth: [[String]] = [["doc-metrics"], ["doc-server"], ["doc-experiments"]]
        let retrieved: [(String, [[String]])] = [
            ("retriever-a", [["doc-runs", "doc-ui"], ["doc-server", "doc-ui"], ["doc-ui", "doc-models"]]),
            ("retriever-b", [["doc-metrics", "doc-ui"], ["doc-server", "doc-ui"], ["doc-ui", "doc-models"]]),
        ]
        for (name, documents) in retrieved {
            let data = Dataset(
                name: "retrieval.jsonl", columns: ["inputs", "ground_truth", "retrieved"],
                rows: questions.indices.map {
                    [.string(questions[$0]), .list(truth[$0].map(DataValue.string)), .list(documents[$0].map(DataValue.string))]
                })
            let result = try await evaluate(data, targets: "ground_truth", predictions: "retrieved", modelType: .retriever)
            _ = try await recorder.record(result, experiment: "retrieval", runName: name)
        }
    }

    /// Splits CSV text into records of fields (quoted fields may hold commas, quotes and newlines).
    static func parseCSV(_ text: String) -> [[String]] {
        var records: [[String]] = [], record: [String] = [], field = "", quoted = false
        var characters = Array(text).makeIterator()
        while let c = characters.next() {
            if quoted {
                if c == "\"" {
                    if let n = characters.next() {
                        if n == "\"" {
                            field.append("\"")
                        } else {
                            quoted = false
                            if n == "," {
                                record.append(field); field = ""
                            } else if n == "\n" || n == "\r\n" {
                                record.append(field); records.append(record); record = []; field = ""
                            }
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                record.append(field); field = ""
            } else if c == "\n" || c == "\r\n" {
                record.append(field); records.append(record); record = []; field = ""
            } else {
                field.append(c)
            }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }

    @Test func theEvaluationTableSortsPicksColumnsAndExportsWhatItShows() async throws {
        try await LiveServer.with(seed: Self.seed) { server in
            let v2 = try #require(try await WebUITests.runs(server, experiment: "1")["prompt-v2"])
            let sorted = try await server.send(.get, "/runs/\(v2)?sort=inputs&dir=desc")
            let order = ["What is 2+2?", "How many legs", "Capital of France?"].map { sorted.body.range(of: $0)?.lowerBound }
            #expect(order.allSatisfy { $0 != nil } && order[0]! < order[1]! && order[1]! < order[2]!, "inputs Z to A")
            #expect(sorted.body.contains(#"aria-sort="descending""#))
            let picked = try await server.send(.get, "/runs/\(v2)?cols=rougeL%2Fv1%2Fscore,inputs")
            let header = try #require(
                picked.body.firstMatch(of: /<table class="data evaluation">\s*<thead>(.*?)<\/thead>/.dotMatchesNewlines())?.1)
            #expect(header.contains("rougeL") && header.contains("inputs") && !header.contains("ground_"), "only the picked columns")
            #expect(
                try #require(header.range(of: "rougeL")).lowerBound < (try #require(header.range(of: "inputs"))).lowerBound,
                "in the picked order")
            #expect(picked.body.contains(#"href="/runs/\#(v2)/table.csv?"#), "the export link carries the view")

            // The export holds the rows that match (all of them, not one page), in the view's order and columns.
            let csv = try await server.send(.get, "/runs/\(v2)/table.csv?sort=inputs&dir=desc&cols=inputs,predictions&q=e")
            #expect(csv.status == 200 && csv.headers.first(name: "Content-Type") == "text/csv; charset=utf-8")
            #expect(csv.headers.first(name: "Content-Disposition") == #"attachment; filename="prompt-v2-eval_results_table.csv""#)
            let records = Self.parseCSV(csv.body)
            let page = try await server.send(.get, "/runs/\(v2)?sort=inputs&dir=desc&cols=inputs,predictions&q=e")
            #expect(page.body.contains("\(records.count - 1) of 3 rows match"), "the CSV has the rows the filtered page counts")
            #expect(records.first == ["inputs", "predictions"])
            #expect(
                records.dropFirst().map { $0[0] }
                    == ["What is 2+2?", "How many legs does a spider have?", "Capital of France?"].filter { $0.contains("e") }.sorted(by: >)
            )
            #expect(records.contains { $0.last == "Eight <script>alert(1)</script>" }, "text as it is, quoted where needed")
            let json = try await server.send(.get, "/runs/\(v2)/table.json?q=spider")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.body.utf8)) as? [String: Any])
            #expect((object["data"] as? [[Any]])?.count == 1 && (object["columns"] as? [String])?.first == "inputs")
        }
    }

    @Test func theRunsListExportsAsFilteredAndDrawsCharts() async throws {
        try await LiveServer.with(seed: Self.seed) { server in
            let filter = "filter=metrics.%60exact_match%2Fv1%60%20%3E%200.5"
            let csv = try await server.send(.get, "/experiments/1/runs.csv?\(filter)")
            let records = Self.parseCSV(csv.body)
            #expect(records.count == 2, "the header and prompt-v2 only: \(records)")
            let columns = try #require(records.first)
            #expect(Array(columns.prefix(6)) == ["run_id", "run_name", "status", "start_time", "end_time", "duration_seconds"])
            let name = try #require(columns.firstIndex(of: "run_name")),
                exact = try #require(columns.firstIndex(of: "metrics.exact_match/v1"))
            #expect(records[1][name] == "prompt-v2" && Double(records[1][exact]).map { abs($0 - 2.0 / 3) < 1e-12 } == true)
            #expect(columns.contains("params.model_type"))
            let all = try await server.send(.get, "/experiments/1/runs.json")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(all.body.utf8)) as? [String: Any])
            #expect((object["data"] as? [[Any]])?.count == 3)
            #expect(try await server.send(.get, "/experiments/1/runs.csv?filter=metrics.x%20%3E%3E%201").status == 400)

            let runs = try await server.send(.get, "/experiments/1")
            #expect(runs.body.contains("exact_<wbr>match/<wbr>v1"), "long headers break at word boundaries, not every letter")
            #expect(runs.body.contains(#"class="sticky run-name""#))
            #expect(runs.body.contains(#"href="/experiments/1/runs.csv""#))
            let bars = try await server.send(.get, "/experiments/1?chart=bars&m=exact_match%2Fv1")
            #expect(bars.body.contains(#"aria-label="exact_match/v1 by run""#) && bars.body.contains("exact_match/v1 of 2 runs"))
            let scatter = try await server.send(.get, "/experiments/1?chart=scatter&m=exact_match%2Fv1&m=rougeL%2Fv1%2Fmean")
            #expect(scatter.body.contains(#"aria-label="rougeL/v1/mean against exact_match/v1""#))
            #expect(scatter.body.contains("<title>prompt-v2: 0.6667, 0.7778</title>"), "each run a dot, named")
            let parallel = try await server.send(
                .get, "/experiments/1?chart=parallel&m=exact_match%2Fv1&m=rougeL%2Fv1%2Fmean&m=ari_grade_level%2Fv1%2Fmean")
            #expect(parallel.body.contains(#"aria-label="Runs across 3 metrics""#) && parallel.body.contains("<polyline"))
            let one = try await server.send(.get, "/experiments/1?chart=scatter&m=exact_match%2Fv1")
            #expect(one.body.contains("Pick two metrics"), "a scatter of one metric asks for a second")
        }
    }

    @Test func compareShowsRetrieverOutputsTalliesAndWhatDiffers() async throws {
        try await LiveServer.with(seed: Self.seed) { server in
            let experiments = try await server.get("experiments/get-by-name?experiment_name=retrieval").json
            let experiment = try #require((experiments["experiment"] as? [String: Any])?["experiment_id"] as? String)
            let ids = try await WebUITests.runs(server, experiment: experiment)
            let (a, b) = (try #require(ids["retriever-a"]), try #require(ids["retriever-b"]))
            let compare = try await server.send(.get, "/compare?runs=\(a)&runs=\(b)")
            #expect(compare.status == 200)
            // The retrieved documents are the outputs: shown as text, with the change as a word diff.
            let cards = compare.body.matches(of: /<article class="row-compare[^"]*">(.*?)<\/article>/.dotMatchesNewlines()).map {
                String($0.1)
            }
            #expect(cards.count == 3 && cards.last?.contains("How do I log a metric?") == true, "the row that improved comes last")
            #expect(cards.last?.contains("<del>doc-runs\n</del><ins>doc-metrics\n</ins>doc-ui") == true, "the documents, as a word diff")
            #expect(compare.body.contains("<strong>retriever-b</strong> against the baseline on"))
            #expect(
                compare.body.contains(
                    #"<span class="delta better">1 improved</span>, <span class="delta worse">0 regressed</span>, <span class="delta same">2 unchanged</span>"#
                ))
            let changed = try await server.send(.get, "/compare?runs=\(a)&runs=\(b)&changed=1")
            #expect(changed.body.components(separatedBy: "<article class=\"row-compare").count - 1 == 1, "only the row that changed")
            let searched = try await server.send(.get, "/compare?runs=\(a)&runs=\(b)&q=SERVER")
            #expect(searched.body.components(separatedBy: "<article class=\"row-compare").count - 1 == 1)
            #expect(searched.body.contains("How do I start a server?"))

            // Runs of different datasets and presets: the params and datasets that differ, and a warning.
            let qa = try #require(try await WebUITests.runs(server, experiment: "1")["baseline"])
            let mixed = try await server.send(.get, "/compare?runs=\(qa)&runs=\(b)")
            #expect(mixed.body.contains(#"<tr class="differs"><th scope="row" class="mono">model_type</th>"#))
            #expect(mixed.body.contains(#"<p class="warning" role="note">"#) && mixed.body.contains("different datasets"))
        }
    }

    @Test func tracesFilterSearchOrderAndShowAScoreColumn() async throws {
        try await LiveServer.with { server in
            #expect(try await server.send(.post, "/v1/traces", body: OTLPTests.json).status == 200)
            let trace = "5b8efff798038103d269b633813fc60c"
            let assessment =
                #"{"assessment": {"trace_id": "tr-\#(trace)", "assessment_name": "helpful", "feedback": {"value": 4}, "rationale": "clear", "source": {"source_type": "LLM_JUDGE", "source_id": "judge"}}}"#
            #expect(try await server.send(.post, "/api/3.0/mlflow/traces/tr-\(trace)/assessments", body: assessment).status == 200)
            let list = try await server.send(.get, "/experiments/0/traces?score=helpful")
            #expect(list.body.contains(trace) && list.body.contains(#"<td class="num" title="clear">4</td>"#), "the score column")
            let errors = try await server.send(.get, "/experiments/0/traces?filter=status%20%3D%20%27ERROR%27")
            #expect(!errors.body.contains("/traces/\(trace)"), "an OK trace is not an error")
            let found = try await server.send(.get, "/experiments/0/traces?q=2%2B2")
            #expect(found.body.contains("/traces/\(trace)"))
            let missing = try await server.send(.get, "/experiments/0/traces?q=no-such-words")
            #expect(!missing.body.contains("/traces/\(trace)"))
            let bad = try await server.send(.get, "/experiments/0/traces?filter=status%20%3D%3D%3D%201")
            #expect(bad.status == 200 && bad.body.contains("The filter cannot be used"))
        }
    }

    @Test func unknownAddressesGetAnHTMLPageInABrowserAndJSONElsewhere() async throws {
        try await LiveServer.with { server in
            let browser = [("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")]
            let page = try await server.send(.get, "/no/such/page", headers: browser)
            #expect(page.status == 404 && page.headers.first(name: "Content-Type") == "text/html; charset=utf-8")
            #expect(page.body.contains("<h1>") && page.body.contains("href=\"/\""))
            let client = try await server.send(.get, "/no/such/page")
            #expect(client.status == 404 && client.errorCode == "ENDPOINT_NOT_FOUND")
            let api = try await server.send(.get, "/api/2.0/mlflow/no-such-endpoint", headers: browser)
            #expect(api.status == 404 && api.errorCode == "ENDPOINT_NOT_FOUND", "the API answers JSON even to a browser")
            let css = try await server.send(.get, "/static/assay.css")
            #expect(
                css.body.contains("prefers-color-scheme: dark") && css.body.contains("max-width: 600px"), "dark mode and a narrow layout")
        }
    }
}
