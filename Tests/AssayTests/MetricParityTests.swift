import Assay
import Foundation
import Testing

/// Per-row scores against the reference libraries MLflow delegates to, over the whole shared fixture
/// (rouge_score 0.1.2, MLflow's BLEU, sacrebleu 2.6, textstat 0.7.13, tiktoken).
@Suite struct MetricParityTests {
    struct Reference {
        var prediction: String
        var fields: [String: Double]
    }

    static func fixture() throws -> (Dataset, [Reference]) {
        let url = try #require(Bundle.module.url(forResource: "metric-reference", withExtension: "jsonl", subdirectory: "Fixtures"))
        let dataset = try Dataset(contentsOf: url.path)
        var references: [Reference] = []
        for row in try dataset.rows() {
            var fields: [String: Double] = [:]
            for name in row.columns.names { if let v = row[name].doubleValue { fields[name] = v } }
            references.append(Reference(prediction: row["prediction"].text, fields: fields))
        }
        return (dataset, references)
    }

    static func scores(_ column: String, in result: EvaluationResult) throws -> [Double?] {
        let values = try #require(try result.table.column(column), "no column \(column)")
        return values.map(\.doubleValue)
    }

    @Test func textMetricsMatchReferenceWithin1e6() async throws {
        let (dataset, references) = try Self.fixture()
        let metrics: [Metric] = try ["rouge1", "rouge2", "rougeL", "rougeLsum", "bleu", "sacrebleu", "chrf", "ari_grade_level"]
            .map { try Metric.named($0) }
        let result = try await evaluate(dataset, targets: "target", predictions: "prediction", extraMetrics: metrics)
        #expect(result.rowCount == 341)
        let pairs: [(String, String)] = [
            ("rouge1/v1/score", "rouge1"), ("rouge2/v1/score", "rouge2"), ("rougeL/v1/score", "rougeL"),
            ("rougeLsum/v1/score", "rougeLsum"), ("bleu/v1/score", "bleu"), ("sacrebleu/v1/score", "sacrebleu"),
            ("chrf/v1/score", "chrf"), ("ari_grade_level/v1/score", "ari"),
        ]
        for (column, field) in pairs {
            let got = try Self.scores(column, in: result)
            var mismatches: [String] = []
            for (i, reference) in references.enumerated() {
                let expected = try #require(reference.fields[field])
                guard let value = got[i], abs(value - expected) <= 1e-6 else {
                    mismatches.append(
                        "row \(i + 1): got \(got[i].map { "\($0)" } ?? "null"), expected \(expected) for \(reference.prediction.prefix(40).debugDescription)"
                    )
                    continue
                }
            }
            #expect(mismatches.isEmpty, "\(field): \(mismatches.count) rows differ, first: \(mismatches.prefix(3))")
        }
    }

    @Test func tokenCountIsExactOnEveryRow() async throws {
        let (dataset, references) = try Self.fixture()
        let result = try await evaluate(dataset, predictions: "prediction", extraMetrics: [.tokenCount])
        let got = try #require(try result.table.column("token_count"))
        for (i, reference) in references.enumerated() {
            #expect(got[i] == .int(Int(reference.fields["token_count"]!)), "row \(i + 1): \(reference.prediction.prefix(40))")
        }
    }

    @Test func fleschKincaidWithinTolerance() async throws {
        let (dataset, references) = try Self.fixture()
        let result = try await evaluate(dataset, predictions: "prediction", extraMetrics: [.fleschKincaidGradeLevel])
        let got = try Self.scores("flesch_kincaid_grade_level/v1/score", in: result)
        var close = 0
        var exact = 0
        for (i, reference) in references.enumerated() {
            let expected = reference.fields["flesch_kincaid_grade"]!
            let value = try #require(got[i])
            #expect(abs(value - expected) <= 1.0, "row \(i + 1): \(value) vs \(expected)")
            if abs(value - expected) <= 0.05 { close += 1 }
            if abs(value - expected) <= 1e-6 { exact += 1 }
        }
        #expect(Double(close) >= 0.95 * Double(references.count), "only \(close) of \(references.count) within 0.05")
        // With the same CMU dictionary and hyphenation patterns as the reference, every row is exact.
        #expect(exact == references.count, "only \(exact) of \(references.count) within 1e-6")
    }

    @Test func exactMatchAggregateMatchesReference() async throws {
        let (dataset, references) = try Self.fixture()
        let result = try await evaluate(dataset, targets: "target", predictions: "prediction", extraMetrics: [.exactMatch])
        let expected = references.map { $0.fields["exact_match"]! }.reduce(0, +) / Double(references.count)
        #expect(abs(try #require(result.metrics["exact_match/v1"]) - expected) < 1e-12)
    }
}
