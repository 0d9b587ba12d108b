import Assay
import Foundation
import Testing

@Suite struct EvaluationTests {
    static let qa = Dataset(
        name: "qa", columns: ["inputs", "ground_truth", "predictions"],
        rows: [
            ["What is Swift?", "A programming language.", "A programming language."],
            ["Capital of France?", "Paris", "Paris is the capital of France."],
            ["Legs on a spider?", "Eight", "Not sure."],
        ])

    @Test func questionAnsweringPresetKeysAndColumns() async throws {
        let result = try await evaluate(
            Self.qa, targets: "ground_truth", predictions: "predictions", modelType: .questionAnswering)
        #expect(
            result.metricKeys == [
                "flesch_kincaid_grade_level/v1/mean", "flesch_kincaid_grade_level/v1/variance",
                "flesch_kincaid_grade_level/v1/p90", "ari_grade_level/v1/mean", "ari_grade_level/v1/variance",
                "ari_grade_level/v1/p90", "exact_match/v1",
            ])
        #expect(abs(result.metrics["exact_match/v1"]! - 1.0 / 3.0) < 1e-12)
        #expect(
            result.table.columns == [
                "inputs", "ground_truth", "predictions", "token_count", "flesch_kincaid_grade_level/v1/score",
                "ari_grade_level/v1/score",
            ])
        #expect(result.skippedMetrics.map(\.key) == ["toxicity/v1"])
        #expect(try result.table.column("token_count") == [4, 7, 3])
    }

    @Test func withoutTargetsThePredictionColumnIsOutputs() async throws {
        let result = try await evaluate(Self.qa, predictions: "predictions", modelType: .text)
        #expect(result.table.columns.prefix(3) == ["inputs", "ground_truth", "outputs"])
    }

    @Test func presetMetricsNeedingTargetsAreSkippedButExplicitOnesFail() async throws {
        let result = try await evaluate(Self.qa, predictions: "predictions", modelType: .questionAnswering)
        #expect(result.skippedMetrics.contains { $0.key == "exact_match/v1" && $0.requirement == .targetsColumn })
        let error = await assayError { _ = try await evaluate(Self.qa, predictions: "predictions", extraMetrics: [.bleu]) }
        // The library says what is missing in its own words; the command line adds its flag.
        #expect(error?.message == "metric bleu/v1 compares with the ground truth and needs a targets column")
        #expect(error?.requirement == .targetsColumn)
    }

    @Test func unknownColumnListsTheColumnsThatExist() async throws {
        let message = await errorMessage {
            _ = try await evaluate(Self.qa, targets: "answer", predictions: "predictions", modelType: .questionAnswering)
        }
        #expect(message == "targets column 'answer' is not in the dataset; its columns are: 'inputs', 'ground_truth', 'predictions'")
        let mapping = await errorMessage {
            var configuration = EvaluationConfiguration()
            configuration.columnMapping = ["context": "passages"]
            _ = try await evaluate(Self.qa, predictions: "predictions", modelType: .text, configuration: configuration)
        }
        #expect(mapping?.contains("'passages' is not in the dataset") == true)
        let noPredictions = await assayError { _ = try await evaluate(Self.qa, modelType: .text) }
        #expect(noPredictions?.requirement == .predictionsColumn && noPredictions?.message.contains("predictions") == true)
    }

    @Test func rougeAndBleuReferenceValues() async throws {
        let rouge = try await evaluatePairs(
            [
                ("the cat sat on the mat", "the cat is on the mat"),
                ("Swift is a general-purpose language.", "Swift is a general-purpose language from Apple."),
                ("a b c", "c b a"),
                ("Café au lait", "cafe au lait"),
                ("the cat sat.\nit was happy.", "the cat was happy.\nit sat."),
                ("", "the cat"),
            ], metrics: ["rouge1", "rouge2", "rougeL", "rougeLsum"].compactMap { Metric.rouge($0) })
        let expected: [[Double]] = [
            [0.833333, 0.857143, 1.0, 0.666667, 1.0, 0],
            [0.6, 0.833333, 0.0, 0.5, 0.4, 0],
            [0.833333, 0.857143, 0.333333, 0.666667, 0.666667, 0],
            [0.833333, 0.857143, 0.333333, 0.666667, 1.0, 0],
        ]
        for (variant, values) in zip(["rouge1", "rouge2", "rougeL", "rougeLsum"], expected) {
            let got = try rouge.scores("\(variant)/v1/score")
            for (g, e) in zip(got, values) { #expect(abs(g! - e) < 1e-6, "\(variant): \(g!) vs \(e)") }
        }
        let bleu = try await evaluatePairs(
            [
                ("The quick brown fox jumps over the lazy dog.", "The quick brown fox jumped over the lazy dog."),
                ("Swift is a general-purpose language.", "Swift is a general-purpose language from Apple."),
                ("Yes.", "Yes."),
            ], metrics: [.bleu])
        let scores = try bleu.scores("bleu/v1/score")
        #expect(abs(scores[0]! - 0.658037) < 1e-6)
        #expect(abs(scores[1]! - 0.569836) < 1e-6)
        #expect(scores[2] == 0)
    }

    @Test func unicodeRougeTokenizerScoresJapanese() async throws {
        let pair = [("東京で新しい図書館が開館した。", "東京に新しい図書館が開館した。")]
        let mlflow = try await evaluatePairs(pair, metrics: [Metric.rouge("rouge1")!])
        #expect(try mlflow.scores("rouge1/v1/score") == [0])
        let unicode = try await evaluatePairs(pair, metrics: [Metric.rouge("rouge1", tokenizer: .unicode)!])
        let score = try #require(try unicode.scores("rouge1/v1/score")[0])
        // 14 character tokens a side, 13 shared (に and で differ); the full stop "。" is not a token.
        #expect(abs(score - 13.0 / 14.0) < 1e-9)
    }

    @Test func retrievalMetricsFollowMLflowIncludingQuirks() async throws {
        func run(_ rows: [([DataValue], [DataValue])], k: Int) async throws -> EvaluationResult {
            let data = Dataset(columns: ["inputs", "relevant", "retrieved"], rows: rows.map { ["q", .list($0.1), .list($0.0)] })
            var configuration = EvaluationConfiguration()
            configuration.retrieverK = k
            return try await evaluate(
                data, targets: "relevant", predictions: "retrieved", modelType: .retriever, configuration: configuration)
        }
        let three = try await run(
            [
                (["a"], ["a", "b", "c"]), (["x", "a"], ["a"]), (["a", "a", "b"], ["a", "b"]),
                (["x", "y", "a"], ["a", "b"]), (["a", "b", "c", "d"], ["z"]), ([], ["a"]), (["a", "b"], []), ([], []),
            ], k: 3)
        let expected: [(Double, Double, Double)] = [
            (1, 0.333333, 1), (0.5, 1, 0.63093), (1, 1, 1), (0.333333, 0.5, 0.306574), (0, 0, 0), (0, 0, 0), (0, 0, 0),
            (0, 1, 1),
        ]
        let p = try three.scores("precision_at_3/score")
        let r = try three.scores("recall_at_3/score")
        let n = try three.scores("ndcg_at_3/score")
        for (i, e) in expected.enumerated() {
            #expect(abs(p[i]! - e.0) < 1e-5 && abs(r[i]! - e.1) < 1e-5 && abs(n[i]! - e.2) < 1e-5, "row \(i + 1)")
        }
        let two = try await run([(["d1", "d2", "d3", "d4"], ["d1", "d3"]), (["d9"], ["d1"]), ([], [])], k: 2)
        #expect(abs(try two.scores("ndcg_at_2/score")[0]! - 0.6131471928) < 1e-9)
        #expect(abs(two.metrics["precision_at_2/mean"]! - 0.166667) < 1e-6)
        #expect(abs(two.metrics["precision_at_2/variance"]! - 0.055556) < 1e-6)
        #expect(abs(two.metrics["precision_at_2/p90"]! - 0.4) < 1e-9)
    }

    @Test func retrieverNeedsListsAndSaysWhere() async throws {
        let data = Dataset(columns: ["inputs", "relevant", "retrieved"], rows: [["q", ["a"], ["a"]], ["q", ["a"], "a,b"]])
        let message = await errorMessage {
            _ = try await evaluate(data, targets: "relevant", predictions: "retrieved", modelType: .retriever)
        }
        #expect(message == "row 2, column 'retrieved': retrieval metrics need a list of document ids as predictions, found a string (a,b)")
    }

    @Test func customMetricsAggregateAndOrderByDependencies() async throws {
        let ones = try Metric.perRow(name: "series", greaterIsBetter: true) { row in
            RowScore(Double(row.row.number))
        }
        let ratio = try Metric.custom(name: "over_10_chars", greaterIsBetter: true) { frame in
            let long = frame.predictions.filter { $0.text.count > 10 }.count
            return MetricValue(aggregateResults: ["ratio": Double(long) / Double(frame.predictions.count)])
        }
        let derived = try Metric.custom(name: "rouge_doubled", greaterIsBetter: true, dependencies: ["rouge1"]) { frame in
            let base = try #require(frame.metrics["rouge1/v1"])
            return MetricValue(scores: base.scores.map { $0.map { $0 * 2 } })
        }
        let data = Dataset(
            columns: ["inputs", "targets", "predictions"],
            rows: (1...5).map { i in
                ["q", "a b", .string(i % 2 == 0 ? "a b" : "a long prediction")]
            })
        let result = try await evaluate(
            data, targets: "targets", predictions: "predictions",
            extraMetrics: [derived, ones, ratio, Metric.rouge("rouge1")!])
        #expect(result.metrics["series/mean"] == 3)
        #expect(result.metrics["series/variance"] == 2)
        #expect(abs(result.metrics["series/p90"]! - 4.6) < 1e-12)
        #expect(result.metrics["over_10_chars/ratio"] == 0.6)
        #expect(result.metrics["rouge_doubled/mean"] == 2 * result.metrics["rouge1/v1/mean"]!)
        #expect(result.table.columns.suffix(2) == ["rouge1/v1/score", "rouge_doubled/score"])

        #expect(
            await errorMessage { _ = try Metric.perRow(name: "a/b", greaterIsBetter: nil) { _ in RowScore(1) } }?
                .contains("contains '/'") == true)
        let orphan = try Metric.custom(name: "orphan", greaterIsBetter: nil, dependencies: ["missing"]) { _ in MetricValue() }
        let message = await errorMessage {
            _ = try await evaluate(data, predictions: "predictions", extraMetrics: [orphan])
        }
        #expect(message?.contains("orphan needs missing") == true)
    }

    @Test func extraAggregationsAreAddedWhereAsked() async throws {
        var configuration = EvaluationConfiguration()
        configuration.extraAggregations = [.median, .min, .max]
        let series = try Metric.perRow(name: "series", greaterIsBetter: true) { row in RowScore(Double(row.row.number * row.row.number)) }
        let data = Dataset(columns: ["inputs", "predictions"], rows: (1...4).map { _ in ["q", "p"] })
        let result = try await evaluate(
            data, predictions: "predictions", extraMetrics: [series, .tokenCount], configuration: configuration)
        // Scores 1, 4, 9, 16: the median is the mean of the middle pair.
        #expect(result.metrics["series/median"] == 6.5)
        #expect(result.metrics["series/min"] == 1)
        #expect(result.metrics["series/max"] == 16)
        #expect(result.metrics["series/mean"] == 7.5)
        #expect(!result.metricKeys.contains { $0.hasPrefix("token_count") }, "token_count stays without aggregates")
    }

    @Test func staticLatencyIsZeroAndComesFirst() async throws {
        let result = try await evaluate(
            Self.qa, targets: "ground_truth", predictions: "predictions", extraMetrics: [.exactMatch, .latency])
        #expect(result.table.columns.last == "latency")
        #expect(result.metrics["latency/mean"] == 0)
        #expect(try result.table.column("latency") == [0.0, 0.0, 0.0])
        #expect(result.metricKeys.first == "latency/mean")
    }

    @Test func aLiveModelsFailedRowsAreRecordedAndLeftOut() async throws {
        struct Upstream: Error, CustomStringConvertible { var description: String { "upstream said 503" } }
        let model = ClosureModel("echo-or-fail") { row in
            if row["inputs"].text.contains("France") { throw Upstream() }
            return ModelResponse(output: row["ground_truth"])
        }
        let result = try await evaluate(
            Self.qa, model: model, targets: "ground_truth", extraMetrics: [.exactMatch, .latency])
        #expect(result.failedRows == 1)
        #expect(result.metrics["exact_match/v1"] == 1)
        #expect(result.table.columns == ["inputs", "predictions", "ground_truth", "outputs", "error", "cached", "latency"])
        let errors = try #require(try result.table.column("error"))
        #expect(errors == [.null, "upstream said 503", .null])
        #expect(result.unscoredRows["exact_match/v1"] == 1)
        #expect(result.model == "echo-or-fail")
    }

    /// Three samples per row: all right on the first row, one of three on the second, none on the
    /// third (and one failed call there, which pass@k leaves out of that row).
    @Test func repeatedSamplesReportPassAtKAndTheirSpread() async throws {
        let right: [[Bool]] = [[true, true, true], [true, false, false], [false, false, false]]
        let model = ClosureModel("sampler") { row in
            if row.number == 3, row.sample == 2 { throw AssayError.internal("HTTP 503") }
            let correct = right[row.number - 1][row.sample]
            return ModelResponse(output: correct ? row["ground_truth"] : "wrong")
        }
        var configuration = EvaluationConfiguration()
        configuration.repeats = 3
        let result = try await evaluate(
            Self.qa, model: model, targets: "ground_truth", extraMetrics: [.exactMatch, Metric.rouge("rouge1")!],
            configuration: configuration)
        #expect(result.rowCount == 9)
        // The third row has two valid samples, fewer than k = 3: pass@3 and pass^3 are over two rows.
        #expect(result.metrics["exact_match/v1/pass@3"] == 1)
        #expect(result.metrics["exact_match/v1/pass^3"] == 0.5)
        #expect(abs(result.metrics["exact_match/v1/sample_std_mean"]! - (2.0 / 9).squareRoot() / 3) < 1e-12)
        #expect(result.metrics["rouge1/v1/sample_std_mean"] != nil)
        #expect(result.metrics["rouge1/v1/pass@3"] == nil, "ROUGE is not pass/fail")

        configuration.passK = 2
        let two = try await evaluate(
            Self.qa, model: model, targets: "ground_truth", extraMetrics: [.exactMatch], configuration: configuration)
        // pass@2 per row: 1, 1 − C(2,2)/C(3,2) = 2/3, 0 (two failing samples); pass^2: 1, 0, 0.
        #expect(abs(two.metrics["exact_match/v1/pass@2"]! - (1 + 2.0 / 3 + 0) / 3) < 1e-12)
        #expect(abs(two.metrics["exact_match/v1/pass^2"]! - 1.0 / 3) < 1e-12)
    }

    @Test func largeEvaluationsSpillToDiskAndReadBackInOrder() async throws {
        let count = 25_000
        let data = Dataset(
            columns: ["inputs", "targets", "predictions"],
            rows: (0..<count).map { i in
                [.string("q\(i)"), .string("answer \(i % 7)"), .string("answer \(i % 5)")]
            })
        let result = try await evaluate(
            data, targets: "targets", predictions: "predictions", extraMetrics: [.exactMatch, Metric.rouge("rouge1")!])
        #expect(result.rowCount == count)
        #expect(result.table.rowCount == count)
        let expectedMatches = (0..<count).filter { $0 % 7 == $0 % 5 }.count
        #expect(abs(result.metrics["exact_match/v1"]! - Double(expectedMatches) / Double(count)) < 1e-12)
        var index = 0
        try result.table.forEachRow { row in
            #expect(row[0] == .string("q\(index)"))
            #expect(row[3] == .double(index % 7 == index % 5 ? 1 : 0.5))
            index += 1
        }
        #expect(index == count)
    }

    @Test func jsonOutputHasMLflowsShape() async throws {
        let folder = try TemporaryFolder()
        let data = Dataset(
            columns: ["inputs", "targets", "predictions"],
            rows: [
                ["a/b", "x", "x"], ["c", "y", .int(3)],
            ])
        let result = try await evaluate(data, targets: "targets", predictions: "predictions", extraMetrics: [.tokenCount, .exactMatch])
        let path = folder.path("out.json")
        try result.write(to: path)
        #expect(throws: AssayError.self, "a folder is not replaced") { try result.write(to: folder.url.path) }
        #expect(FileManager.default.fileExists(atPath: path), "and what it holds is kept")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\"a\\/b\""))
        #expect(text.contains("\"token_count\"],\"data\":[[\"a\\/b\",\"x\",\"x\",1.0],[\"c\",\"y\",3,null]]"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let metrics = try #require(object["metrics"] as? [String: Double])
        #expect(metrics == ["exact_match/v1": 0.5])
        let table = try #require(object["eval_results_table"] as? [String: Any])
        #expect(table["columns"] as? [String] == ["inputs", "targets", "predictions", "token_count"])
        #expect(!FileManager.default.fileExists(atPath: folder.path("missing/out.json")))
        #expect(await errorMessage { try result.write(to: folder.path("missing/out.json")) } != nil)
    }

    @Test func tokenizerMatchesKnownTiktokenIDs() throws {
        let tokenizer = try BPETokenizer.cl100kBase()
        #expect(tokenizer.encode("hello world") == [15339, 1917])
        #expect(tokenizer.count("<|endoftext|>") > 1)
        #expect(tokenizer.count("") == 0)
    }

    /// Long pieces without spaces (where byte-pair merging used to take quadratic time), with counts from
    /// tiktoken 0.14 over the same rank file.
    @Test func longPiecesCountAsTiktokenDoes() throws {
        let tokenizer = try BPETokenizer.cl100kBase()
        func text(_ count: Int, _ scalar: (Int) -> Int) -> String {
            var view = String.UnicodeScalarView()
            for i in 0..<count { view.append(Unicode.Scalar(UInt32(scalar(i)))!) }
            return String(view)
        }
        let cjk = text(20000) { (i: Int) -> Int in 0x4E00 + (i * 7919) % 20000 }
        let letters = text(50000) { (i: Int) -> Int in 97 + (i * 31 + i / 7) % 26 }
        let digits = text(30000) { (i: Int) -> Int in 48 + (i * 7) % 10 }
        #expect(tokenizer.count(String(repeating: "x", count: 80000)) == 10000)
        #expect(tokenizer.count(cjk) == 46648)
        #expect(tokenizer.count(letters) == 26372)
        #expect(tokenizer.count(digits) == 10000)
        #expect(tokenizer.count(String(repeating: "Tokenization of averylongwordwithoutanyspacesatall ", count: 2000)) == 26001)
    }
}
