import Assay
import AssayTesting
import Foundation
import Testing

/// The pairwise judge against scripted judges whose taste is known.
@Suite struct PairwiseJudgeTests {
    /// A judge that answers from a rule over the two responses it is shown.
    struct ScriptedJudge: ChatCompleting {
        let identifier = "scripted"
        let answer: @Sendable (_ a: String, _ b: String) -> String
        let calls = Counter()

        func complete(_ request: ChatRequest) async throws -> ChatCompletion {
            calls.increment()
            let prompt = request.messages.last?.content ?? ""
            func between(_ label: String) -> String {
                guard let open = prompt.range(of: "<\(label)-"), let end = prompt[open.upperBound...].range(of: ">\n"),
                    let close = prompt[end.upperBound...].range(of: "\n</\(label)-")
                else { return "" }
                return String(prompt[end.upperBound..<close.lowerBound])
            }
            return ChatCompletion(text: answer(between("response-a"), between("response-b")))
        }
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func increment() { lock.withLock { value += 1 } }
        var count: Int { lock.withLock { value } }
    }

    static func runs(rows: Int = 20) -> (ComparedRun, ComparedRun) {
        let inputs = (0..<rows).map { "question \($0)" }
        func table(_ outputs: [String], errors: [String?] = []) -> LoggedTable {
            LoggedTable(
                columns: ["inputs", "ground_truth", "outputs", "error"],
                rows: inputs.indices.map { i in
                    [
                        .string(inputs[i]), .string("truth \(i)"), .string(outputs[i]),
                        errors.indices.contains(i) ? errors[i].map(DataValue.string) ?? .null : .null,
                    ]
                })
        }
        let baseline = table(inputs.indices.map { "short \($0)" }, errors: [nil, "HTTP 500"])
        let candidate = table(inputs.indices.map { "a longer answer \($0)" })
        return (ComparedRun(id: "a", name: "a", table: baseline), ComparedRun(id: "b", name: "b", table: candidate))
    }

    @Test func aJudgeThatAlwaysPrefersTheFirstPositionIsAllPositionBias() async throws {
        let (a, b) = Self.runs()
        let judge = ScriptedJudge { _, _ in #"{"preference": "A", "justification": "The first one reads better."}"# }
        let result = try await PairwiseJudge.preference.judge(a, b, model: judge)
        #expect(result.rowsLeftOut == 1, "the row whose model call failed is not asked")
        #expect(judge.calls.count == 38, "19 rows, both orders")
        #expect(result.positionBias == 1 && result.positionBiasRows == 19)
        // The orders cancel: every row is a tie, and there is no preference.
        #expect(result.ties == 19 && result.wins == 0 && result.losses == 0)
        #expect(result.winRate == 0.5)
        #expect(result.pValue == 1)
    }

    @Test func aJudgeWithTasteWinsInBothOrders() async throws {
        let (a, b) = Self.runs()
        // Prefers the longer response, in whichever position it is; on one row it cannot decide, on
        // another its answer is unreadable.
        let judge = ScriptedJudge { x, y in
            if x.hasSuffix(" 5") || y.hasSuffix(" 5") { return "tie" }
            if x.hasSuffix(" 7") || y.hasSuffix(" 7") { return "I would rather not say" }
            return x.count > y.count ? #"{"preference": "A", "justification": "longer"}"# : #"{"preference":"B","justification":"longer"}"#
        }
        let result = try await PairwiseJudge.preference.judge(a, b, model: judge)
        #expect(result.wins == 17 && result.ties == 1 && result.losses == 0 && result.invalid == 1)
        #expect(result.positionBias == 0)
        #expect(abs(result.winRate! - 17.5 / 18) < 1e-12)
        #expect(result.interval!.lowerBound > 0.5)
        #expect(result.pValue! < 0.001)
        #expect(result.rows.first { $0.outcome == 1 }?.justification == "longer | longer")
    }

    @Test func judgeFilesOfTheirOwnKind() throws {
        let document = try DataValue(
            json:
                #"{"type": "pairwise", "name": "conciseness_preference", "definition": "Which is shorter without losing facts.", "grading_prompt": "Prefer the shorter.", "include_input": false}"#
        )
        let judge = try PairwiseJudge(document: document, source: "conciseness.yaml")
        #expect(judge.key == "conciseness_preference/v1" && !judge.includeInput)
        #expect(throws: AssayError.self) { try PairwiseJudge(document: try DataValue(json: #"{"name": "x"}"#), source: "x.yaml") }
        // A pairwise file given where a scoring judge is expected says what it is.
        #expect { try JudgeDefinition(document: document, source: "conciseness.yaml") } throws: { "\($0)".contains("pairwise judge") }
    }
}
