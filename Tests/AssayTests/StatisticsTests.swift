import Assay
import Foundation
import Testing

/// The comparison statistics against SciPy and statsmodels (`scripts/make-stats-reference` wrote the
/// fixture), and the comparison of runs built on them.
@Suite struct StatisticsTests {
    struct Reference: Decodable {
        struct Paired: Decodable {
            let name: String
            let baseline: [Double]
            let candidate: [Double]
            let difference: Double
            let p_value: Double
            let p_exact: Bool
            let interval: [Double]
        }
        struct Binary: Decodable {
            let name: String
            let baseline: [Int]
            let candidate: [Int]
            let p_value: Double
        }
        struct Holm: Decodable {
            let p: [Double]
            let adjusted: [Double]
        }
        let resamples: Int
        let paired: [Paired]
        let mcnemar: [Binary]
        let holm: Holm
        let normal_quantiles: [[Double]]
    }

    static func reference() throws -> Reference {
        let url = try #require(Bundle.module.url(forResource: "stats-reference", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    /// Exact p-values (every sign pattern) match SciPy's to rounding; Monte-Carlo ones within four of
    /// their standard errors (two independent estimates of 10,000 draws each); BCa interval ends within
    /// 6% of the interval's width (the Monte-Carlo error of a 2.5% quantile of 10,000 draws is about 1%).
    @Test func pairedTestsMatchSciPy() throws {
        let reference = try Self.reference()
        for (k, c) in reference.paired.enumerated() {
            let clusters = Statistics.Clusters(zip(c.baseline, c.candidate).map { $1 - $0 })
            #expect(abs(clusters.mean - c.difference) < 1e-12, "\(c.name)")
            var random = SeededRandom(seed: UInt64(k))
            let p = Statistics.signFlipPValue(clusters, resamples: reference.resamples, random: &random)
            if c.p_exact {
                #expect(abs(p - c.p_value) < 1e-12, "\(c.name): \(p) against SciPy's \(c.p_value)")
            } else {
                let pooled = max(c.p_value, 1.0 / Double(reference.resamples))
                let tolerance = 4 * (2 * pooled * (1 - pooled) / Double(reference.resamples)).squareRoot() + 2 / Double(reference.resamples)
                #expect(abs(p - c.p_value) <= tolerance, "\(c.name): \(p) against SciPy's \(c.p_value) (±\(tolerance))")
            }
            let interval = try #require(Statistics.bootstrapInterval(clusters, resamples: reference.resamples, random: &random))
            let width = c.interval[1] - c.interval[0]
            #expect(abs(interval.lowerBound - c.interval[0]) <= 0.06 * width, "\(c.name): \(interval) against SciPy's \(c.interval)")
            #expect(abs(interval.upperBound - c.interval[1]) <= 0.06 * width, "\(c.name): \(interval) against SciPy's \(c.interval)")
        }
    }

    @Test func mcNemarHolmAndNormalMatchTheReferences() throws {
        let reference = try Self.reference()
        for c in reference.mcnemar {
            let onlyA = zip(c.baseline, c.candidate).count { $0 == 1 && $1 == 0 }
            let onlyB = zip(c.baseline, c.candidate).count { $0 == 0 && $1 == 1 }
            let p = Statistics.mcNemarPValue(onlyBaseline: onlyA, onlyCandidate: onlyB)
            #expect(abs(p - c.p_value) <= 1e-12 * max(1, c.p_value), "\(c.name): \(p) against statsmodels' \(c.p_value)")
        }
        for (p, q) in zip(Statistics.holm(reference.holm.p), reference.holm.adjusted) { #expect(abs(p - q) < 1e-15) }
        for pair in reference.normal_quantiles {
            let q = Statistics.normalQuantile(pair[0])
            #expect(abs(q - pair[1]) <= 1e-13 * max(1, abs(pair[1])), "Φ⁻¹(\(pair[0])) = \(q), SciPy \(pair[1])")
        }
        // A very large table: the log-space sum does not underflow.
        #expect(abs(Statistics.mcNemarPValue(onlyBaseline: 5_000, onlyCandidate: 5_000) - 1) < 1e-9)
        #expect(Statistics.mcNemarPValue(onlyBaseline: 4_700, onlyCandidate: 5_300) < 1e-8)
    }

    /// A row answered k times with the same difference each time is resampled as one: the clustered
    /// interval is the unclustered one of the distinct differences, draw for draw.
    @Test func clustersAreResampledWhole() {
        let differences = (0..<30).map { Double(($0 * 7) % 11) / 10 - 0.3 }
        var clustered = Statistics.Clusters()
        for d in differences { clustered.append(sum: 3 * d, count: 3) }
        var r1 = SeededRandom(seed: 9)
        var r2 = SeededRandom(seed: 9)
        let whole = Statistics.bootstrapInterval(clustered, resamples: 2_000, random: &r1)!
        let distinct = Statistics.bootstrapInterval(Statistics.Clusters(differences), resamples: 2_000, random: &r2)!
        #expect(abs(whole.lowerBound - distinct.lowerBound) < 1e-12 && abs(whole.upperBound - distinct.upperBound) < 1e-12)
        #expect(clustered.isClustered)
        #expect(abs(clustered.standardError! - Statistics.Clusters(differences).standardError!) < 1e-12)
    }

    // MARK: - Comparing runs

    /// A logged table: inputs, outputs, an error column and per-metric scores (nil where unscored, with
    /// a justification where the judge's answer was unreadable).
    static func table(
        inputs: [String], outputs: [String]? = nil, errors: [String?]? = nil, samples: [Int]? = nil, scores: [String: [Double?]],
        invalid: Set<Int> = []
    ) -> LoggedTable {
        let names = scores.keys.sorted()
        var columns = ["inputs", "outputs"]
        if errors != nil { columns.append("error") }
        if samples != nil { columns.append("sample") }
        columns += names.map { $0 + "/score" }
        columns += names.filter { _ in !invalid.isEmpty }.map { $0 + "/justification" }
        let rows = inputs.indices.map { i -> [DataValue] in
            var row: [DataValue] = [.string(inputs[i]), .string(outputs?[i] ?? "answer \(i)")]
            if let errors { row.append(errors[i].map(DataValue.string) ?? .null) }
            if let samples { row.append(.int(samples[i])) }
            row += names.map { scores[$0]![i].map(DataValue.double) ?? .null }
            if !invalid.isEmpty { row += names.map { _ in invalid.contains(i) ? .string("I cannot say") : .null } }
            return row
        }
        return LoggedTable(columns: columns, rows: rows)
    }

    @Test func aClearImprovementIsBetterAndNoiseIsNot() async throws {
        let inputs = (0..<60).map { "question \($0)" }
        var random = SeededRandom(seed: 3)
        let base = inputs.indices.map { _ in Double(random.index(below: 1000)) / 1000 }
        let noise = base.map { min(1, max(0, $0 + Double(random.index(below: 200)) / 1000 - 0.1)) }
        let a = ComparedRun(
            id: "a", name: "baseline",
            table: Self.table(inputs: inputs, scores: ["rouge1/v1": base, "flesch_kincaid_grade_level/v1": base.map { $0 * 10 }]))
        let b = ComparedRun(
            id: "b", name: "candidate",
            table: Self.table(
                inputs: inputs.reversed(),
                scores: [
                    "rouge1/v1": noise.map { $0 + 0.2 }.reversed(), "flesch_kincaid_grade_level/v1": noise.map { $0 * 10 + 3 }.reversed(),
                ]))
        let comparison = try await RunComparison.compare(a, b)
        #expect(comparison.paired && comparison.pairedRows == 60 && comparison.warnings.isEmpty)
        let rouge = try #require(comparison.metric("rouge1/v1"))
        #expect(rouge.verdict == .better && rouge.test == .signFlip)
        #expect(rouge.interval!.contains(rouge.difference!) && rouge.interval!.lowerBound > 0)
        // Rows are paired by input, not by position: the candidate's table is in reverse order.
        #expect(abs(rouge.difference! - 0.2 - (zip(base, noise).map { $1 - $0 }.reduce(0, +) / 60)) < 1e-9)
        // A grade level that rose is worse: lower is better.
        #expect(comparison.metric("flesch_kincaid_grade_level/v1")?.verdict == .worse)
        #expect(rouge.adjustedPValue! >= rouge.pValue!)

        let same = try await RunComparison.compare(
            a,
            ComparedRun(
                id: "c", name: "same",
                table: Self.table(inputs: inputs, scores: ["rouge1/v1": noise, "flesch_kincaid_grade_level/v1": noise.map { $0 * 10 }])))
        #expect(same.metric("rouge1/v1")?.verdict == .noDetectableDifference)
        #expect(same.metric("rouge1/v1")!.minimumDetectableDifference! > 0)
        // The same seed gives the same figures.
        let again = try await RunComparison.compare(a, b)
        #expect(again.metric("rouge1/v1")?.interval == rouge.interval && again.metric("rouge1/v1")?.pValue == rouge.pValue)
    }

    @Test func failedRowsAndInvalidAnswersAreLeftOutAndCounted() async throws {
        let inputs = (0..<10).map { "q\($0)" }
        let a = ComparedRun(
            id: "a", name: "a",
            table: Self.table(
                inputs: inputs, errors: [nil, "HTTP 500", nil, nil, nil, nil, nil, nil, nil, nil],
                scores: ["answer_correctness/v1": [1, nil, 3, nil, 5, 1, 2, 3, 4, 5]], invalid: [3]))
        let b = ComparedRun(
            id: "b", name: "b",
            table: Self.table(inputs: inputs, scores: ["answer_correctness/v1": [2, 2, 3, 4, 5, 2, nil, 3, 4, 5]]))
        let m = try #require(try await RunComparison.compare(a, b).metric("answer_correctness/v1"))
        #expect(m.leftOutErrors == 1 && m.leftOutInvalid == 1 && m.leftOutMissing == 1)
        #expect(m.baselineCount == 7)
        #expect(abs(m.difference! - 2.0 / 7) < 1e-12)
    }

    @Test func zeroOneScoresUseMcNemarAndDifferentDatasetsAreUnpaired() async throws {
        let inputs = (0..<40).map { "q\($0)" }
        let x: [Double?] = inputs.indices.map { $0 % 3 == 0 ? 1 : 0 }
        let y: [Double?] = inputs.indices.map { $0 % 3 == 0 || $0 % 5 == 0 ? 1 : 0 }
        let a = ComparedRun(id: "a", name: "a", table: Self.table(inputs: inputs, scores: ["exact_match/v1": x]))
        let b = ComparedRun(id: "b", name: "b", table: Self.table(inputs: inputs, scores: ["exact_match/v1": y]))
        let m = try #require(try await RunComparison.compare(a, b).metric("exact_match/v1"))
        #expect(m.test == .mcNemar)
        #expect(m.discordant!.onlyBaseline == 0 && m.discordant!.onlyCandidate == 5)
        #expect(abs(m.pValue! - 2 * pow(0.5, 5)) < 1e-12)

        let other = ComparedRun(
            id: "c", name: "c", datasetDigests: ["beef"], table: Self.table(inputs: inputs.map { $0 + "?" }, scores: ["exact_match/v1": y]))
        let unpaired = try await RunComparison.compare(a, other)
        #expect(!unpaired.paired && unpaired.metrics[0].test == .unpairedPermutation)
        #expect(unpaired.warnings.contains { $0.contains("different datasets") })
    }

    /// With repeats, rows pair by input and sample, and a row's samples are resampled together.
    @Test func repeatedSamplesPairBySampleAndClusterByRow() async throws {
        let inputs = (0..<20).flatMap { i in ["q\(i)", "q\(i)", "q\(i)"] }
        let samples = inputs.indices.map { $0 % 3 }
        let x: [Double?] = inputs.indices.map { Double($0 % 7) / 7 }
        let y: [Double?] = inputs.indices.map { Double($0 % 7) / 7 + ($0 % 3 == 0 ? 0.1 : 0) }
        let a = ComparedRun(id: "a", name: "a", table: Self.table(inputs: inputs, samples: samples, scores: ["rouge1/v1": x]))
        let b = ComparedRun(id: "b", name: "b", table: Self.table(inputs: inputs, samples: samples, scores: ["rouge1/v1": y]))
        let comparison = try await RunComparison.compare(a, b)
        #expect(comparison.pairedRows == 60)
        let m = try #require(comparison.metric("rouge1/v1"))
        #expect(abs(m.difference! - 0.1 / 3) < 1e-12)
        #expect(m.test == .signFlip)
    }

    @Test func unknownKeysAndMetricsNameWhatIsThere() async throws {
        let t = Self.table(inputs: ["a", "b"], scores: ["rouge1/v1": [1, 0]])
        let run = ComparedRun(id: "a", name: "a", table: t)
        var options = RunComparison.Options()
        options.keyColumns = ["question"]
        await #expect { try await RunComparison.compare(run, run, options: options) } throws: { error in
            "\(error)".contains("key column 'question'") && "\(error)".contains("'inputs'")
        }
        options = RunComparison.Options()
        options.metrics = ["bleu/v1"]
        await #expect { try await RunComparison.compare(run, run, options: options) } throws: { error in
            "\(error)".contains("bleu/v1") && "\(error)".contains("rouge1/v1")
        }
    }
}
