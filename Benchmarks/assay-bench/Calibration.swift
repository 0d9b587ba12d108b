import ArgumentParser
import Assay
import Foundation

/// Whether the comparison statistics say what they claim, by simulation: on pairs of runs with no
/// true difference, the share called significant at 0.05 should be near 5% (3–7% for 1,000 pairs);
/// on pairs with a known difference, the 95% interval should cover it near 95% of the time (93–97%).
///
///     swift run -c release assay-bench calibration --simulations 1000 --rows 100
struct Calibration: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibration", abstract: "False-positive rate and interval coverage of assay compare, by simulation.")

    @Option(help: "Simulated pairs of runs per scenario.") var simulations = 1_000
    @Option(help: "Rows per run.") var rows = 100
    @Option(help: "Bootstrap and permutation resamples per comparison.") var resamples = 10_000
    @Option(help: "The seed of the simulation.") var seed: UInt64 = 1

    /// One scenario: how a pair of runs is drawn, and the true mean difference.
    struct Scenario: Sendable {
        let name: String
        let trueDifference: Double
        let metric: String
        /// Repeats per row (samples of the model).
        let samples: Int
        let draw: @Sendable (inout SeededRandom, Int) -> (baseline: [Double], candidate: [Double])
    }

    func run() async throws {
        let rows = rows
        let scenarios = [
            Scenario(name: "no difference, scores in 0..1", trueDifference: 0, metric: "rouge1/v1", samples: 1) { random, n in
                let means = (0..<n).map { _ in Self.uniform(&random) }
                return (
                    means.map { min(1, max(0, $0 + 0.2 * Self.normal(&random))) },
                    means.map { min(1, max(0, $0 + 0.2 * Self.normal(&random))) }
                )
            },
            Scenario(name: "no difference, 0/1 scores (McNemar)", trueDifference: 0, metric: "exact_match/v1", samples: 1) { random, n in
                let p = (0..<n).map { _ in Self.uniform(&random) }
                return (p.map { Self.uniform(&random) < $0 ? 1 : 0 }, p.map { Self.uniform(&random) < $0 ? 1 : 0 })
            },
            Scenario(name: "no difference, 1..5 judge scores", trueDifference: 0, metric: "answer_correctness/v1", samples: 1) {
                random, n in
                let base = (0..<n).map { _ in 1 + Double(random.index(below: 5)) }
                func nudge(_ s: Double, _ random: inout SeededRandom) -> Double { min(5, max(1, s + Double(random.index(below: 3)) - 1)) }
                return (base.map { nudge($0, &random) }, base.map { nudge($0, &random) })
            },
            Scenario(name: "no difference, 3 samples per row, row effects", trueDifference: 0, metric: "rouge1/v1", samples: 3) {
                random, n in
                var a: [Double] = []
                var b: [Double] = []
                for _ in 0..<n {
                    let mean = Self.uniform(&random)
                    // The candidate is better or worse on a row by the same amount in every sample.
                    let rowEffect = 0.15 * Self.normal(&random)
                    for _ in 0..<3 {
                        a.append(mean + 0.05 * Self.normal(&random))
                        b.append(mean + rowEffect + 0.05 * Self.normal(&random))
                    }
                }
                return (a, b)
            },
            // p + 0.1 capped at 1, for p uniform on 0..1: a true difference of 0.1 − 0.005.
            Scenario(name: "difference +0.095, 0/1 scores", trueDifference: 0.095, metric: "exact_match/v1", samples: 1) { random, n in
                let p = (0..<n).map { _ in Self.uniform(&random) }
                return (p.map { Self.uniform(&random) < $0 ? 1 : 0 }, p.map { Self.uniform(&random) < min(1, $0 + 0.1) ? 1 : 0 })
            },
            Scenario(name: "difference +0.05, skewed noise", trueDifference: 0.05, metric: "rouge1/v1", samples: 1) { random, n in
                let base = (0..<n).map { _ in Self.uniform(&random) }
                // Exponential noise with mean 0: a long right tail.
                return (base, base.map { $0 + 0.05 + 0.2 * (-log(1 - Self.uniform(&random)) - 1) })
            },
            Scenario(
                name: "difference -2 grade levels, normal noise", trueDifference: -2, metric: "flesch_kincaid_grade_level/v1", samples: 1
            ) {
                random, n in
                let base = (0..<n).map { _ in 8 + 3 * Self.normal(&random) }
                return (base, base.map { $0 - 2 + 4 * Self.normal(&random) })
            },
        ]
        print("\(simulations) simulated pairs of runs per scenario, \(rows) rows each, \(resamples) resamples, seed \(seed)\n")
        print("scenario                                         significant  interval covers truth   seconds")
        for scenario in scenarios {
            let start = ContinuousClock.now
            let (significant, covered) = try await simulate(scenario, rows: rows)
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let share = { (count: Int) in String(format: "%5.1f%%", 100 * Double(count) / Double(simulations)) }
            print(
                scenario.name.padding(toLength: 49, withPad: " ", startingAt: 0)
                    + share(significant).padding(toLength: 13, withPad: " ", startingAt: 0)
                    + share(covered).padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: "%.1f", seconds))
        }
        print("\nTargets: with no difference, 3–7% significant; with a known difference, 93–97% coverage.")
    }

    private func simulate(_ scenario: Scenario, rows: Int) async throws -> (significant: Int, covered: Int) {
        let (simulations, resamples, seed) = (simulations, resamples, seed)
        return try await withThrowingTaskGroup(of: (Bool, Bool).self) { group in
            let width = max(1, ProcessInfo.processInfo.activeProcessorCount)
            var next = 0
            func launch() {
                let index = next
                next += 1
                group.addTask {
                    var random = SeededRandom(seed: seed &+ UInt64(index), stream: scenario.name)
                    let (a, b) = scenario.draw(&random, rows)
                    let inputs = (0..<rows).flatMap { i in [String](repeating: "question \(i)", count: scenario.samples) }
                    let samples = (0..<(rows * scenario.samples)).map { $0 % scenario.samples }
                    func table(_ scores: [Double]) -> LoggedTable {
                        var columns = ["inputs", "outputs", scenario.metric + "/score"]
                        if scenario.samples > 1 { columns.insert("sample", at: 2) }
                        return LoggedTable(
                            columns: columns,
                            rows: scores.indices.map { i in
                                scenario.samples > 1
                                    ? [.string(inputs[i]), .string("o"), .int(samples[i]), .double(scores[i])]
                                    : [.string(inputs[i]), .string("o"), .double(scores[i])]
                            })
                    }
                    var options = RunComparison.Options()
                    options.resamples = resamples
                    options.seed = UInt64(index)
                    let comparison = try await RunComparison.compare(
                        ComparedRun(id: "a", name: "a", table: table(a)), ComparedRun(id: "b", name: "b", table: table(b)), options: options
                    )
                    let m = comparison.metrics[0]
                    return (m.verdict != .noDetectableDifference, m.interval?.contains(scenario.trueDifference) ?? false)
                }
            }
            while next < min(width, simulations) { launch() }
            var significant = 0
            var covered = 0
            while let (isSignificant, covers) = try await group.next() {
                if isSignificant { significant += 1 }
                if covers { covered += 1 }
                if next < simulations { launch() }
            }
            return (significant, covered)
        }
    }

    static func uniform(_ random: inout SeededRandom) -> Double {
        random.nextUnit()
    }

    /// A standard normal draw (Box–Muller).
    static func normal(_ random: inout SeededRandom) -> Double {
        let u = max(uniform(&random), .leastNonzeroMagnitude)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * uniform(&random))
    }
}
