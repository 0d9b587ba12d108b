import Foundation

/// The scale a judge scores on, declared up front and enforced on every answer.
public enum JudgeScale: Sendable, Hashable {
    /// Whole numbers from the lower to the upper bound (MLflow's judges: 1...5).
    case integers(ClosedRange<Int>)
    /// Any number within the bounds (toxicity: 0...1).
    case numbers(ClosedRange<Double>)
    /// Yes or no (scored 1 and 0).
    case boolean
    /// One of the named labels, each with its score.
    case categories([String: Double])

    /// The metric scale this judge's scores are shown on.
    public var metricScale: MetricScale {
        switch self {
        case .integers(let range): .integerRange(range)
        case .numbers(let range) where range == 0...1: .unitInterval
        case .numbers(let range): .range(range)
        case .boolean: .unitInterval
        case .categories(let labels): .range((labels.values.min() ?? 0)...(labels.values.max() ?? 1))
        }
    }

    /// How the scale reads in a prompt: "an integer from 1 to 5".
    var instruction: String {
        switch self {
        case .integers(let r): "an integer from \(r.lowerBound) to \(r.upperBound)"
        case .numbers(let r):
            "a number from \(JSONWriter.format(r.lowerBound, dialect: .exact)) to \(JSONWriter.format(r.upperBound, dialect: .exact))"
        case .boolean: "true or false"
        case .categories(let labels): "one of " + labels.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
        }
    }

    /// The JSON schema of the score field.
    var scoreSchema: DataValue {
        switch self {
        case .integers(let r): .object(["type": "integer", "minimum": .int(r.lowerBound), "maximum": .int(r.upperBound)])
        case .numbers(let r): .object(["type": "number", "minimum": .double(r.lowerBound), "maximum": .double(r.upperBound)])
        case .boolean: .object(["type": "boolean"])
        case .categories(let labels): .object(["type": "string", "enum": .list(labels.keys.sorted().map(DataValue.string))])
        }
    }

    /// The score of a parsed answer value, or why it is not on the scale.
    func score(_ value: DataValue) -> Result<Double, JudgeAnswer.Problem> {
        switch self {
        case .integers(let range):
            guard let number = Self.number(value) else { return .failure(.notANumber) }
            guard number == number.rounded() else { return .failure(.notAnInteger(number)) }
            guard number >= Double(range.lowerBound), number <= Double(range.upperBound) else {
                return .failure(.outOfRange(number))
            }
            return .success(number)
        case .numbers(let range):
            guard let number = Self.number(value) else { return .failure(.notANumber) }
            guard range.contains(number) else { return .failure(.outOfRange(number)) }
            return .success(number)
        case .boolean:
            switch value {
            case .bool(let b): return .success(b ? 1 : 0)
            case .string(let s):
                switch s.lowercased().trimmingCharacters(in: .whitespaces) {
                case "yes", "true", "pass": return .success(1)
                case "no", "false", "fail": return .success(0)
                default: return .failure(.unknownLabel(s))
                }
            default:
                if let n = Self.number(value), n == 0 || n == 1 { return .success(n) }
                return .failure(.notANumber)
            }
        case .categories(let labels):
            guard let label = value.stringValue ?? (value.doubleValue.map { JSONWriter.format($0, dialect: .exact) }) else {
                return .failure(.unknownLabel(value.text))
            }
            if let score = labels.first(where: { $0.key.lowercased() == label.lowercased() })?.value { return .success(score) }
            return .failure(.unknownLabel(label))
        }
    }

    private static func number(_ value: DataValue) -> Double? {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d.isFinite ? d : nil
        case .string(let s):
            guard let d = Double(s.trimmingCharacters(in: .whitespaces)), d.isFinite else { return nil }
            return d
        default: return nil
        }
    }
}
