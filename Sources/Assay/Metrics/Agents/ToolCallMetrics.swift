/// Metrics of agents and tool-calling models: the tool calls a conversation made against the
/// calls (`expected_tool_calls`) or the trajectory (`expected_trajectory`, tool names or calls) the
/// row expects.
///
/// The conversation is the prediction when it is a list of messages (a tool-calling model's
/// answer, or `--predictions messages`), else the row's `messages` column. Column names go through
/// the column mapping (`--col-map expected_tool_calls=reference_calls`).
///
/// ```swift
/// let result = try await evaluate(
///     data, predictions: "messages", extraMetrics: [.toolCallF1, .trajectoryUnorderedMatch])
/// ```
extension Metric {
    /// Ragas's `ToolCallAccuracy` (strict order): 0 unless the called tools' names are the expected
    /// sequence; then the mean, over the expected calls, of the share of each one's arguments that the
    /// call at its position has with the same text (as Ragas compares them: `3` and `"3"` agree).
    public static let toolCallAccuracy = agentMetric(
        "tool_call_accuracy", argument: "expected_tool_calls",
        summary: "0 unless the tools were called in the expected order; then the share of expected arguments matched"
    ) { made, expected in
        let calls = made.toolCalls
        guard !calls.isEmpty || !expected.calls.isEmpty else { return 1 }
        guard !calls.isEmpty, !expected.calls.isEmpty, calls.map(\.name) == expected.calls.map(\.name) else { return 0 }
        var total = 0.0
        for (call, reference) in zip(calls, expected.calls) {
            if reference.arguments.isEmpty {
                total += call.arguments.isEmpty ? 1 : 0
            } else {
                let matched = reference.arguments.count { key, value in call.arguments[key].map { pythonText($0) == pythonText(value) } ?? false }
                total += Double(matched) / Double(reference.arguments.count)
            }
        }
        return total / Double(expected.calls.count)
    }

    /// Ragas's `ToolCallF1`: F1 of the distinct calls made (name and arguments, numbers equal by value)
    /// against the distinct calls expected. No call expected and none made scores 1 (Ragas gives 0).
    public static let toolCallF1 = agentMetric(
        "tool_call_f1", argument: "expected_tool_calls", summary: "F1 of the calls made (name and arguments) against those expected"
    ) { made, expected in
        let actual = Set(made.toolCalls.map(\.comparable))
        let reference = Set(expected.calls.map(\.comparable))
        if actual.isEmpty && reference.isEmpty { return 1 }
        let hits = Double(actual.intersection(reference).count)
        guard hits > 0 else { return 0 }
        let precision = hits / Double(actual.count)
        let recall = hits / Double(reference.count)
        return 2 * precision * recall / (precision + recall)
    }

    /// The share of positions where the tool called is the one expected there, over the longer of the
    /// two sequences.
    public static let toolNameAccuracy = agentMetric(
        "tool_name_accuracy", argument: "expected_tool_calls", summary: "share of positions where the expected tool was called"
    ) { made, expected in
        let calls = made.toolCalls.map(\.name)
        let names = expected.calls.map(\.name)
        let length = max(calls.count, names.count)
        guard length > 0 else { return 1 }
        return Double(zip(calls, names).count { $0 == $1 }) / Double(length)
    }

    /// How a call's arguments are compared with the expected ones.
    public enum ArgumentMatch: String, Sendable, CaseIterable {
        /// The same arguments with equal values.
        case exact
        /// Every expected argument, with an equal value; more are allowed.
        case subset
        /// Every expected argument, with a value of the same JSON type.
        case types

        func matches(_ arguments: [String: DataValue], _ expected: [String: DataValue]) -> Bool {
            switch self {
            case .exact: return arguments == expected
            case .subset: return expected.allSatisfy { arguments[$0.key] == $0.value }
            case .types: return expected.allSatisfy { key, value in arguments[key].map { $0.kindName == value.kindName } ?? false }
            }
        }
    }

    /// The share of expected calls for which a call of that tool (the next unused one, in order) has
    /// matching arguments. Rows that expect no call are not scored.
    public static func toolArguments(_ match: ArgumentMatch) -> Metric {
        agentMetric(
            "tool_arguments_\(match.rawValue)", argument: "expected_tool_calls",
            summary: "share of expected calls made with \(match == .exact ? "exactly the expected arguments" : match == .subset ? "the expected arguments (more allowed)" : "arguments of the expected types")"
        ) { made, expected in
            guard !expected.calls.isEmpty else { return nil }
            var used = Set<Int>()
            var matched = 0
            let calls = made.toolCalls
            for reference in expected.calls {
                guard let index = calls.indices.first(where: { !used.contains($0) && calls[$0].name == reference.name }) else { continue }
                used.insert(index)
                if match.matches(calls[index].arguments, reference.arguments) { matched += 1 }
            }
            return Double(matched) / Double(expected.calls.count)
        }
    }

    /// agentevals' strict trajectory match: the calls made are the expected steps in order (names, and
    /// arguments exactly unless the trajectory gives names only).
    public static let trajectoryStrictMatch = trajectory("strict", summary: "1 when the tools were called exactly as expected, in order") {
        made, expected, same in
        made.count == expected.count && zip(made, expected).allSatisfy(same)
    }

    /// agentevals' unordered match: the same calls as expected, in any order.
    public static let trajectoryUnorderedMatch = trajectory("unordered", summary: "1 when the calls made are the expected ones, in any order") {
        made, expected, same in
        covers(made, expected, same) && covers(expected, made, same)
    }

    /// agentevals' subset match: every call made was expected (fewer are allowed).
    public static let trajectorySubsetMatch = trajectory("subset", summary: "1 when every call made was expected (fewer allowed)") {
        made, expected, same in
        covers(expected, made, same)
    }

    /// agentevals' superset match: every expected call was made (more are allowed).
    public static let trajectorySupersetMatch = trajectory("superset", summary: "1 when every expected call was made (more allowed)") {
        made, expected, same in
        covers(made, expected, same)
    }

    /// The share of the calls made that were expected (each expected step counts once).
    public static let trajectoryPrecision = agentMetric(
        "trajectory_precision", argument: "expected_trajectory", fallback: "expected_tool_calls",
        summary: "share of the calls made that were expected steps"
    ) { made, expected in
        let calls = made.toolCalls
        guard !calls.isEmpty else { return expected.calls.isEmpty ? 1 : 0 }
        return Double(matchedCount(calls, expected)) / Double(calls.count)
    }

    /// The share of the expected steps that were made.
    public static let trajectoryRecall = agentMetric(
        "trajectory_recall", argument: "expected_trajectory", fallback: "expected_tool_calls",
        summary: "share of the expected steps that were made"
    ) { made, expected in
        guard !expected.calls.isEmpty else { return 1 }
        return Double(matchedCount(made.toolCalls, expected)) / Double(expected.calls.count)
    }

    /// The number of tool calls the conversation made.
    public static let toolCallCount = conversationCount(
        "tool_call_count", greaterIsBetter: nil, unit: "tool calls", summary: "tool calls the conversation made"
    ) { $0.toolCalls.count }

    /// The number of tool results that report a failure.
    public static let toolErrorCount = conversationCount(
        "tool_error_count", greaterIsBetter: false, unit: "tool errors",
        summary: "tool results marked as failed (is_error, status error, or an error member)"
    ) { $0.toolErrorCount }

    /// Every agent metric, for the catalog.
    static var agentMetrics: [Metric] {
        [.toolCallAccuracy, .toolCallF1, .toolNameAccuracy] + ArgumentMatch.allCases.map(toolArguments)
            + [
                .trajectoryStrictMatch, .trajectoryUnorderedMatch, .trajectorySubsetMatch, .trajectorySupersetMatch, .trajectoryPrecision,
                .trajectoryRecall, .toolCallCount, .toolErrorCount,
            ]
    }

    // MARK: - Building blocks

    /// The conversation a row's metric scores: the prediction when it is one, else the `messages` column.
    static func conversation(_ row: MetricRow) throws(AssayError) -> Conversation {
        switch row.prediction {
        case .list, .object:
            return try Conversation(row.prediction, place: "\(row.row.location), column '\(row.predictionColumn)'")
        case .string(let text) where text.first == "[":
            return try Conversation(row.prediction, place: "\(row.row.location), column '\(row.predictionColumn)'")
        default:
            let column = row.mapping["messages"] ?? "messages"
            guard row.row.columns.contains(column) else {
                throw .invalidInput(
                    "\(row.row.location): the prediction is not a conversation (a list of messages) and the row has no '\(column)' column")
            }
            return try Conversation(row.argument("messages"), place: "\(row.row.location), column '\(column)'")
        }
    }

    private static func agentMetric(
        _ name: String, argument: String, fallback: String? = nil, summary: String,
        _ score: @escaping @Sendable (Conversation, ExpectedSteps) -> Double?
    ) -> Metric {
        var metric = Metric(
            info: MetricInfo(name: name, greaterIsBetter: true, scale: .unitInterval, summary: summary),
            kind: .perRow { row, _ in
                var column = argument
                if let fallback, (row.argument(argument)).isNull { column = fallback }
                let value = row.argument(column)
                guard !value.isNull else { return RowScore(nil, justification: "the row gives no \(column)") }
                let expected = try ExpectedSteps(value, place: "\(row.row.location), column '\(row.mapping[column] ?? column)'")
                return RowScore(score(try conversation(row), expected))
            })
        // The trajectory metrics read expected_trajectory or, without it, expected_tool_calls: checked per row.
        if fallback == nil { metric.arguments = [argument] }
        return metric
    }

    private static func trajectory(
        _ mode: String, summary: String, _ match: @escaping @Sendable ([ToolCall], [ToolCall], (ToolCall, ToolCall) -> Bool) -> Bool
    ) -> Metric {
        var metric = agentMetric("trajectory_\(mode)_match", argument: "expected_trajectory", fallback: "expected_tool_calls", summary: summary) {
            made, expected in
            let same: (ToolCall, ToolCall) -> Bool = { call, reference in
                call.name == reference.name && (expected.namesOnly || call.comparable == reference.comparable)
            }
            return match(made.toolCalls, expected.calls, same) ? 1 : 0
        }
        metric.info.passFail = true
        return metric
    }

    /// agentevals' superset rule: each of `subset`'s calls is matched, greedily in order, by a distinct call of `calls`.
    static func covers(_ calls: [ToolCall], _ subset: [ToolCall], _ same: (ToolCall, ToolCall) -> Bool) -> Bool {
        var used = Set<Int>()
        for reference in subset {
            guard let index = calls.indices.first(where: { !used.contains($0) && same(calls[$0], reference) }) else { return false }
            used.insert(index)
        }
        return true
    }

    /// How many calls are matched one to one with expected steps.
    static func matchedCount(_ calls: [ToolCall], _ expected: ExpectedSteps) -> Int {
        var used = Set<Int>()
        var matched = 0
        for reference in expected.calls {
            if let index = calls.indices.first(where: {
                !used.contains($0) && calls[$0].name == reference.name && (expected.namesOnly || calls[$0].comparable == reference.comparable)
            }) {
                used.insert(index)
                matched += 1
            }
        }
        return matched
    }

    private static func conversationCount(
        _ name: String, greaterIsBetter: Bool?, unit: String, summary: String, _ count: @escaping @Sendable (Conversation) -> Int
    ) -> Metric {
        Metric(
            info: MetricInfo(
                name: name, greaterIsBetter: greaterIsBetter, scale: .count(unit), column: .bare, integerScores: true, summary: summary),
            kind: .perRow { row, _ in RowScore(Double(count(try conversation(row)))) })
    }
}

extension ToolCall {
    /// Whether two calls are the same: the same tool, and arguments equal with numbers compared by
    /// value (`3` and `3.0` agree, as in Python).
    public func matches(_ other: ToolCall) -> Bool {
        name == other.name && comparable.arguments == other.comparable.arguments
    }

    /// The call with every number as a Double, so that `3` and `3.0` compare equal, as Python's `==`
    /// (which Ragas and agentevals use) has them.
    var comparable: ToolCall {
        ToolCall(name: name, arguments: arguments.mapValues(\.numbersAsDoubles))
    }
}

extension DataValue {
    var numbersAsDoubles: DataValue {
        switch self {
        case .int(let i): return .double(Double(i))
        case .list(let items): return .list(items.map(\.numbersAsDoubles))
        case .object(let members): return .object(members.mapValues(\.numbersAsDoubles))
        default: return self
        }
    }
}

/// A value as Python's `str()` writes what `json.loads` made of it (Ragas compares arguments so).
func pythonText(_ value: DataValue) -> String {
    switch value {
    case .string(let text): return text
    case .null: return "None"
    case .bool(let b): return b ? "True" : "False"
    case .int(let i): return String(i)
    case .double(let d):
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        return "\(d)"
    case .list(let items): return "[" + items.map(pythonRepr).joined(separator: ", ") + "]"
    case .object(let members): return "{" + members.keys.sorted().map { "\(pythonRepr(.string($0))): \(pythonRepr(members[$0]!))" }.joined(separator: ", ") + "}"
    }
}

private func pythonRepr(_ value: DataValue) -> String {
    guard case .string(let text) = value else { return pythonText(value) }
    let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
    var out = String(quote)
    for c in text {
        switch c {
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case quote: out += "\\" + String(quote)
        default: out.append(c)
        }
    }
    return out + String(quote)
}
