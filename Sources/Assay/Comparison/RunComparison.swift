import Foundation

/// One run's side of a comparison: which run it is, the datasets it scored, and its per-row scores.
public struct ComparedRun: Sendable {
    public var id: String
    public var name: String
    /// The digests of the datasets the run logged as inputs (empty when it logged none).
    public var datasetDigests: [String]
    public var table: LoggedTable
    /// Directions of metrics that the built-in catalogue does not know (a run's custom judges).
    public var directions: [String: Bool]

    public init(id: String, name: String, datasetDigests: [String] = [], table: LoggedTable, directions: [String: Bool] = [:]) {
        self.id = id
        self.name = name
        self.datasetDigests = datasetDigests
        self.table = table
        self.directions = directions
    }

    /// A recorded run's side: its evaluation table (`eval_results_table.json`, else the first table it
    /// logged) read from its artifacts, the directions of its custom judges (`genai_custom_metrics.json`),
    /// and `exact_match/v1` per row when the run reported it and the table has targets and outputs
    /// (MLflow logs that metric without a column).
    public static func load(_ run: Run, artifacts: any ArtifactRepository) async throws(AssayError) -> ComparedRun {
        let logged = loggedTables(run)
        let file = logged.first { $0.hasSuffix("eval_results_table.json") } ?? logged.first ?? "eval_results_table.json"
        let data: Data
        do {
            data = try await artifacts.read(file, of: run.info)
        } catch  where error.kind == .notFound {
            throw AssayError(
                .notFound, "run \(run.info.id) (\(run.info.name)) has no per-row results to compare (no \(file) among its artifacts)")
        }
        let table = try LoggedTable(json: data, file: "\(file) of run \(run.info.id)")
        var judges: [JudgeDefinition] = []
        if logged.contains("genai_custom_metrics.json"), let contents = try? await artifacts.read("genai_custom_metrics.json", of: run.info)
        {
            judges = (try? EvaluationResult.judges(fromCustomMetrics: contents, source: "genai_custom_metrics.json")) ?? []
        }
        var metrics: [String: Double] = [:]
        for point in run.metrics { metrics[point.key] = point.value }
        return ComparedRun(
            id: run.info.id, name: run.info.name, datasetDigests: run.inputs.map(\.digest), table: table, metrics: metrics, judges: judges)
    }

    /// An evaluation's side, before (or without) recording it as a run.
    public init(_ result: EvaluationResult, id: String, name: String, datasetDigests: [String] = []) throws {
        let table = result.table
        self.init(
            id: id, name: name, datasetDigests: datasetDigests, table: LoggedTable(columns: table.columns, rows: try table.rows()),
            metrics: result.metrics, judges: result.judges)
    }

    /// A side from a logged table and the run's aggregate metrics: `exact_match/v1` gets per-row scores
    /// when the run reported it and the table has targets and outputs (MLflow logs that metric without
    /// a column), and the judges' definitions give their metrics' directions.
    public init(
        id: String, name: String, datasetDigests: [String], table: LoggedTable, metrics: [String: Double], judges: [JudgeDefinition]
    ) {
        var table = table
        if let reported = metrics["exact_match/v1"], !table.scores.contains(where: { $0.name == "exact_match/v1" }),
            let target = table.targetColumn, let output = table.outputColumn
        {
            let rows = table.rows
            let values = rows.indices.map { i -> Double? in
                table.hasError(i) ? nil : rows[i][target].text == rows[i][output].text ? 1 : 0
            }
            let scored = values.compactMap { $0 }
            // Only when the table's rows reproduce the reported figure: the columns were read right.
            if !scored.isEmpty, abs(scored.reduce(0, +) / Double(scored.count) - reported) < 1e-9 {
                table = table.adding(LoggedTable.Scores(name: "exact_match/v1", column: nil, justification: nil, values: values))
            }
        }
        var directions: [String: Bool] = [:]
        for judge in judges { directions["\(judge.name)/\(judge.version)"] = judge.greaterIsBetter }
        self.init(id: id, name: name, datasetDigests: datasetDigests, table: table, directions: directions)
    }

    /// The tables a run logged (the `mlflow.loggedArtifacts` tag: `[{"path": ..., "type": "table"}]`), in order.
    public static func loggedTables(_ run: Run) -> [String] {
        guard let tag = run.tags.first(where: { $0.key == "mlflow.loggedArtifacts" }),
            case .list(let items)? = try? DataValue(json: tag.value)
        else { return [] }
        return items.compactMap { item in
            guard case .object(let fields) = item, fields["type"]?.stringValue == "table" else { return nil }
            return fields["path"]?.stringValue
        }
    }
}

/// Is the candidate run better than the baseline? Per metric with per-row scores: both means, the
/// difference with a bootstrap confidence interval, a p-value (a paired sign-flip permutation test, or
/// the exact McNemar test for 0/1 scores), Holm's correction across the metrics, a verdict in the
/// metric's direction, and the smallest difference the comparison could have detected.
///
/// Rows pair by their inputs (or chosen key columns) and sample number; a row answered several times
/// (`--repeat`) is resampled with all its samples. Rows with a failed model call or an unreadable judge
/// answer on either side are left out of that metric and counted. Runs that scored different datasets
/// are compared unpaired, with a warning.
///
/// ```swift
/// let a = try await ComparedRun.load(try await store.run(idPrefix: "3554"), artifacts: artifacts)
/// let b = try await ComparedRun.load(try await store.run(idPrefix: "9f1c"), artifacts: artifacts)
/// let comparison = try await RunComparison.compare(a, b)
/// comparison.metrics.first?.verdict   // .better, .worse or .noDetectableDifference
/// ```
public struct RunComparison: Sendable {
    /// How to compare.
    public struct Options: Sendable {
        /// Bootstrap and permutation resamples per metric.
        public var resamples = 10_000
        /// The seed of the resampling draws: the same seed gives the same figures.
        public var seed: UInt64 = 0
        /// The confidence level of the intervals.
        public var confidence = 0.95
        /// The significance level of the verdicts (after Holm's correction).
        public var alpha = 0.05
        /// The power at which the smallest detectable difference is stated.
        public var power = 0.8
        /// Columns whose text pairs the rows (default: the inputs column).
        public var keyColumns: [String]?
        /// Only these metrics (default: every metric both runs scored per row).
        public var metrics: [String]?

        public init() {}
    }

    public let baseline: (id: String, name: String)
    public let candidate: (id: String, name: String)
    /// Whether rows were paired (false when the runs scored different datasets or share no row).
    public let paired: Bool
    /// Rows present in both runs, and in only one.
    public let pairedRows: Int
    public let onlyInBaseline: Int
    public let onlyInCandidate: Int
    /// Things the reader should know: different datasets, rows or metrics in one run only.
    public let warnings: [String]
    public let metrics: [MetricComparison]
    public let options: Options

    /// Compares `candidate` with `baseline`.
    public static func compare(
        _ baseline: ComparedRun, _ candidate: ComparedRun, options: Options = Options()
    ) async throws(AssayError)
        -> RunComparison
    {
        guard (100...1_000_000).contains(options.resamples) else {
            throw .invalidInput("resamples must be from 100 to 1,000,000 (got \(options.resamples))")
        }
        guard options.confidence > 0, options.confidence < 1 else {
            throw .invalidInput("confidence must be between 0 and 1 (got \(options.confidence))")
        }
        guard options.alpha > 0, options.alpha < 1 else { throw .invalidInput("alpha must be between 0 and 1 (got \(options.alpha))") }
        var warnings: [String] = []
        let a = baseline.table
        let b = candidate.table
        let (keysA, groupsA) = try a.pairingKeys(columns: options.keyColumns)
        let (keysB, _) = try b.pairingKeys(columns: options.keyColumns)
        let rowOfB = Dictionary(keysB.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var pairs: [(Int, Int)] = []
        for (i, key) in keysA.enumerated() { if let j = rowOfB[key] { pairs.append((i, j)) } }
        // Digests differ whenever the predictions do (a static evaluation's dataset holds them), so the
        // rows decide: the runs scored the same dataset when most rows of each pair up by their key.
        let differentData = pairs.count * 2 < keysA.count || pairs.count * 2 < keysB.count
        let paired = !differentData
        if differentData {
            let digests =
                Set(baseline.datasetDigests) != Set(candidate.datasetDigests) && !baseline.datasetDigests.isEmpty
                    && !candidate.datasetDigests.isEmpty
                ? " (digests \(baseline.datasetDigests.joined(separator: ", ")) and \(candidate.datasetDigests.joined(separator: ", ")))"
                : ""
            warnings.append(
                "the runs scored different datasets\(digests): only \(pairs.count) of \(keysA.count) and \(keysB.count) rows pair by their key, so they are compared unpaired, which needs a larger difference to tell"
            )
        } else if pairs.count < max(keysA.count, keysB.count) {
            warnings.append(
                "\(keysA.count - pairs.count) rows only in the baseline and \(keysB.count - pairs.count) only in the candidate are left out"
            )
        }
        if paired, let targetA = a.targetColumn, let targetB = b.targetColumn {
            let differing = pairs.count { a.rows[$0.0][targetA] != b.rows[$0.1][targetB] }
            if differing > 0 { warnings.append("\(differing) paired rows have different targets in the two runs") }
        }
        var names = a.scores.map(\.name).filter { name in b.scores.contains { $0.name == name } }
        let onlyA = a.scores.map(\.name).filter { !names.contains($0) }
        let onlyB = b.scores.map(\.name).filter { !names.contains($0) }
        if let wanted = options.metrics {
            for name in wanted where !names.contains(name) {
                throw .invalidInput(
                    "metric '\(name)' is not scored per row by both runs; they share: \(names.isEmpty ? "none" : names.joined(separator: ", "))"
                )
            }
            names = wanted
        } else {
            if !onlyA.isEmpty { warnings.append("only the baseline scored \(onlyA.joined(separator: ", "))") }
            if !onlyB.isEmpty { warnings.append("only the candidate scored \(onlyB.joined(separator: ", "))") }
        }
        let directions = baseline.directions.merging(candidate.directions) { first, _ in first }
        let clusterOf = groupsA
        let pairList = pairs
        var compared = await withTaskGroup(of: (Int, MetricComparison).self) { group in
            for (index, name) in names.enumerated() {
                let scoresA = a.scores.first { $0.name == name }!
                let scoresB = b.scores.first { $0.name == name }!
                let direction = MetricDirection.greaterIsBetter(name) ?? directions[name]
                group.addTask {
                    var random = SeededRandom(seed: options.seed, stream: name)
                    let result =
                        paired
                        ? MetricComparison.paired(
                            name, direction: direction, a: a, scoresA, b: b, scoresB, pairs: pairList, clusterOf: clusterOf,
                            options: options, random: &random)
                        : MetricComparison.unpaired(
                            name, direction: direction, a: a, scoresA, b: b, scoresB, options: options, random: &random)
                    return (index, result)
                }
            }
            var results = [MetricComparison?](repeating: nil, count: names.count)
            for await (index, result) in group { results[index] = result }
            return results.compactMap { $0 }
        }
        let tested = compared.indices.filter { compared[$0].pValue != nil }
        let adjusted = Statistics.holm(tested.map { compared[$0].pValue! })
        for (k, i) in tested.enumerated() { compared[i].settle(adjustedPValue: adjusted[k], alpha: options.alpha) }
        return RunComparison(
            baseline: (baseline.id, baseline.name), candidate: (candidate.id, candidate.name), paired: paired,
            pairedRows: paired ? pairs.count : 0, onlyInBaseline: paired ? keysA.count - pairs.count : keysA.count,
            onlyInCandidate: paired ? keysB.count - pairs.count : keysB.count, warnings: warnings, metrics: compared, options: options)
    }

    /// The comparison of one metric, by name.
    public func metric(_ name: String) -> MetricComparison? {
        metrics.first { $0.name == name }
    }
}

/// One metric of a ``RunComparison``.
public struct MetricComparison: Sendable {
    /// What the comparison says.
    public enum Verdict: String, Sendable {
        /// Significantly better (in the metric's direction).
        case better
        /// Significantly worse.
        case worse
        /// Significantly higher or lower, for a metric without a direction (a token count).
        case higher, lower
        /// No difference the data can tell from noise.
        case noDetectableDifference = "no detectable difference"
        /// Nothing to compare: no row has a score on both sides.
        case notComparable = "not comparable"
    }

    /// The test behind the p-value.
    public enum Test: String, Sendable {
        /// Paired sign-flip permutation test on the differences.
        case signFlip = "sign-flip permutation"
        /// Exact McNemar test on paired 0/1 scores.
        case mcNemar = "exact McNemar"
        /// Permutation test of the run labels, for unpaired runs.
        case unpairedPermutation = "unpaired permutation"
    }

    public let name: String
    /// Whether higher is better; nil when the metric has no direction.
    public let greaterIsBetter: Bool?
    public let test: Test
    /// Scores used: pairs (paired) or each run's rows (unpaired).
    public let baselineCount: Int
    public let candidateCount: Int
    public let baselineMean: Double?
    public let candidateMean: Double?
    /// candidate − baseline.
    public let difference: Double?
    public let interval: ClosedRange<Double>?
    public let pValue: Double?
    public private(set) var adjustedPValue: Double?
    public private(set) var verdict: Verdict
    /// The smallest true difference this comparison detects with the chosen power, at the chosen
    /// level before correction (normal approximation).
    public let minimumDetectableDifference: Double?
    /// Rows left out: a failed model call, an unreadable judge answer, or no score, on either side.
    public let leftOutErrors: Int
    public let leftOutInvalid: Int
    public let leftOutMissing: Int
    /// For 0/1 scores compared by McNemar: pairs that pass only in the baseline, only in the candidate.
    public let discordant: (onlyBaseline: Int, onlyCandidate: Int)?

    mutating func settle(adjustedPValue: Double, alpha: Double) {
        self.adjustedPValue = adjustedPValue
        guard adjustedPValue < alpha, let difference, difference != 0 else {
            verdict = .noDetectableDifference
            return
        }
        if let greaterIsBetter {
            verdict = (difference > 0) == greaterIsBetter ? .better : .worse
        } else {
            verdict = difference > 0 ? .higher : .lower
        }
    }

    private enum Exclusion { case error, invalid, missing }

    private static func finite(_ value: Double) -> Double? {
        value.isFinite ? value : nil
    }

    private static func exclusion(_ table: LoggedTable, _ scores: LoggedTable.Scores, _ row: Int) -> Exclusion? {
        if table.hasError(row) { return .error }
        if table.isInvalid(scores, row) { return .invalid }
        guard let value = scores.values[row], value.isFinite else { return .missing }
        return nil
    }

    static func paired(
        _ name: String, direction: Bool?, a: LoggedTable, _ scoresA: LoggedTable.Scores, b: LoggedTable, _ scoresB: LoggedTable.Scores,
        pairs: [(Int, Int)], clusterOf: [String], options: RunComparison.Options, random: inout SeededRandom
    ) -> MetricComparison {
        var counts = (error: 0, invalid: 0, missing: 0)
        var used: [(x: Double, y: Double, cluster: String)] = []
        for (i, j) in pairs {
            switch (exclusion(a, scoresA, i), exclusion(b, scoresB, j)) {
            case (.error, _), (_, .error): counts.error += 1
            case (.invalid, _), (_, .invalid): counts.invalid += 1
            case (.missing, _), (_, .missing): counts.missing += 1
            default: used.append((scoresA.values[i]!, scoresB.values[j]!, clusterOf[i]))
            }
        }
        // Differences grouped by row (a row's samples stay together), in first-seen order.
        var clusters = Statistics.Clusters()
        var slot: [String: Int] = [:]
        var sums: [Double] = []
        var sizes: [Int] = []
        for pair in used {
            if let k = slot[pair.cluster] {
                sums[k] += pair.y - pair.x
                sizes[k] += 1
            } else {
                slot[pair.cluster] = sums.count
                sums.append(pair.y - pair.x)
                sizes.append(1)
            }
        }
        for (s, n) in zip(sums, sizes) { clusters.append(sum: s, count: n) }
        let binary = !used.isEmpty && used.allSatisfy { ($0.x == 0 || $0.x == 1) && ($0.y == 0 || $0.y == 1) }
        let useMcNemar = binary && !clusters.isClustered
        var pValue: Double?
        var discordant: (Int, Int)?
        // Scores near ±Double.greatestFiniteMagnitude overflow their sums: nothing to test.
        let finite = clusters.mean.isFinite
        if !used.isEmpty, finite {
            if useMcNemar {
                let onlyA = used.count { $0.x == 1 && $0.y == 0 }
                let onlyB = used.count { $0.x == 0 && $0.y == 1 }
                discordant = (onlyA, onlyB)
                pValue = Statistics.mcNemarPValue(onlyBaseline: onlyA, onlyCandidate: onlyB)
            } else {
                pValue = Statistics.signFlipPValue(clusters, resamples: options.resamples, random: &random)
            }
        }
        let n = Double(used.count)
        let meanA = used.isEmpty ? nil : Self.finite(used.reduce(0) { $0 + $1.x } / n)
        let meanB = used.isEmpty ? nil : Self.finite(used.reduce(0) { $0 + $1.y } / n)
        return MetricComparison(
            name: name, greaterIsBetter: direction, test: useMcNemar ? .mcNemar : .signFlip, baselineCount: used.count,
            candidateCount: used.count, baselineMean: meanA, candidateMean: meanB,
            difference: used.isEmpty || !finite ? nil : clusters.mean,
            interval: Statistics.bootstrapInterval(clusters, confidence: options.confidence, resamples: options.resamples, random: &random),
            pValue: pValue, adjustedPValue: nil, verdict: used.isEmpty || !finite ? .notComparable : .noDetectableDifference,
            minimumDetectableDifference: clusters.standardError.flatMap {
                Self.finite(Statistics.minimumDetectableDifference(standardError: $0, alpha: options.alpha, power: options.power))
            }, leftOutErrors: counts.error, leftOutInvalid: counts.invalid, leftOutMissing: counts.missing, discordant: discordant)
    }

    static func unpaired(
        _ name: String, direction: Bool?, a: LoggedTable, _ scoresA: LoggedTable.Scores, b: LoggedTable, _ scoresB: LoggedTable.Scores,
        options: RunComparison.Options, random: inout SeededRandom
    ) -> MetricComparison {
        var counts = (error: 0, invalid: 0, missing: 0)
        func usable(_ table: LoggedTable, _ scores: LoggedTable.Scores) -> [Double] {
            var values: [Double] = []
            for row in table.rows.indices {
                switch exclusion(table, scores, row) {
                case .error: counts.error += 1
                case .invalid: counts.invalid += 1
                case .missing: counts.missing += 1
                case nil: values.append(scores.values[row]!)
                }
            }
            return values
        }
        let x = usable(a, scoresA)
        let y = usable(b, scoresB)
        let meanA = x.isEmpty ? nil : Self.finite(Statistics.mean(x))
        let meanB = y.isEmpty ? nil : Self.finite(Statistics.mean(y))
        let comparable = meanA != nil && meanB != nil && (meanB! - meanA!).isFinite
        func variance(_ v: [Double]) -> Double? {
            guard v.count >= 2 else { return nil }
            let m = Statistics.mean(v)
            return v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)
        }
        let standardError = variance(x).flatMap { vx in variance(y).map { vy in (vx / Double(x.count) + vy / Double(y.count)).squareRoot() }
        }
        return MetricComparison(
            name: name, greaterIsBetter: direction, test: .unpairedPermutation, baselineCount: x.count, candidateCount: y.count,
            baselineMean: meanA, candidateMean: meanB, difference: comparable ? meanB! - meanA! : nil,
            interval: Statistics.unpairedBootstrapInterval(
                x, y, confidence: options.confidence, resamples: options.resamples, random: &random),
            pValue: comparable ? Statistics.unpairedPermutationPValue(x, y, resamples: options.resamples, random: &random) : nil,
            adjustedPValue: nil, verdict: comparable ? .noDetectableDifference : .notComparable,
            minimumDetectableDifference: standardError.flatMap {
                Self.finite(Statistics.minimumDetectableDifference(standardError: $0, alpha: options.alpha, power: options.power))
            }, leftOutErrors: counts.error, leftOutInvalid: counts.invalid, leftOutMissing: counts.missing, discordant: nil)
    }
}
