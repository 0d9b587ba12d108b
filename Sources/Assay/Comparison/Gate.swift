import Foundation

/// A condition a run must meet to pass a CI gate: a threshold on one of its metrics
/// (`answer_correctness/v1/mean >= 4`), or no significant regression of a metric against a baseline.
///
/// ```swift
/// let conditions = [try GateCondition("answer_correctness/v1/mean >= 4"), .noRegression("rougeL/v1")]
/// let report = try GateReport(conditions, run: run, comparison: comparison)
/// report.passed
/// ```
public struct GateCondition: Sendable, Equatable, CustomStringConvertible {
    public enum Operator: String, Sendable, CaseIterable {
        case atLeast = ">=", atMost = "<=", greater = ">", less = "<", equal = "==", notEqual = "!="

        func holds(_ value: Double, _ threshold: Double) -> Bool {
            switch self {
            case .atLeast: value >= threshold
            case .atMost: value <= threshold
            case .greater: value > threshold
            case .less: value < threshold
            case .equal: value == threshold
            case .notEqual: value != threshold
            }
        }
    }

    public enum Kind: Sendable, Equatable {
        /// The run's aggregate metric `key` compared with a number.
        case threshold(key: String, Operator, Double)
        /// The metric (`rougeL/v1`, or `all` for every metric with a direction) is not significantly
        /// worse than in the baseline.
        case noRegression(metric: String)
    }

    public let kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
    }

    /// Parses `KEY OP NUMBER` with OP one of `>= <= > < == !=` (`=` means `==`); spaces are optional.
    public init(_ requirement: String) throws(AssayError) {
        let text = requirement.trimmingCharacters(in: .whitespaces)
        for symbol in [">=", "<=", "==", "!=", ">", "<", "="] {
            guard let range = text.range(of: symbol) else { continue }
            let key = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            let number = text[range.upperBound...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, let value = Double(number), value.isFinite else {
                throw .invalidInput("requirement '\(requirement)': expected METRIC OP NUMBER, such as 'answer_correctness/v1/mean >= 4'")
            }
            kind = .threshold(key: key, Operator(rawValue: symbol == "=" ? "==" : symbol)!, value)
            return
        }
        throw .invalidInput(
            "requirement '\(requirement)' has no comparison: expected METRIC OP NUMBER with OP one of >=, <=, >, <, ==, !=")
    }

    /// No significant regression of `metric` against the baseline.
    public static func noRegression(_ metric: String) -> GateCondition {
        GateCondition(.noRegression(metric: metric))
    }

    public var description: String {
        switch kind {
        case .threshold(let key, let op, let value):
            "\(key) \(op.rawValue) \(value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : JSONWriter.format(value, dialect: .exact))"
        case .noRegression(let metric): metric == "all" ? "no regression against the baseline" : "no regression of \(metric)"
        }
    }
}

/// The outcome of a gate: per condition, whether it held and the figures behind it.
public struct GateReport: Sendable {
    public struct Outcome: Sendable {
        public let condition: String
        public let passed: Bool
        /// The figures, for people: "4.2 (needs >= 4)", "0.41 → 0.35, −0.06, 95% [−0.09, −0.03], p (Holm) 0.001".
        public let message: String
    }

    public let run: (id: String, name: String)
    public let comparison: RunComparison?
    public let outcomes: [Outcome]

    /// Whether every condition held.
    public var passed: Bool { outcomes.allSatisfy(\.passed) }

    /// Checks `conditions` against the run's aggregate `metrics` and, for regressions, `comparison`
    /// (the run against its baseline). A metric the run does not have, or a regression condition
    /// without a comparison, is an `invalidInput` error naming what there is.
    public init(
        _ conditions: [GateCondition], run: (id: String, name: String), metrics: [String: Double], comparison: RunComparison?
    ) throws(AssayError) {
        self.run = run
        self.comparison = comparison
        var outcomes: [Outcome] = []
        for condition in conditions {
            switch condition.kind {
            case .threshold(let key, let op, let threshold):
                guard let value = metrics[key] else {
                    throw .invalidInput(
                        "requirement '\(condition)': the run has no metric \(key); it has \(metrics.keys.sorted().joined(separator: ", "))")
                }
                let passed = value.isFinite && op.holds(value, threshold)
                outcomes.append(
                    Outcome(
                        condition: condition.description, passed: passed,
                        message: "\(key) is \(Self.format(value)) (needs \(op.rawValue) \(Self.format(threshold)))"))
            case .noRegression(let name):
                guard let comparison else {
                    throw .invalidInput("'\(condition)' needs a baseline run to compare with")
                }
                let metrics: [MetricComparison]
                if name == "all" {
                    metrics = comparison.metrics.filter { $0.greaterIsBetter != nil }
                } else {
                    let base = Self.metricName(name, among: comparison.metrics.map(\.name))
                    guard let found = base.flatMap(comparison.metric) else {
                        throw .invalidInput(
                            "'\(condition)': the runs do not both score \(name) per row; they share \(comparison.metrics.map(\.name).joined(separator: ", "))"
                        )
                    }
                    metrics = [found]
                }
                for m in metrics {
                    let label = name == "all" ? "no regression of \(m.name)" : condition.description
                    // A metric the candidate no longer scores on any paired row cannot show it did not regress.
                    let passed = m.verdict != .worse && m.verdict != .notComparable
                    outcomes.append(Outcome(condition: label, passed: passed, message: Self.describe(m, comparison)))
                }
            }
        }
        self.outcomes = outcomes
    }

    /// `rougeL/v1/mean` names the metric `rougeL/v1`.
    static func metricName(_ name: String, among names: [String]) -> String? {
        if names.contains(name) { return name }
        let parts = name.split(separator: "/")
        guard parts.count > 1 else { return nil }
        let trimmed = parts.dropLast().joined(separator: "/")
        return names.contains(trimmed) ? trimmed : nil
    }

    /// "0.4100 → 0.3500 (−0.0600, 95% interval [−0.0900, −0.0300], p (Holm) 0.0010, 200 pairs): worse".
    static func describe(_ m: MetricComparison, _ comparison: RunComparison) -> String {
        guard let a = m.baselineMean, let b = m.candidateMean, let d = m.difference else {
            return "\(m.name): no row is scored in both runs"
        }
        var text = "\(m.name) \(format(a)) → \(format(b)) (\(signed(d))"
        if let i = m.interval {
            text += ", \(Int((comparison.options.confidence * 100).rounded()))% interval [\(signed(i.lowerBound)), \(signed(i.upperBound))]"
        }
        if let p = m.adjustedPValue { text += ", p (Holm) \(Statistics.format(pValue: p))" }
        text += comparison.paired ? ", \(m.baselineCount) pairs" : ", unpaired \(m.baselineCount) and \(m.candidateCount) rows"
        return text + "): \(m.verdict.rawValue)"
    }

    /// Whole numbers without decimals, others to four places (or in full when that would show 0).
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e9 { return String(Int(value)) }
        let fixed = String(format: "%.4f", value)
        return Double(fixed) == 0 && value != 0 ? JSONWriter.format(value, dialect: .exact) : fixed
    }

    static func signed(_ value: Double) -> String {
        (value >= 0 ? "+" : "−") + format(abs(value))
    }
}

extension GateReport {
    /// JUnit XML, one test case per condition (failures carry the figures), as CI systems render it.
    public var junitXML: String {
        let failures = outcomes.count { !$0.passed }
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites name="assay gate" tests="\(outcomes.count)" failures="\(failures)" errors="0">
              <testsuite name="\(Self.xmlEscape("assay gate: \(run.name) (\(run.id))"))" tests="\(outcomes.count)" failures="\(failures)" errors="0" skipped="0">

            """
        for outcome in outcomes {
            xml += "    <testcase classname=\"assay.gate\" name=\"\(Self.xmlEscape(outcome.condition))\">\n"
            if outcome.passed {
                xml += "      <system-out>\(Self.xmlEscape(outcome.message))</system-out>\n"
            } else {
                xml +=
                    "      <failure message=\"\(Self.xmlEscape(outcome.message))\" type=\"gate\">\(Self.xmlEscape(outcome.message))</failure>\n"
            }
            xml += "    </testcase>\n"
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    /// A Markdown summary for a pull-request comment: the verdict, a table of the conditions, and the
    /// comparison of every metric when there is a baseline.
    public var markdown: String {
        let id = run.id.isEmpty ? "not recorded" : "`\(run.id.prefix(8))`"
        var lines = ["### Assay gate \(passed ? "passed ✅" : "failed ❌"): run `\(Self.markdownEscape(run.name))` (\(id))"]
        if let comparison {
            lines += [
                "", "Against the baseline `\(Self.markdownEscape(comparison.baseline.name))` (`\(comparison.baseline.id.prefix(8))`).",
            ]
        }
        lines += ["", "| condition | result | figures |", "|---|---|---|"]
        for outcome in outcomes {
            lines.append(
                "| \(Self.markdownEscape(outcome.condition)) | \(outcome.passed ? "✅ pass" : "❌ fail") | \(Self.markdownEscape(outcome.message)) |"
            )
        }
        if let comparison, !comparison.metrics.isEmpty {
            let level = "\(Int((comparison.options.confidence * 100).rounded()))%"
            lines += [
                "", "| metric | baseline | candidate | change | \(level) interval | p (Holm) | verdict |", "|---|---|---|---|---|---|---|",
            ]
            for m in comparison.metrics {
                let interval: String = m.interval.map { "[\(Self.signed($0.lowerBound)), \(Self.signed($0.upperBound))]" } ?? "–"
                let p: String = m.adjustedPValue.map { Statistics.format(pValue: $0) } ?? "–"
                let means: [String] = [m.baselineMean, m.candidateMean].map { $0.map(Self.format) ?? "–" }
                let cells: [String] = [m.name] + means + [m.difference.map(Self.signed) ?? "–", interval, p, m.verdict.rawValue]
                lines.append("| " + cells.map(Self.markdownEscape).joined(separator: " | ") + " |")
            }
            for warning in comparison.warnings { lines += ["", "> ⚠️ \(Self.markdownEscape(warning))"] }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func xmlEscape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            // XML 1.0 allows no other control characters, not even as references.
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) { out += "?" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    static func markdownEscape(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
