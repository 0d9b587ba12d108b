import Foundation

/// A judge's answer, read and checked against the judge's scale.
///
/// Reading is forgiving about form and strict about content: a JSON object (bare, in a code fence, or
/// inside prose), or `score: N` and `justification: …` lines, in any case; decimals are read as
/// decimals. An answer with no score, or a score off the scale (100 on 1 to 5, 4.5 on an integer
/// scale), is *invalid*: it has no score and its raw text is kept. Never NaN, never a default.
public struct JudgeAnswer: Sendable, Equatable {
    /// Why an answer is invalid.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        case noScore
        case notANumber
        case notAnInteger(Double)
        case outOfRange(Double)
        case unknownLabel(String)
        case echoedPrompt

        public var description: String {
            switch self {
            case .empty: "the answer is empty"
            case .noScore: "the answer has no score"
            case .notANumber: "the score is not a number"
            case .notAnInteger(let v): "the score \(Self.display(v)) is not a whole number"
            case .outOfRange(let v): "the score \(Self.display(v)) is outside the scale"
            case .unknownLabel(let l): "'\(l)' is not one of the scale's labels"
            case .echoedPrompt: "the answer repeats the grading prompt"
            }
        }

        private static func display(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        }
    }

    /// The score on the judge's scale; nil when the answer is invalid.
    public var score: Double?
    /// The judge's justification; for an invalid answer, the problem and the raw answer.
    public var justification: String
    /// Why the answer is invalid, if it is.
    public var problem: Problem?

    /// Whether the answer counts.
    public var isValid: Bool { problem == nil }

    /// Reads an answer. `promptMarker` is text that only the grading prompt contains; an answer that
    /// contains it repeats the prompt and is invalid.
    public static func read(_ raw: String, scale: JudgeScale, promptMarker: String? = nil) -> JudgeAnswer {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return invalid(.empty, raw) }
        if let promptMarker, text.contains(promptMarker) { return invalid(.echoedPrompt, raw) }
        if let object = jsonObject(in: text) {
            guard let value = field(object, ["score", "rating", "grade", "verdict"]) else { return invalid(.noScore, raw) }
            let justification = field(object, ["justification", "reason", "reasoning", "rationale", "explanation"])?.text ?? ""
            return checked(value, justification: justification, scale: scale, raw: raw)
        }
        guard let (value, rest) = labelledScore(in: text) else { return invalid(.noScore, raw) }
        let justification = labelledJustification(in: text) ?? rest.trimmingCharacters(in: .whitespacesAndNewlines)
        return checked(value, justification: justification, scale: scale, raw: raw)
    }

    private static func invalid(_ problem: Problem, _ raw: String) -> JudgeAnswer {
        JudgeAnswer(score: nil, justification: "invalid answer (\(problem)): \(raw)", problem: problem)
    }

    private static func checked(_ value: DataValue, justification: String, scale: JudgeScale, raw: String) -> JudgeAnswer {
        switch scale.score(value) {
        case .success(let score): JudgeAnswer(score: score, justification: justification, problem: nil)
        case .failure(let problem): invalid(problem, raw)
        }
    }

    private static func field(_ object: [String: DataValue], _ names: [String]) -> DataValue? {
        for name in names {
            if let match = object.first(where: { $0.key.lowercased() == name }) { return match.value }
        }
        return nil
    }

    /// A JSON object: the whole text, a fenced block, or the outermost braces inside prose.
    private static func jsonObject(in text: String) -> [String: DataValue]? {
        var candidates = [text]
        if let fenceStart = text.range(of: "```") {
            var body = text[fenceStart.upperBound...]
            if let newline = body.firstIndex(of: "\n") { body = body[body.index(after: newline)...] }
            if let fenceEnd = body.range(of: "```") { candidates.append(String(body[..<fenceEnd.lowerBound])) }
        }
        if let open = text.firstIndex(of: "{"), let close = text.lastIndex(of: "}"), open < close {
            candidates.append(String(text[open...close]))
        }
        for candidate in candidates {
            if case .object(let object)? = try? JSONParser.parse(candidate.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return object
            }
        }
        return nil
    }

    /// The first `score: VALUE` (or `score = VALUE`) in the text, and the text after it.
    private static func labelledScore(in text: String) -> (DataValue, Substring)? {
        let lower = text.lowercased()
        var searchFrom = lower.startIndex
        while let found = lower.range(of: "score", range: searchFrom..<lower.endIndex) {
            searchFrom = found.upperBound
            // A whole word: not part of "scored" or "underscore".
            if found.lowerBound > lower.startIndex, lower[lower.index(before: found.lowerBound)].isLetter { continue }
            var i = found.upperBound
            while i < lower.endIndex, lower[i] == " " || lower[i] == "*" || lower[i] == "\"" { i = lower.index(after: i) }
            guard i < lower.endIndex, lower[i] == ":" || lower[i] == "=" else { continue }
            i = lower.index(after: i)
            while i < lower.endIndex, lower[i] == " " || lower[i] == "*" || lower[i] == "\"" { i = lower.index(after: i) }
            var end = i
            while end < lower.endIndex, lower[end].isNumber || lower[end] == "." || lower[end] == "-" || lower[end].isLetter {
                end = lower.index(after: end)
            }
            guard end > i else { continue }
            var token = String(text[i..<end])
            if token.hasSuffix(".") { token.removeLast() }
            let value: DataValue = Double(token).map { .double($0) } ?? .string(token)
            return (value, text[end...])
        }
        return nil
    }

    /// The text after the first `justification:` label, to the end.
    private static func labelledJustification(in text: String) -> String? {
        guard let found = text.range(of: "justification", options: .caseInsensitive) else { return nil }
        var i = found.upperBound
        while i < text.endIndex, text[i] == " " || text[i] == "*" || text[i] == "\"" { i = text.index(after: i) }
        guard i < text.endIndex, text[i] == ":" else { return nil }
        return String(text[text.index(after: i)...]).trimmingCharacters(in: CharacterSet.whitespacesAndNewlines.union(["*"]))
    }
}
