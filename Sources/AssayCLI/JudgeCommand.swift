import ArgumentParser
import Assay
import AssayProviders
import Foundation

/// `assay judge`: tools for LLM judges.
struct JudgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "judge", abstract: "Work with LLM judges.", subcommands: [CalibrateCommand.self])
}

/// `assay judge calibrate`: how far a judge agrees with human scores.
struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Compare a judge's scores with human scores on the same rows.",
        discussion: """
            LABELS is a dataset whose rows hold what the judge reads (inputs,
            outputs, targets or context) and a human score. Example:

              assay judge calibrate --judge openai:/gpt-4o-mini \\
                --metrics answer_correctness --targets ground_truth \\
                --labels examples/judge-labels.jsonl

            Only the judge options of the live-model group apply here.
            """)

    @Option(help: "The judge metric: a built-in judge's name (answer_correctness, ...) or a judge definition file.")
    var metrics: String

    @Option(help: "The dataset with human scores.")
    var labels: String

    @Option(help: "The column with the human scores.")
    var humanScore = "human_score"

    @Option(help: "The column with the outputs being judged.")
    var predictions = "outputs"

    @Option(help: "The column with the ground truth, for judges that read targets.")
    var targets: String?

    @Option(help: "The column with the inputs.")
    var inputs = "inputs"

    @Option(name: .customLong("col-map"), help: "Map a judge argument to a column, as argument=column (repeatable).")
    var columnMappings: [String] = []

    @OptionGroup(title: "Judge model")
    var live: ModelOptions

    func validate() throws {
        guard live.model == nil, live.modelSpec == nil else {
            throw ValidationError("calibrate judges stored outputs; give the judge with --judge, not --model")
        }
        guard live.judge != nil else { throw ValidationError("give the judge model with --judge URI") }
    }

    func run() async throws {
        var configuration = EvaluationConfiguration()
        configuration.inputsColumn = inputs
        configuration.concurrency = live.concurrency
        configuration.judgeRepeats = live.judgeRepeats
        for mapping in columnMappings {
            let parts = mapping.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw AssayError.invalidInput("--col-map '\(mapping)' must look like argument=column") }
            configuration.columnMapping[parts[0]] = parts[1]
        }
        let isFile = [".yaml", ".yml", ".json"].contains { metrics.lowercased().hasSuffix($0) }
        let definitions = isFile ? try JudgeDefinition.load(metrics) : []
        guard definitions.count <= 1 else { throw AssayError.invalidInput("\(metrics): calibrate one judge at a time") }
        let models = try live.makeModels(inputsColumn: inputs, needsJudges: true)
        configuration.judge = models.defaultJudge
        let metric: Metric
        if let definition = definitions.first {
            guard let judgeModel = try models.judges?.model(for: definition) ?? models.defaultJudge else {
                throw AssayError.invalidInput("judge \(definition.name) names no model: give --judge URI")
            }
            metric = .judge(definition, model: judgeModel, repeats: live.judgeRepeats)
        } else {
            guard BuiltinJudges.named(metrics) != nil else {
                throw AssayError.invalidInput(
                    "'\(metrics)' is not a judge; built-in judges: \(BuiltinJudges.all.map(\.name).joined(separator: ", "))")
            }
            metric = try Metric.named(metrics, configuration: configuration)
        }
        guard let scale = metric.judgeDefinition?.scale else { throw AssayError.internal("not a judge metric") }

        let dataset = try Dataset(contentsOf: labels)
        let result: EvaluationResult
        do {
            result = try await evaluate(
                dataset, targets: targets, predictions: predictions, extraMetrics: [metric], configuration: configuration)
        } catch {
            await models.shutdown()
            throw error
        }
        await models.shutdown()

        guard let judged = try result.table.column("\(metric.info.key)/score"),
            let human = try result.table.column(humanScore)
        else {
            throw AssayError.invalidInput("\(labels): no column '\(humanScore)' with human scores; name it with --human-score")
        }
        var pairs: [(Double, Double)] = []
        var invalid = 0
        var unlabelled = 0
        for (h, j) in zip(human, judged) {
            guard let humanValue = h.doubleValue ?? h.stringValue.flatMap(Double.init) else {
                unlabelled += 1
                continue
            }
            guard let judgeValue = j.doubleValue else {
                invalid += 1
                continue
            }
            pairs.append((humanValue, judgeValue))
        }
        let report = CalibrationReport(human: pairs.map(\.0), judge: pairs.map(\.1), scale: scale)
        print(
            Self.render(report, judge: models.defaultJudge?.identifier ?? "", metric: metric.info, invalid: invalid, unlabelled: unlabelled)
        )
    }

    static func render(_ report: CalibrationReport, judge: String, metric: MetricInfo, invalid: Int, unlabelled: Int) -> String {
        func number(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "n/a" }
        var out: [String] = [
            "Calibration of \(metric.key) (scale \(metric.scale.label)) judged by \(judge)",
            "Rows compared: \(report.pairs)" + (invalid > 0 ? "; \(invalid) invalid judge answers left out" : "")
                + (unlabelled > 0 ? "; \(unlabelled) rows without a human score left out" : ""),
        ]
        guard report.pairs > 0 else {
            out.append("No rows to compare: every row lacked a human score or a valid judge answer.")
            return out.joined(separator: "\n")
        }
        out += [
            "",
            TextTable.render(
                [
                    ["statistic", "value", "reads as"],
                    ["exact agreement", number(report.exactAgreement), "share of rows where judge and human gave the same score"],
                    [
                        "weighted kappa", number(report.weightedKappa),
                        "1 perfect, 0 chance level, below 0 worse than chance (quadratic weights)",
                    ],
                    ["Spearman rho", number(report.spearman), "1 same ranking, 0 unrelated, -1 reversed"],
                    ["mean absolute error", number(report.meanAbsoluteError), "average distance in scale points"],
                ], maxWidth: 80),
        ]
        if !report.levels.isEmpty {
            out.append("")
            out.append("Confusion matrix (rows: human score, columns: judge score):")
            var rows = [["human \\ judge"] + report.levels.map(String.init)]
            for (level, counts) in zip(report.levels, report.confusion) { rows.append([String(level)] + counts.map(String.init)) }
            out.append(TextTable.render(rows))
        }
        return out.joined(separator: "\n")
    }
}
