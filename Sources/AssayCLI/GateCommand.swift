import ArgumentParser
import Assay
import Foundation

/// `assay gate`: pass or fail a run in CI on thresholds and on regressions against a baseline.
struct GateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Pass or fail a run: metric thresholds, and no significant regression against a baseline.",
        discussion: """
            Exit status 0 when every condition holds, 1 when one fails (the reason is printed per \
            condition), 2 for bad input. A regression means significantly worse (after Holm's \
            correction across the compared metrics, as `assay compare` reports), not merely lower. \
            Example:

              assay gate 9f1c --baseline 3554 \\
                --require 'answer_correctness/v1/mean >= 4' --no-regression rougeL/v1 \\
                --junit gate.xml --markdown gate.md
            """)

    @Argument(help: "The run to check (id, unique id prefix, or name).")
    var run: String

    @Option(help: "The baseline run for --no-regression (id, unique id prefix, or name).")
    var baseline: String?

    @Option(
        name: .customLong("no-regression"),
        help:
            "A metric that must not be significantly worse than in the baseline, as rougeL/v1 (repeatable; 'all' for every metric with a direction)."
    )
    var noRegression: [String] = []

    @OptionGroup(title: "Conditions and reports") var gate: GateOptions
    @OptionGroup(title: "Statistics") var statistics: ComparisonOptions
    @OptionGroup var tracking: TrackingOptions

    func validate() throws {
        if !noRegression.isEmpty, baseline == nil { throw ValidationError("--no-regression needs --baseline RUN") }
        if noRegression.isEmpty, gate.require.isEmpty, baseline == nil {
            throw ValidationError("give a condition: --require 'METRIC OP NUMBER' or --baseline RUN with --no-regression METRIC")
        }
    }

    func run() async throws {
        try await tracking.using { connection in
            let (store, artifacts) = try await connection.open()
            let checked = try await store.run(named: run)
            var comparison: RunComparison?
            var conditions = try gate.conditions()
            if let baseline {
                let base = try await ComparedRun.load(try await store.run(named: baseline), artifacts: artifacts)
                let candidate = try await ComparedRun.load(checked, artifacts: artifacts)
                comparison = try await RunComparison.compare(base, candidate, options: statistics.options)
                // A baseline without named metrics: no metric may regress.
                conditions += (noRegression.isEmpty ? ["all"] : noRegression).map(GateCondition.noRegression)
            }
            var metrics: [String: Double] = [:]
            for point in checked.metrics { metrics[point.key] = point.value }
            let report = try GateReport(conditions, run: (checked.info.id, checked.info.name), metrics: metrics, comparison: comparison)
            try gate.finish(report)
        }
    }
}

/// Gate conditions on a run's aggregate metrics and the reports of the outcome, shared by `assay gate`
/// and `assay evaluate`.
struct GateOptions: ParsableArguments {
    @Option(help: "A condition on the run's metrics, as 'METRIC OP NUMBER' with OP one of >=, <=, >, <, ==, != (repeatable).")
    var require: [String] = []

    @Option(help: "Write the gate's outcome as JUnit XML (one test case per condition) to this file.")
    var junit: String?

    @Option(help: "Write the gate's outcome as a Markdown summary (for a pull-request comment) to this file.")
    var markdown: String?

    func validate() throws {
        for requirement in require {
            do { _ = try GateCondition(requirement) } catch { throw ValidationError("--require: \(error)") }
        }
    }

    func conditions() throws(AssayError) -> [GateCondition] {
        try require.map { requirement throws(AssayError) in try GateCondition(requirement) }
    }

    /// Prints the outcome per condition, writes the reports, and fails (exit 1) when a condition failed.
    func finish(_ report: GateReport) throws {
        print("\nGate for run \(report.run.name) (\(report.run.id.isEmpty ? "not recorded" : String(report.run.id.prefix(8)))):")
        for outcome in report.outcomes { print("  \(outcome.passed ? "pass" : "FAIL")  \(outcome.condition): \(outcome.message)") }
        if let comparison = report.comparison { for warning in comparison.warnings { print("  warning: \(warning)") } }
        if let junit { try write(report.junitXML, to: junit) }
        if let markdown { try write(report.markdown, to: markdown) }
        let failed = report.outcomes.count { !$0.passed }
        print(failed == 0 ? "Gate passed." : "Gate failed: \(failed) of \(report.outcomes.count) conditions do not hold.")
        if failed > 0 { throw ExitCode(1) }
    }

    private func write(_ text: String, to path: String) throws {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw AssayError.invalidInput("\(path): cannot write the gate report: \(error.localizedDescription)")
        }
    }
}
