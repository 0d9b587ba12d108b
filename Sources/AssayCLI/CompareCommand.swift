import ArgumentParser
import Assay
import AssayProviders
import Foundation

/// `assay compare`: is a run better than a baseline, metric by metric, with statistics.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare runs with a baseline: per metric, the change, a 95% interval, a p-value and a verdict.",
        discussion: """
            The first run is the baseline; every other run is compared with it. Rows pair by their inputs \
            and sample number (or --key columns). Per metric with per-row scores: both means, the \
            difference with a paired bootstrap interval (BCa), a p-value (sign-flip permutation test, or \
            exact McNemar for 0/1 scores such as exact_match), Holm's correction across the metrics, and \
            the smallest difference the comparison could have detected (80% power). Example:

              assay compare 3554 9f1c --output-json comparison.json

            With --pairwise-judge, an LLM judge also reads both runs' outputs for each row (in \
            both orders) and says which is better; only the judge options of the live-model group \
            apply:

              assay compare 3554 9f1c --pairwise-judge pairwise_preference \\
                --judge openai:/gemma-3-270m --judge-base-url http://127.0.0.1:8091/v1
            """)

    @Argument(help: "Runs by id, unique id prefix or name: the baseline first, then the runs to compare with it.")
    var runs: [String]

    @Option(
        name: .customLong("metric"),
        help: "Compare only this metric, as rouge1/v1 (repeatable; default: every metric both runs scored per row).")
    var metrics: [String] = []

    @OptionGroup(title: "Statistics") var statistics: ComparisonOptions

    @Option(
        help:
            "A pairwise judge that says which run's output is better per row: pairwise_preference, or a judge file with type: pairwise."
    )
    var pairwiseJudge: String?

    @OptionGroup(title: "Judge model") var live: ModelOptions

    @Option(help: "Write the comparisons as JSON to this file.")
    var outputJSON: String?

    @OptionGroup var tracking: TrackingOptions

    func validate() throws {
        guard runs.count >= 2 else { throw ValidationError("give at least two runs: the baseline and one to compare with it") }
        guard live.model == nil, live.modelSpec == nil else {
            throw ValidationError("compare reads the runs' recorded outputs; give a judge with --judge, not --model")
        }
    }

    /// The pairwise judge asked for, if any.
    func pairwise() throws(AssayError) -> PairwiseJudge? {
        guard let pairwiseJudge else { return nil }
        if [".yaml", ".yml", ".json"].contains(where: { pairwiseJudge.lowercased().hasSuffix($0) }) {
            return try PairwiseJudge.load(pairwiseJudge)
        }
        guard let judge = PairwiseJudge.named(pairwiseJudge) else {
            throw .invalidInput(
                "'\(pairwiseJudge)' is not a pairwise judge; built-in: \(PairwiseJudge.all.map(\.name).joined(separator: ", ")), or give a judge file with type: pairwise"
            )
        }
        return judge
    }

    func run() async throws {
        try await tracking.using { connection in
            let (store, artifacts) = try await connection.open()
            let loaded = try await Self.load(runs, store: store, artifacts: artifacts)
            let judge = try pairwise()
            let models = try judge.map { _ throws(AssayError) in try live.makeModels(inputsColumn: "inputs", needsJudges: true) }
            var judgeModel: (any ChatCompleting)?
            if let judge, let models {
                judgeModel =
                    try judge.model.map { uri throws(AssayError) in
                        try models.judges?.model(uri, proxyURL: judge.proxyURL, extraHeaders: judge.extraHeaders)
                    } ?? models.defaultJudge
                guard judgeModel != nil else {
                    await models.shutdown()
                    throw AssayError.invalidInput("\(judge.key) names no model: give the judge model with --judge URI")
                }
            }
            var comparisons: [RunComparison] = []
            var pairwiseResults: [PairwiseResult] = []
            do {
                for candidate in loaded.dropFirst() {
                    var options = statistics.options
                    options.metrics = metrics.isEmpty ? nil : metrics
                    let comparison = try await RunComparison.compare(loaded[0], candidate, options: options)
                    comparisons.append(comparison)
                    print(Self.report(comparison))
                    if let judge, let judgeModel {
                        let result = try await judge.judge(loaded[0], candidate, model: judgeModel, options: options)
                        pairwiseResults.append(result)
                        print(Self.report(result, candidate: candidate.name))
                    }
                }
            } catch {
                await models?.shutdown()
                throw error
            }
            await models?.shutdown()
            if let outputJSON {
                try RunComparison.write(comparisons, pairwise: pairwiseResults, to: outputJSON)
                print("Wrote \(outputJSON)")
            }
        }
    }

    /// The runs named by id or prefix, with their per-row results.
    static func load(_ ids: [String], store: any TrackingStore, artifacts: any ArtifactRepository) async throws -> [ComparedRun] {
        var loaded: [ComparedRun] = []
        for id in ids { loaded.append(try await ComparedRun.load(try await store.run(named: id), artifacts: artifacts)) }
        return loaded
    }

    /// The comparison as text: who against whom, the pairing, a table of metrics, and the warnings.
    static func report(_ c: RunComparison) -> String {
        var lines = [
            "\(c.candidate.name) (\(c.candidate.id.prefix(8))) against the baseline \(c.baseline.name) (\(c.baseline.id.prefix(8))):"
                + (c.paired
                    ? " \(c.pairedRows) rows paired, \(c.onlyInBaseline) only in the baseline, \(c.onlyInCandidate) only in the candidate"
                    : " unpaired, \(c.onlyInBaseline) and \(c.onlyInCandidate) rows")
                + "; \(c.options.resamples) resamples, seed \(c.options.seed)",
            "",
        ]
        let level = "\(Int((c.options.confidence * 100).rounded()))%"
        var rows = [
            [
                "metric", "baseline", "candidate", "change", "\(level) interval", "p", "p (Holm)", "verdict", "detectable", "left out",
                "test",
            ]
        ]
        for m in c.metrics {
            let verdict: String
            switch m.verdict {
            case .better, .worse: verdict = m.verdict.rawValue + (m.greaterIsBetter == true ? " (higher is better)" : " (lower is better)")
            default: verdict = m.verdict.rawValue
            }
            var leftOut: [String] = []
            if m.leftOutErrors > 0 { leftOut.append("\(m.leftOutErrors) failed") }
            if m.leftOutInvalid > 0 { leftOut.append("\(m.leftOutInvalid) invalid") }
            if m.leftOutMissing > 0 { leftOut.append("\(m.leftOutMissing) unscored") }
            rows.append([
                m.name, m.baselineMean.map(Summary.format) ?? "-", m.candidateMean.map(Summary.format) ?? "-",
                m.difference.map(signed) ?? "-",
                m.interval.map { "[\(signed($0.lowerBound)), \(signed($0.upperBound))]" } ?? "-",
                m.pValue.map { Statistics.format(pValue: $0) } ?? "-",
                m.adjustedPValue.map { Statistics.format(pValue: $0) } ?? "-", verdict,
                m.minimumDetectableDifference.map { "±" + Summary.format($0) } ?? "-",
                leftOut.isEmpty ? "" : leftOut.joined(separator: ", "), m.test.rawValue,
            ])
        }
        lines.append(rows.count == 1 ? "No metric is scored per row by both runs." : TextTable.render(rows, maxWidth: 60))
        for warning in c.warnings { lines.append("warning: \(warning)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The pairwise judge's tally, from the candidate's side.
    static func report(_ r: PairwiseResult, candidate: String) -> String {
        var lines = ["\(r.judge) (judge \(r.model)), each row asked in both orders:"]
        lines.append(
            "  \(candidate) wins \(r.wins), ties \(r.ties), loses \(r.losses) (\(r.rows.count) rows"
                + (r.invalid > 0 ? "; \(r.invalid) with an unreadable answer or a failed call left out" : "")
                + (r.rowsLeftOut > 0 ? "; \(r.rowsLeftOut) rows with a failed model call not asked" : "") + ")")
        if let rate = r.winRate {
            var line = "  win rate \(Summary.format(rate)) (ties count half)"
            if let i = r.interval {
                line +=
                    ", \(Int((r.options.confidence * 100).rounded()))% interval [\(Summary.format(i.lowerBound)), \(Summary.format(i.upperBound))]"
            }
            if let p = r.pValue { line += ", p \(Statistics.format(pValue: p)) against no preference" }
            lines.append(line)
        }
        if let bias = r.positionBias {
            lines.append(
                "  position bias: the same position won both times in \(Int((bias * Double(r.positionBiasRows)).rounded())) of \(r.positionBiasRows) rows (\(Int((bias * 100).rounded()))%)"
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func signed(_ value: Double) -> String {
        (value >= 0 ? "+" : "-") + Summary.format(abs(value))
    }
}

/// How runs are compared: pairing key, resamples, seed and confidence (`assay compare`, `assay gate`).
struct ComparisonOptions: ParsableArguments {
    @Option(name: .customLong("key"), help: "A column whose text pairs the rows (repeatable; default: the inputs column).")
    var keys: [String] = []

    @Option(help: "Bootstrap and permutation resamples per metric.")
    var resamples = 10_000

    @Option(help: "The seed of the resampling draws (the same seed gives the same figures).")
    var seed: UInt64 = 0

    @Option(help: "The confidence level of the intervals.")
    var confidence = 0.95

    func validate() throws {
        guard (100...1_000_000).contains(resamples) else { throw ValidationError("--resamples must be from 100 to 1,000,000") }
        guard confidence > 0, confidence < 1 else { throw ValidationError("--confidence must be between 0 and 1, such as 0.95") }
    }

    var options: RunComparison.Options {
        var options = RunComparison.Options()
        options.resamples = resamples
        options.seed = seed
        options.confidence = confidence
        options.keyColumns = keys.isEmpty ? nil : keys
        return options
    }
}
