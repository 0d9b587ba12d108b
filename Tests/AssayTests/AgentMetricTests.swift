import Assay
import Foundation
import Testing

/// Tool-call and trajectory metrics against the packages that define them: a fixture of generated
/// conversations scored by Ragas and agentevals (`scripts/make-agent-reference`).
@Suite struct AgentMetricTests {
    static func reference() throws -> (Dataset, [[String: Any]]) {
        let url = try #require(Bundle.module.url(forResource: "agent-reference", withExtension: "jsonl", subdirectory: "Fixtures"))
        let rows = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        return (try Dataset(contentsOf: url.path), rows)
    }

    @Test func scoresAgreeWithRagasAndAgentevalsOnEveryRow() async throws {
        let (data, rows) = try Self.reference()
        let result = try await evaluate(
            data, predictions: "messages",
            extraMetrics: [
                .toolCallAccuracy, .toolCallF1, .trajectoryStrictMatch, .trajectoryUnorderedMatch, .trajectorySubsetMatch,
                .trajectorySupersetMatch,
            ])
        #expect(result.rowCount == rows.count)
        let pairs: [(metric: String, reference: String, tolerance: Double)] = [
            ("tool_call_accuracy/score", "ragas_tool_call_accuracy", 1e-12),
            // Ragas rounds F1 to four decimals.
            ("tool_call_f1/score", "ragas_tool_call_f1", 5e-5),
            ("trajectory_strict_match/score", "agentevals_strict", 0),
            ("trajectory_unordered_match/score", "agentevals_unordered", 0),
            ("trajectory_subset_match/score", "agentevals_subset", 0),
            ("trajectory_superset_match/score", "agentevals_superset", 0),
        ]
        var bothEmpty = 0
        for (metric, name, tolerance) in pairs {
            let scores = try result.scores(metric)
            for (i, row) in rows.enumerated() {
                let expected = try #require(row[name] as? Double)
                // Told from the fixture itself: no call expected, and no message of the conversation makes one.
                let expectedNone = (row["expected_tool_calls"] as? [Any])?.isEmpty == true
                let madeNone = (row["messages"] as? [[String: Any]])?.allSatisfy { $0["tool_calls"] == nil } == true
                if metric == "tool_call_f1/score", expectedNone && madeNone {
                    // The one definition that differs: no call expected and none made is 1 here, 0 in Ragas.
                    #expect(scores[i] == 1 && expected == 0, "row \(i + 1)")
                    bothEmpty += 1
                    continue
                }
                #expect(abs((scores[i] ?? .nan) - expected) <= tolerance, "\(metric) row \(i + 1) (\(row["case"] ?? "")): \(scores[i] ?? .nan) vs \(expected)")
            }
        }
        #expect(bothEmpty > 0 && bothEmpty < 20, "the fixture has a few rows with no call expected or made: \(bothEmpty)")
        // The fixture covers every kind of difference, and both outcomes of every match.
        #expect(Set(rows.compactMap { $0["case"] as? String }).count == 10)
        for name in ["agentevals_strict", "agentevals_unordered", "agentevals_subset", "agentevals_superset"] {
            #expect(Set(rows.compactMap { $0[name] as? Double }) == [0, 1])
        }
    }

    static let weather = #"{"name": "weather", "arguments": {"city": "Paris"}}"#
    static let search = #"{"name": "search", "arguments": {"query": "tower", "top_k": 3}}"#

    /// A row: the conversation's assistant calls and the expected steps, as JSON text.
    static func row(made: [String], expected: String, trajectory: String? = nil, toolResults: [String] = []) throws -> DataRow {
        var messages = [#"{"role": "user", "content": "Weather in Paris, and the tallest tower?"}"#]
        for call in made { messages.append(#"{"role": "assistant", "content": "", "tool_calls": [\#(call)]}"#) }
        messages += toolResults
        messages.append(#"{"role": "assistant", "content": "18 °C; the Eiffel Tower."}"#)
        var pairs: [(String, DataValue)] = [
            ("outputs", "18 °C; the Eiffel Tower."), ("messages", try DataValue(json: "[" + messages.joined(separator: ",") + "]")),
            ("expected_tool_calls", try DataValue(json: expected)),
        ]
        if let trajectory { pairs.append(("expected_trajectory", try DataValue(json: trajectory))) }
        return DataRow(columns: ColumnIndex(pairs.map(\.0)), values: pairs.map(\.1))
    }

    static func score(_ metric: Metric, _ row: DataRow) async throws -> Double? {
        let data = Dataset(columns: row.columns.names, rows: [row.values])
        let result = try await evaluate(data, predictions: "outputs", extraMetrics: [metric])
        let column = metric.info.column == .bare ? metric.info.name : "\(metric.info.key)/score"
        return try result.scores(column).first ?? nil
    }

    @Test func theOtherMetricsScoreWhatTheySay() async throws {
        let expected = "[\(Self.weather), \(Self.search)]"
        let swapped = try Self.row(made: [Self.search, Self.weather], expected: expected)
        #expect(try await Self.score(.toolNameAccuracy, swapped) == 0)
        #expect(try await Self.score(.toolArguments(.exact), swapped) == 1, "arguments are matched to the call of the same tool")
        #expect(try await Self.score(.trajectoryUnorderedMatch, swapped) == 1)
        #expect(try await Self.score(.trajectoryStrictMatch, swapped) == 0)

        let loose = try Self.row(
            made: [Self.weather, #"{"name": "search", "arguments": {"query": "tower", "top_k": "3", "lang": "en"}}"#], expected: expected)
        #expect(try await Self.score(.toolNameAccuracy, loose) == 1)
        #expect(try await Self.score(.toolArguments(.exact), loose) == 0.5)
        #expect(try await Self.score(.toolArguments(.subset), loose) == 0.5, "\"3\" is not 3")
        #expect(try await Self.score(.toolArguments(.types), loose) == 0.5)
        let typed = try Self.row(
            made: [Self.weather, #"{"name": "search", "arguments": {"query": "bridge", "top_k": 9, "lang": "en"}}"#], expected: expected)
        #expect(try await Self.score(.toolArguments(.types), typed) == 1)
        #expect(try await Self.score(.toolArguments(.subset), typed) == 0.5)

        // A trajectory of names ignores arguments; precision and recall count matched steps.
        let extra = try Self.row(
            made: [Self.weather, #"{"name": "calculator", "arguments": {"expression": "2+2"}}"#, Self.search], expected: expected,
            trajectory: #"["weather", "search"]"#,
            toolResults: [#"{"role": "tool", "content": "Error: division by zero", "is_error": true}"#, #"{"role": "tool", "content": "ok"}"#])
        #expect(try await Self.score(.trajectorySupersetMatch, extra) == 1)
        #expect(try await Self.score(.trajectorySubsetMatch, extra) == 0)
        #expect(try await Self.score(.trajectoryPrecision, extra) == 2.0 / 3.0)
        #expect(try await Self.score(.trajectoryRecall, extra) == 1)
        #expect(try await Self.score(.toolCallCount, extra) == 3)
        #expect(try await Self.score(.toolErrorCount, extra) == 1)
    }

    @Test func malformedConversationsAreNamedByRowAndMessage() async throws {
        let cases: [(String, String)] = [
            (#"[{"role": "user", "content": "hi"}, {"content": "no role"}]"#, "message 2: the message has no 'role'"),
            (#"[{"role": "robot", "content": "beep"}]"#, "message 1: the role 'robot' is not one of"),
            (#"[{"role": "assistant", "tool_calls": [{"arguments": {}}]}]"#, "message 1, tool call 1: a tool call needs a 'name'"),
            (#"[{"role": "assistant", "tool_calls": [{"name": "f", "arguments": "{not json"}]}]"#, "the arguments of f are not JSON"),
            (#"[{"role": "user", "tool_calls": [{"name": "f"}]}]"#, "only an assistant message makes tool calls"),
            (#"{"role": "user"}"#, "a conversation must be a list of messages"),
        ]
        for (messages, message) in cases {
            let data = Dataset(
                columns: ["outputs", "messages", "expected_tool_calls"],
                rows: [["fine", try DataValue(json: "[]"), "[]"], ["x", try DataValue(json: messages), try DataValue(json: "[]")]])
            let error = await assayError { _ = try await evaluate(data, predictions: "outputs", extraMetrics: [.toolCallF1]) }
            #expect(error?.message.contains("row 2") == true && error?.message.contains("column 'messages'") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
        }
        // A mixed trajectory and a dataset without the expected column are named too.
        let mixed = try Self.row(made: [Self.weather], expected: "[]", trajectory: #"["weather", {"name": "search"}]"#)
        let error = await assayError { _ = try await Self.score(.trajectoryRecall, mixed) }
        #expect(error?.message.contains("not a mix") == true, "\(error?.message ?? "")")
        let bare = Dataset(columns: ["outputs", "messages"], rows: [["x", "[]"]])
        let missing = await assayError { _ = try await evaluate(bare, predictions: "outputs", extraMetrics: [.toolCallF1]) }
        #expect(missing?.message.contains("expected_tool_calls") == true, "\(missing?.message ?? "")")
    }
}
