import Assay
import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Gate conditions and their reports, in the library.
@Suite struct GateTests {
    @Test func conditionsParseAndSayWhatIsWrong() throws {
        #expect(try GateCondition("answer_correctness/v1/mean >= 4").kind == .threshold(key: "answer_correctness/v1/mean", .atLeast, 4))
        #expect(try GateCondition("toxicity/v1/mean<0.1").kind == .threshold(key: "toxicity/v1/mean", .less, 0.1))
        #expect(try GateCondition("exact_match/v1 = 1").kind == .threshold(key: "exact_match/v1", .equal, 1))
        for bad in ["exact_match/v1", ">= 4", "x >= four", "x >= nan", "x >= 1e999"] {
            #expect(throws: AssayError.self, "\(bad)") { try GateCondition(bad) }
        }
    }

    @Test func aMetricNoLongerScoredFailsNoRegressionAndReportsEscape() async throws {
        let inputs = (0..<10).map { "q\($0) <b>|" }
        func table(_ scores: [Double?]) -> LoggedTable {
            LoggedTable(
                columns: ["inputs", "outputs", "answer_correctness/v1/score"],
                rows: inputs.indices.map { [.string(inputs[$0]), "o", scores[$0].map(DataValue.double) ?? .null] })
        }
        let baseline = ComparedRun(id: "a", name: "base", table: table((0..<10).map { Double($0 % 5 + 1) }))
        let candidate = ComparedRun(id: "b", name: "cand <&> \u{1}|", table: table([Double?](repeating: nil, count: 10)))
        let comparison = try await RunComparison.compare(baseline, candidate)
        #expect(comparison.metric("answer_correctness/v1")?.verdict == .notComparable)
        let report = try GateReport(
            [.noRegression("answer_correctness/v1/mean"), try GateCondition("answer_correctness/v1/invalid_count <= 2")],
            run: (candidate.id, candidate.name), metrics: ["answer_correctness/v1/invalid_count": 10], comparison: comparison)
        #expect(!report.passed)
        #expect(report.outcomes.map(\.passed) == [false, false])
        #expect(report.outcomes[0].message.contains("no row is scored in both runs"))
        // The JUnit file is well-formed whatever the names hold, and the Markdown table keeps its cells.
        let parser = XMLParser(data: Data(report.junitXML.utf8))
        #expect(parser.parse(), "\(String(describing: parser.parserError))")
        #expect(report.junitXML.contains("cand &lt;&amp;&gt; ?|"))
        #expect(report.markdown.contains("cand <&> \u{1}\\|"))
        #expect(report.markdown.contains("| answer_correctness/v1/invalid_count <= 2 | ❌ fail |"))
        // A condition on a metric the run does not have is bad input, naming what it has.
        #expect { try GateReport([try GateCondition("rouge1/v1/mean > 0")], run: ("b", "b"), metrics: ["x": 1], comparison: nil) } throws: {
            "\($0)".contains("has no metric rouge1/v1/mean") && "\($0)".contains("x")
        }
        #expect { try GateReport([.noRegression("rouge1/v1")], run: ("b", "b"), metrics: [:], comparison: nil) } throws: {
            "\($0)".contains("needs a baseline")
        }
    }
}
