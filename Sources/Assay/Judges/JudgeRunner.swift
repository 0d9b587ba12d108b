/// Asks a judge model about one row (several times with repeats) and reads its answers.
struct JudgeRunner: Sendable {
    let definition: JudgeDefinition
    let model: any ChatCompleting
    let repeats: Int
    /// Holds this judge to its `maxWorkers` calls in flight, across the whole run.
    let limit: Permits

    /// The material the judge sees for a row, in prompt order.
    func material(_ row: MetricRow) -> [(label: String, text: String)] {
        var values: [(String, String)] = []
        if definition.includeInput { values.append(("input", row.inputs?.text ?? "")) }
        // Conversations are shown as transcripts (roles, tool calls and results), not as JSON.
        values.append(("output", Conversation.judgeText(row.prediction)))
        for column in definition.gradingContextColumns {
            let value = column == "targets" ? (row.target ?? row.argument("targets")) : row.argument(column)
            // A conversation that is also the graded output is shown once.
            if column == "messages", value == row.prediction { continue }
            values.append((column, Conversation.judgeText(value)))
        }
        return values
    }

    /// The row's score: the mean of the valid answers over the repeats; invalid when none is valid.
    /// Also returns the completions, for the run's usage and cost.
    func score(_ row: MetricRow) async throws -> (RowScore, [ChatCompletion]) {
        let messages = JudgePrompt.messages(definition, values: material(row))
        var answers: [JudgeAnswer] = []
        var completions: [ChatCompletion] = []
        for sample in 0..<repeats {
            let request = ChatRequest(
                messages: messages, parameters: definition.parameters, outputSchema: JudgePrompt.outputSchema(definition),
                sample: sample)
            let completion = try await limit.withPermit { try await model.complete(request) }
            completions.append(completion)
            answers.append(JudgeAnswer.read(completion.text, scale: definition.scale, promptMarker: JudgePrompt.marker))
        }
        let valid = answers.compactMap(\.score)
        guard let first = answers.first(where: \.isValid) else {
            var score = RowScore(nil, justification: answers.first?.justification)
            score.invalid = true
            return (score, completions)
        }
        let mean = valid.reduce(0, +) / Double(valid.count)
        var score = RowScore(mean, justification: first.justification)
        if repeats > 1 {
            score.justification =
                first.justification + " (scores of \(repeats) asks: "
                + answers.map { $0.score.map { JSONWriter.format($0, dialect: .exact) } ?? "invalid" }.joined(separator: ", ") + ")"
            if valid.count > 1 {
                score.repeatSpread = (valid.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(valid.count)).squareRoot()
            }
            score.repeatsAgree = valid.count == repeats && Set(valid).count == 1
        }
        return (score, completions)
    }
}

extension Metric {
    /// An LLM-as-a-judge metric asking `model` (`repeats` times per row) and reading its answers on the
    /// definition's scale. Invalid answers score nothing, keep their raw text in the justification and
    /// are counted as `<name>/<version>/invalid_count`.
    public static func judge(_ definition: JudgeDefinition, model: any ChatCompleting, repeats: Int = 1) -> Metric {
        var needs: MetricNeeds = .judge
        if definition.gradingContextColumns.contains("targets") { needs.insert(.targets) }
        if definition.gradingContextColumns.contains("context") { needs.insert(.context) }
        let info = MetricInfo(
            name: definition.name, version: definition.version, greaterIsBetter: definition.greaterIsBetter,
            scale: definition.scale.metricScale, needs: needs, aggregations: definition.aggregations,
            summary: definition.definition)
        let runner = JudgeRunner(
            definition: definition, model: model, repeats: max(1, repeats), limit: Permits(definition.maxWorkers))
        var metric = Metric(info: info, kind: .judge(runner))
        metric.arguments = definition.gradingContextColumns.filter { $0 != "targets" }
        return metric
    }

    /// The judge definition of a judge metric.
    public var judgeDefinition: JudgeDefinition? {
        if case .judge(let runner) = kind { return runner.definition }
        return nil
    }
}
