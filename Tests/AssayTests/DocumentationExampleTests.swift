import Assay
import Testing

/// The README's library example, as written there, with the values its comments state.
@Suite struct DocumentationExampleTests {
    @Test func readmeLibraryExample() async throws {
        let data = Dataset(
            columns: ["inputs", "ground_truth", "predictions"],
            rows: [
                ["What is Swift?", "A programming language by Apple.", "Swift is a programming language made by Apple."],
                ["Capital of France?", "Paris", "Paris"],
            ])
        let mentionsApple = try Metric.perRow(name: "mentions_apple", greaterIsBetter: true, scale: .unitInterval) { row in
            RowScore(row.prediction.text.contains("Apple") ? 1 : 0)
        }
        let result = try await evaluate(
            data, targets: "ground_truth", predictions: "predictions",
            modelType: .questionAnswering, extraMetrics: [.bleu, Metric.rouge("rougeL")!, mentionsApple])
        #expect(result.metrics["exact_match/v1"]! == 0.5)
        #expect(result.metrics["mentions_apple/mean"]! == 0.5)
        let table = result.tables["eval_results_table"]!
        #expect(table.columns.first == "inputs")
        #expect(table.columns.last == "mentions_apple/score")
        #expect(try table.rows(limit: 2).count == 2)
    }

    @Test func gettingStartedDerivedMetric() async throws {
        let data = Dataset(columns: ["inputs", "ground_truth", "predictions"], rows: [["q", "a b c", "a b d"]])
        let rougeGap = try Metric.custom(name: "rouge_gap", greaterIsBetter: nil, dependencies: ["rouge1", "rouge2"]) { frame in
            let one = frame.metrics["rouge1/v1"]!.scores, two = frame.metrics["rouge2/v1"]!.scores
            return MetricValue(scores: zip(one, two).map { a, b in a.flatMap { a in b.map { a - $0 } } })
        }
        let result = try await evaluate(
            data, targets: "ground_truth", predictions: "predictions",
            extraMetrics: [Metric.rouge("rouge1")!, Metric.rouge("rouge2")!, rougeGap])
        // rouge1 = 2/3, rouge2 = 1/2.
        #expect(abs(result.metrics["rouge_gap/mean"]! - (2.0 / 3.0 - 0.5)) < 1e-12)
    }
}
