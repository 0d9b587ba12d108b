/// Evaluates a model, or a dataset's stored predictions, with the model type's metrics plus extra ones.
///
/// The Swift counterpart of `mlflow.evaluate(model, data, targets=..., model_type=..., extra_metrics=[...])`.
/// With `model: nil` the evaluation is static: `predictions` names the column holding the outputs.
/// Rows stream through the engine in chunks, so memory stays bounded on large files.
///
/// ```swift
/// let data = try Dataset(contentsOf: "examples/qa.jsonl")
/// let result = try await evaluate(
///     data, targets: "ground_truth", predictions: "predictions",
///     modelType: .questionAnswering, extraMetrics: [.bleu])
/// print(result.metrics["exact_match/v1"] ?? 0)
/// ```
///
/// - Parameters:
///   - data: The dataset.
///   - model: The model that answers each row, or nil for a static evaluation.
///   - targets: The column holding the ground truth, if any.
///   - predictions: In a static evaluation, the column holding the outputs.
///   - modelType: Selects the default metrics; nil means only `extraMetrics`.
///   - extraMetrics: Metrics run after the model type's.
///   - configuration: Column mapping, k, tokenizer and engine settings.
/// - Returns: Aggregate metrics keyed as MLflow keys them, and the per-row table.
/// - Throws: ``AssayError`` for bad input (missing columns, metrics that cannot run), naming the place.
public func evaluate(
    _ data: Dataset, model: (any LanguageModel)? = nil, targets: String? = nil, predictions: String? = nil,
    modelType: ModelType? = nil, extraMetrics: [Metric] = [], configuration: EvaluationConfiguration = .init()
) async throws(AssayError) -> EvaluationResult {
    var engine = try EvaluationEngine(
        data: data, model: model, targets: targets, predictions: predictions, modelType: modelType,
        extraMetrics: extraMetrics, configuration: configuration)
    return try await engine.run()
}

/// The evaluation engine behind ``evaluate(_:model:targets:predictions:modelType:extraMetrics:configuration:)``.
struct EvaluationEngine: Sendable {
    static let chunkSize = 2048

    let data: Dataset
    let model: (any LanguageModel)?
    let targets: String?
    let predictions: String?
    let modelType: ModelType?
    let configuration: EvaluationConfiguration
    let requested: [Metric]
    let explicitKeys: Set<String>

    init(
        data: Dataset, model: (any LanguageModel)?, targets: String?, predictions: String?, modelType: ModelType?,
        extraMetrics: [Metric], configuration: EvaluationConfiguration
    ) throws(AssayError) {
        guard modelType != nil || !extraMetrics.isEmpty else {
            throw .invalidInput("nothing to compute: give a model type or at least one metric")
        }
        if model != nil, let predictions {
            throw .invalidInput(
                "predictions column '\(predictions)' was given with a model; a model's answers are the predictions, "
                    + "so leave out the predictions column or the model")
        }
        if model == nil && predictions == nil {
            throw .needs(.predictionsColumn, "a static evaluation needs the column that holds the predictions")
        }
        guard configuration.retrieverK > 0 else { throw .invalidInput("retriever k must be positive, not \(configuration.retrieverK)") }
        self.data = data
        self.model = model
        self.targets = targets
        self.predictions = predictions
        self.modelType = modelType
        self.configuration = configuration
        // Extra metrics replace a preset metric of the same key, as a later map update does in MLflow.
        let extraKeys = Set(extraMetrics.map(\.info.key))
        let preset = (modelType?.defaultMetrics(configuration: configuration) ?? []).filter { !extraKeys.contains($0.info.key) }
        var seen = Set<String>()
        self.requested = (preset + extraMetrics).filter { seen.insert($0.info.key).inserted }
        self.explicitKeys = extraKeys
    }

    /// The name of the predictions column in the table (MLflow: the original name when there are
    /// targets in a static run, `outputs` otherwise).
    var outputColumnName: String {
        if model == nil, targets != nil, let predictions { return predictions }
        return "outputs"
    }

    mutating func run() async throws(AssayError) -> EvaluationResult {
        let startTime = MetricPoint.now()
        var reader = try data.makeReader()
        guard let first = try reader.next() else {
            throw .invalidInput("\(data.path ?? data.name): the dataset has no rows")
        }
        // A model's further outputs (an application's retrieved context) are columns of every row.
        let answeredColumns = first.columns.adding(model?.outputColumns ?? [])
        try validateColumns(answeredColumns)
        try model?.validate(columns: first.columns.names)
        let plan = try makePlan(columns: answeredColumns)
        // Metrics' resources load at once, each on a core of its own, while the first rows are read.
        for metric in plan.perRow {
            if let prepare = metric.prepare { Task.detached(priority: .high) { prepare() } }
        }

        let store = RowStore()
        var columns = [ScoreColumn](repeating: ScoreColumn(), count: plan.perRow.count)
        // With samples, which dataset row each score belongs to.
        var rowNumbers: [Int] = []
        let sampled = model != nil && configuration.repeats > 1
        var failed = 0
        var done = 0
        // Which of the model's further outputs some row had (the others get no column of their own).
        var outputsGiven = Set<Int>()
        // A pipeline: while one chunk is answered and scored, the next is read and the previous stored.
        var usage = UsageSummary()
        var chunk = samples(of: first)
        try readChunk(into: &chunk, from: &reader)
        var inFlight = process(chunk, plan: plan)
        while !chunk.isEmpty {
            var next: [DataRow] = []
            do {
                // After an interruption, finish the chunks under way but read no more.
                if !Task.isCancelled { try readChunk(into: &next, from: &reader) }
            } catch {
                inFlight.cancel()
                throw error
            }
            let (answers, scores, judgeUsage) = try await Self.wait(for: inFlight)
            usage.merge(judges: judgeUsage)
            if !next.isEmpty { inFlight = process(next, plan: plan) }
            do {
                for (i, row) in chunk.enumerated() {
                    // Rows the interruption kept from being answered are not results at all.
                    if answers[i].interrupted {
                        usage.add(answers[i])
                        continue
                    }
                    let cells = scores[i]
                    for (m, cell) in cells.enumerated() { columns[m].append(cell) }
                    if sampled { rowNumbers.append(row.number) }
                    if answers[i].error != nil { failed += 1 }
                    for (k, value) in answers[i].otherOutputs.enumerated() where !value.isNull { outputsGiven.insert(k) }
                    usage.add(answers[i])
                    try store.append(StoredRow(row: row, answer: answers[i], cells: cells))
                }
            } catch {
                inFlight.cancel()
                throw .internal("cannot keep evaluated rows: \(error)")
            }
            done += chunk.count
            configuration.progress?(EvaluationProgress(rows: done, fractionRead: reader.fractionRead))
            chunk = next
        }
        do { try store.seal() } catch { throw .internal("cannot keep evaluated rows: \(error)") }

        let finalColumns = reader.columns
        let wholeValues = try computeWholeMetrics(plan: plan, store: store, columns: finalColumns, scores: columns)
        usage.interrupted = Task.isCancelled
        var result = try assemble(
            plan: plan, store: store, datasetColumns: finalColumns, scores: columns, wholeValues: wholeValues,
            rowNumbers: rowNumbers, failed: failed, usage: usage, outputsGiven: outputsGiven)
        result.startTime = startTime
        return result
    }

    /// The row, once per sample.
    private func samples(of row: DataRow) -> [DataRow] {
        let repeats = model == nil ? 1 : max(1, configuration.repeats)
        return (0..<repeats).map { sample in
            var copy = row
            copy.sample = sample
            return copy
        }
    }

    private func readChunk(into chunk: inout [DataRow], from reader: inout any DatasetReader) throws(AssayError) {
        while chunk.count < Self.chunkSize, let row = try reader.next() { chunk += samples(of: row) }
    }

    // MARK: - Validation and planning

    private func validateColumns(_ columns: ColumnIndex) throws(AssayError) {
        let names = columns.names
        if let targets, !columns.contains(targets) {
            throw .unknownColumn(targets, role: "targets", available: names)
        }
        if let predictions, !columns.contains(predictions) {
            throw .unknownColumn(predictions, role: "predictions", available: names)
        }
        if configuration.inputsColumn != "inputs", !columns.contains(configuration.inputsColumn) {
            throw .unknownColumn(configuration.inputsColumn, role: "inputs", available: names)
        }
        for (argument, column) in configuration.columnMapping.sorted(by: { $0.key < $1.key })
        where !columns.contains(column) {
            throw .unknownColumn(column, role: "column mapping '\(argument)=\(column)':", available: names)
        }
    }

    struct Plan {
        /// Metrics scored row by row (latency included), in table order.
        var perRow: [Metric]
        /// Metrics computed over the whole evaluation, in dependency order.
        var whole: [Metric]
        var skipped: [SkippedMetric]
        /// The scoring workers' scratch spaces, kept from chunk to chunk.
        var scratches = ScratchPool()
    }

    private func makePlan(columns: ColumnIndex) throws(AssayError) -> Plan {
        var perRow: [Metric] = []
        var whole: [Metric] = []
        var skipped: [SkippedMetric] = []
        for metric in requested {
            let key = metric.info.key
            let explicit = explicitKeys.contains(key)
            if let reason = metric.unavailableReason {
                skipped.append(SkippedMetric(key: key, reason: reason, requirement: metric.unavailableRequirement))
                continue
            }
            let missing = metric.arguments.map { configuration.columnMapping[$0] ?? $0 }.filter { !columns.contains($0) }
            if let column = missing.first {
                let reason = "reads the column '\(column)', which the dataset lacks; map another column to it"
                if explicit {
                    throw .needs(
                        .columnMapping(argument: column),
                        "metric \(key) \(reason); the columns are: \(columns.names.map { "'\($0)'" }.joined(separator: ", "))")
                }
                skipped.append(SkippedMetric(key: key, reason: reason, requirement: .columnMapping(argument: column)))
                continue
            }
            if metric.info.needs.contains(.targets), targets == nil {
                if explicit {
                    throw .needs(.targetsColumn, "metric \(key) compares with the ground truth and needs a targets column")
                }
                skipped.append(SkippedMetric(key: key, reason: "needs a targets column", requirement: .targetsColumn))
                continue
            }
            switch metric.kind {
            case .whole: whole.append(metric)
            case .latency: perRow.insert(metric, at: 0)  // MLflow puts latency first.
            default: perRow.append(metric)
            }
        }
        return Plan(perRow: perRow, whole: try orderByDependencies(whole, available: Set(perRow.map(\.info.name))), skipped: skipped)
    }

    private func orderByDependencies(_ metrics: [Metric], available: Set<String>) throws(AssayError) -> [Metric] {
        var ordered: [Metric] = []
        var done = available
        var pending = metrics
        while !pending.isEmpty {
            let ready = pending.filter { $0.dependencies.allSatisfy { done.contains(baseName($0)) } }
            guard !ready.isEmpty else {
                let lines = pending.map { m in
                    let missing = m.dependencies.filter { !done.contains(baseName($0)) }
                    return "\(m.info.name) needs \(missing.joined(separator: ", "))"
                }
                throw .invalidInput(
                    "cannot order the custom metrics: \(lines.joined(separator: "; ")); metrics that ran: "
                        + done.sorted().joined(separator: ", "))
            }
            ordered += ready
            done.formUnion(ready.map(\.info.name))
            pending.removeAll { m in ready.contains { $0.info.key == m.info.key } }
        }
        return ordered
    }

    private func baseName(_ key: String) -> String {
        String(key.split(separator: "/", maxSplits: 1).first ?? Substring(key))
    }

    // MARK: - Answering and scoring

    /// A chunk's answers, per-row scores, and what its judge calls used.
    typealias ChunkResult = (answers: [Answer], scores: [[RowScore]], judgeUsage: UsageSummary)

    private func process(_ chunk: [DataRow], plan: Plan) -> Task<ChunkResult, any Error> {
        Task {
            let answers = try await answer(chunk)
            let judged = try await judge(chunk, answers, plan: plan)
            return (answers, try await score(chunk, answers, judged.scores, plan: plan), judged.usage)
        }
    }

    private static func wait(for task: Task<ChunkResult, any Error>) async throws(AssayError) -> ChunkResult {
        do {
            // The chunk runs in its own task; cancelling the evaluation (Ctrl-C) must reach it.
            return try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
        } catch let error as AssayError {
            throw error
        } catch {
            throw .internal("\(error)")
        }
    }

    struct Answer: Sendable {
        var output: DataValue
        var latency: Double
        var error: String?
        var cached = false
        var usage: TokenUsage?
        var cost: Double?
        var budgetExhausted = false
        var interrupted = false
        /// The model's further outputs, in the order of its `outputColumns` (empty when it has none).
        var otherOutputs: [DataValue] = []
    }

    /// Answers a chunk's rows with the model, at most `concurrency` at a time. A row whose call fails
    /// keeps its error; an error that says the input is wrong (bad credentials, a rejected request)
    /// would fail every row alike, so it stops the run.
    private func answer(_ chunk: [DataRow]) async throws(AssayError) -> [Answer] {
        guard let model else {
            return chunk.map { Answer(output: $0[predictions!], latency: 0) }
        }
        let interrupted = Answer(output: .null, latency: 0, error: "not answered: the run was interrupted", interrupted: true)
        let outcome = await boundedMap(chunk, width: configuration.concurrency) { _, row -> Result<Answer, AssayError> in
            if Task.isCancelled { return .success(interrupted) }
            let clock = ContinuousClock()
            let start = clock.now
            do {
                let response = try await model.respond(to: row)
                return .success(
                    Answer(
                        output: response.output, latency: response.latency ?? seconds(clock.now - start), cached: response.cached,
                        usage: response.usage, cost: response.cost,
                        otherOutputs: model.outputColumns.map { response.otherOutputs[$0] ?? .null }))
            } catch let error as AssayError where error.kind == .invalidInput {
                return .failure(error)
            } catch let error as AssayError where error.kind == .budgetExhausted {
                return .success(Answer(output: .null, latency: 0, error: error.message, budgetExhausted: true))
            } catch is CancellationError {
                return .success(interrupted)
            } catch {
                return .success(Answer(output: .null, latency: seconds(clock.now - start), error: "\(error)"))
            }
        }
        return try outcome.get()
    }

    private var scoringContext: ScoringContext {
        ScoringContext(
            targets: targets, inputsColumn: configuration.inputsColumn, outputColumn: predictions ?? "outputs",
            mapping: configuration.columnMapping, otherOutputColumns: model?.outputColumns ?? [])
    }

    /// Asks the judges about a chunk's answered rows, at most `concurrency` calls at a time. A judge
    /// call that fails after its retries leaves that row without a score (and says why); bad
    /// credentials stop the run.
    private func judge(
        _ chunk: [DataRow], _ answers: [Answer], plan: Plan
    ) async throws(AssayError)
        -> (scores: [[RowScore?]], usage: UsageSummary)
    {
        let judges: [(Int, JudgeRunner)] = plan.perRow.enumerated().compactMap { index, metric in
            if case .judge(let runner) = metric.kind { return (index, runner) }
            return nil
        }
        guard !judges.isEmpty else { return ([], UsageSummary()) }
        let context = scoringContext
        var jobs: [(row: Int, metric: Int, runner: JudgeRunner)] = []
        for row in chunk.indices where answers[row].error == nil {
            for (metric, runner) in judges { jobs.append((row, metric, runner)) }
        }
        let calls = jobs.map { (runner: $0.runner, metric: $0.metric, input: context.metricRow(chunk[$0.row], answers[$0.row])) }
        let outcome = await boundedMap(calls, width: configuration.concurrency) {
            _, job -> Result<(RowScore, [ChatCompletion]), AssayError> in
            do {
                return .success(try await job.runner.score(job.input))
            } catch let error as AssayError where error.kind == .invalidInput {
                return .failure(AssayError(error.kind, "judge \(plan.perRow[job.metric].info.key): \(error.message)"))
            } catch {
                return .success((RowScore(nil, justification: "the judge call failed: \(error)"), []))
            }
        }
        var results = Array(repeating: [RowScore?](repeating: nil, count: plan.perRow.count), count: chunk.count)
        var usage = UsageSummary()
        for (job, (score, completions)) in zip(jobs, try outcome.get()) {
            results[job.row][job.metric] = score
            for completion in completions { usage.addJudge(completion) }
        }
        return (results, usage)
    }

    private func score(
        _ chunk: [DataRow], _ answers: [Answer], _ judged: [[RowScore?]], plan: Plan
    ) async throws(AssayError) -> [[RowScore]] {
        let metrics = plan.perRow
        guard !metrics.isEmpty else { return Array(repeating: [], count: chunk.count) }
        let workers = max(1, min(configuration.scoringWorkers, chunk.count / 64 + 1))
        let sliceSize = (chunk.count + workers - 1) / workers
        let context = scoringContext
        let scratches = plan.scratches
        do {
            return try await withThrowingTaskGroup(of: (Int, [[RowScore]]).self) { group in
                for w in 0..<workers {
                    let range = (w * sliceSize)..<min(chunk.count, (w + 1) * sliceSize)
                    guard !range.isEmpty else { continue }
                    group.addTask {
                        var scratch = scratches.take()
                        defer { scratches.give(scratch) }
                        var out: [[RowScore]] = []
                        out.reserveCapacity(range.count)
                        for i in range {
                            out.append(
                                try context.score(
                                    chunk[i], answers[i], judged: judged.isEmpty ? [] : judged[i], metrics: metrics, scratch: &scratch))
                        }
                        return (range.lowerBound, out)
                    }
                }
                var all = [[RowScore]](repeating: [], count: chunk.count)
                for try await (start, part) in group {
                    for (offset, scores) in part.enumerated() { all[start + offset] = scores }
                }
                return all
            }
        } catch let error as AssayError {
            throw error
        } catch {
            throw .internal("\(error)")
        }
    }

    // MARK: - Whole-evaluation metrics

    private func computeWholeMetrics(
        plan: Plan, store: RowStore, columns: ColumnIndex, scores: [ScoreColumn]
    )
        throws(AssayError) -> [MetricValue]
    {
        guard !plan.whole.isEmpty else { return [] }
        var rows: [DataRow] = []
        var predictionValues: [DataValue] = []
        let context = scoringContext
        do {
            try store.forEach { stored in
                rows.append(
                    context.answered(DataRow(columns: columns, values: stored.values, number: rows.count + 1), outputs: stored.otherOutputs))
                predictionValues.append(stored.prediction)
                return true
            }
        } catch {
            throw .internal("cannot read evaluated rows back: \(error)")
        }
        var computed: [String: MetricValue] = [:]
        for (metric, column) in zip(plan.perRow, scores) {
            computed[metric.info.key] = MetricValue(scores: column.optionals)
        }
        var values: [MetricValue] = []
        for metric in plan.whole {
            guard case .whole(let compute) = metric.kind else { continue }
            let frame = EvaluationFrame(
                predictions: predictionValues, targets: targets.map { t in rows.map { $0[t] } }, rows: rows,
                metrics: computed, mapping: configuration.columnMapping)
            let value: MetricValue
            do {
                value = try compute(frame)
            } catch {
                throw .invalidInput("custom metric \(metric.info.name) failed: \(error)")
            }
            if !value.scores.isEmpty && value.scores.count != rows.count {
                throw .invalidInput(
                    "custom metric \(metric.info.name) returned \(value.scores.count) scores for \(rows.count) rows")
            }
            if let j = value.justifications, !j.isEmpty, j.count != rows.count {
                throw .invalidInput(
                    "custom metric \(metric.info.name) returned \(j.count) justifications for \(rows.count) rows")
            }
            computed[metric.info.key] = value
            values.append(value)
        }
        return values
    }

    // MARK: - Results

    private func assemble(
        plan: Plan, store: RowStore, datasetColumns: ColumnIndex, scores: [ScoreColumn], wholeValues: [MetricValue],
        rowNumbers: [Int], failed: Int, usage: UsageSummary, outputsGiven: Set<Int>
    ) throws(AssayError) -> EvaluationResult {
        var metrics: [String: Double] = [:]
        var keys: [String] = []
        var unscored: [String: Int] = [:]
        func record(_ key: String, _ value: Double?) {
            guard let value else { return }
            if metrics[key] == nil { keys.append(key) }
            metrics[key] = value
        }
        for (metric, column) in zip(plan.perRow, scores) {
            let present = column.present
            if !metric.info.aggregations.isEmpty, present.count < column.values.count {
                unscored[metric.info.key] = column.values.count - present.count
            }
            for aggregation in aggregations(of: metric.info) {
                record(metric.info.resultKey(for: aggregation), aggregation.compute(present))
            }
            if case .judge = metric.kind {
                record("\(metric.info.key)/invalid_count", Double(column.invalidCount))
                if !column.repeatSpreads.isEmpty {
                    record("\(metric.info.key)/repeat_std_mean", Aggregation.mean.compute(column.repeatSpreads))
                }
                if column.repeatAgreements.total > 0 {
                    record(
                        "\(metric.info.key)/repeat_agreement",
                        Double(column.repeatAgreements.agreeing) / Double(column.repeatAgreements.total))
                }
            }
            if !rowNumbers.isEmpty {
                let samples = SampleSummary(column.values, rows: rowNumbers, k: configuration.passK ?? configuration.repeats)
                record("\(metric.info.key)/sample_std_mean", samples.meanSpread)
                if metric.info.passFail {
                    record("\(metric.info.key)/pass@\(samples.k)", samples.passAtK)
                    record("\(metric.info.key)/pass^\(samples.k)", samples.passAllK)
                }
            }
            // Every bounded metric also reports its mean on 0..1, so scales can be read side by side.
            if metric.info.aggregations.contains(.mean), let mean = Aggregation.mean.compute(present),
                let normalized = metric.info.scale.normalized(mean)
            {
                record("\(metric.info.key)/mean_normalized", normalized)
            }
        }
        for (metric, value) in zip(plan.whole, wholeValues) {
            if let aggregates = value.aggregateResults {
                for name in aggregates.keys.sorted() {
                    record(name == metric.info.name ? metric.info.key : "\(metric.info.key)/\(name)", aggregates[name])
                }
            } else {
                let present = value.scores.compactMap { $0 }
                if present.count < value.scores.count { unscored[metric.info.key] = value.scores.count - present.count }
                for aggregation in aggregations(of: metric.info) {
                    record(metric.info.resultKey(for: aggregation), aggregation.compute(present))
                }
            }
        }

        let table = makeTable(
            plan: plan, store: store, datasetColumns: datasetColumns, scores: scores, wholeValues: wholeValues,
            usage: usage, outputsGiven: outputsGiven)
        return EvaluationResult(
            metrics: metrics, metricKeys: keys, tables: ["eval_results_table": table],
            metricInfos: plan.perRow.map(\.info) + plan.whole.map(\.info), skippedMetrics: plan.skipped,
            unscoredRows: unscored, rowCount: store.count, failedRows: failed, datasetName: data.name,
            model: model?.identifier, modelType: modelType, usage: usage,
            judges: plan.perRow.compactMap(\.judgeDefinition))
    }

    /// A metric's aggregations plus the configuration's extra ones (for metrics that are summarised at all).
    private func aggregations(of info: MetricInfo) -> [Aggregation] {
        guard !info.aggregations.isEmpty, info.column != .none else { return info.aggregations }
        return info.aggregations + configuration.extraAggregations.filter { !info.aggregations.contains($0) }
    }

    private func makeTable(
        plan: Plan, store: RowStore, datasetColumns: ColumnIndex, scores: [ScoreColumn], wholeValues: [MetricValue],
        usage: UsageSummary, outputsGiven: Set<Int>
    ) -> ResultTable {
        var names: [String] = []
        var featurePositions: [Int] = []
        // A model's further outputs replace the dataset's cells of the same name, or follow its columns.
        let otherOutputs = model?.outputColumns ?? []
        var replacedFeatures: [Int: Int] = [:]
        for (i, name) in datasetColumns.names.enumerated() where name != targets && name != predictions {
            if let output = otherOutputs.firstIndex(of: name) { replacedFeatures[featurePositions.count] = output }
            names.append(name)
            featurePositions.append(i)
        }
        let appendedOutputs = otherOutputs.indices.filter { !datasetColumns.contains(otherOutputs[$0]) && outputsGiven.contains($0) }
        names += appendedOutputs.map { otherOutputs[$0] }
        var floatColumns = Set<Int>()
        let targetPosition = targets.flatMap { datasetColumns.position(of: $0) }
        if let targets { names.append(targets) }
        names.append(outputColumnName)
        // A live model's columns: errors, samples, cache hits, tokens and cost where reported.
        let hasErrorColumn = model != nil
        let hasSampleColumn = model != nil && configuration.repeats > 1
        let hasCachedColumn = model != nil
        let hasUsageColumns = usage.rowsWithUsage > 0
        let hasCostColumn = usage.rowsWithCost > 0
        if hasErrorColumn { names.append("error") }
        if hasSampleColumn { names.append("sample") }
        if hasCachedColumn { names.append("cached") }
        if hasUsageColumns { names += ["prompt_tokens", "completion_tokens"] }
        if hasCostColumn { names.append("cost") }
        for i in names.indices where ["prompt_tokens", "completion_tokens"].contains(names[i]) && usage.rowsWithUsage < store.count {
            floatColumns.insert(i)
        }

        // Which stored cells become columns: (metric index, justification?, as integer?).
        var cellColumns: [(metric: Int, justification: Bool, integer: Bool)] = []
        for (m, metric) in plan.perRow.enumerated() {
            switch metric.info.column {
            case .none:
                continue
            case .bare:
                if metric.info.integerScores && scores[m].hasNull { floatColumns.insert(names.count) }
                names.append(metric.info.name)
                cellColumns.append((m, false, metric.info.integerScores))
            case .scoreAndJustification:
                names.append("\(metric.info.key)/score")
                cellColumns.append((m, false, metric.info.integerScores))
                if scores[m].hasJustification {
                    names.append("\(metric.info.key)/justification")
                    cellColumns.append((m, true, false))
                }
            }
        }
        var wholeColumns: [[DataValue]] = []
        for (metric, value) in zip(plan.whole, wholeValues) {
            if !value.scores.isEmpty {
                names.append("\(metric.info.key)/score")
                wholeColumns.append(value.scores.map { $0.map(DataValue.double) ?? .null })
            }
            if let justifications = value.justifications, !justifications.isEmpty {
                names.append("\(metric.info.key)/justification")
                wholeColumns.append(justifications.map { $0.map(DataValue.string) ?? .null })
            }
        }

        let columnCount = names.count
        let (features, cells, extra, replaced) = (featurePositions, cellColumns, wholeColumns, replacedFeatures)
        return ResultTable(columns: names, rowCount: store.count, floatColumns: floatColumns) { body in
            var index = 0
            try store.forEach { stored in
                var row: [DataValue] = []
                row.reserveCapacity(columnCount)
                let answered = stored.otherOutputs.count == otherOutputs.count && stored.error == nil
                for (f, p) in features.enumerated() {
                    if answered, let output = replaced[f], !stored.otherOutputs[output].isNull {
                        row.append(stored.otherOutputs[output])
                    } else {
                        row.append(p < stored.values.count ? stored.values[p] : .null)
                    }
                }
                for output in appendedOutputs { row.append(answered ? stored.otherOutputs[output] : .null) }
                if let targetPosition { row.append(targetPosition < stored.values.count ? stored.values[targetPosition] : .null) }
                row.append(stored.prediction)
                if hasErrorColumn { row.append(stored.error.map(DataValue.string) ?? .null) }
                if hasSampleColumn { row.append(.int(stored.sample)) }
                if hasCachedColumn { row.append(.bool(stored.cached)) }
                if hasUsageColumns {
                    row.append(stored.usage.map { .int($0.promptTokens) } ?? .null)
                    row.append(stored.usage.map { .int($0.completionTokens) } ?? .null)
                }
                if hasCostColumn { row.append(stored.cost.map(DataValue.double) ?? .null) }
                for column in cells {
                    let cell = stored.cells[column.metric]
                    if column.justification {
                        row.append(cell.justification.map(DataValue.string) ?? .null)
                    } else if let v = cell.value, !v.isNaN {
                        row.append(column.integer && v == v.rounded() && abs(v) < 1e15 ? .int(Int(v)) : .double(v))
                    } else {
                        row.append(.null)
                    }
                }
                for column in extra { row.append(column[index]) }
                index += 1
                return try body(row)
            }
        }
    }
}

/// What scoring one row needs, shared read-only by the scoring workers.
struct ScoringContext: Sendable {
    let targets: String?
    let inputsColumn: String
    let outputColumn: String
    let mapping: [String: String]
    /// The model's further output columns (``LanguageModel/outputColumns``).
    var otherOutputColumns: [String] = []

    func metricRow(_ row: DataRow, _ answer: EvaluationEngine.Answer) -> MetricRow {
        let row = answered(row, answer)
        return MetricRow(
            row: row, prediction: answer.output, target: targets.map { row[$0] },
            inputs: row.columns.contains(inputsColumn) ? row[inputsColumn] : nil,
            predictionColumn: outputColumn, targetColumn: targets ?? "targets", mapping: mapping)
    }

    /// The row with the model's further outputs as columns, replacing dataset cells of the same name.
    func answered(_ row: DataRow, _ answer: EvaluationEngine.Answer) -> DataRow {
        answered(row, outputs: answer.otherOutputs)
    }

    func answered(_ row: DataRow, outputs: [DataValue]) -> DataRow {
        // Only rows where the model gave a further output pay for a wider row.
        guard !otherOutputColumns.isEmpty, outputs.count == otherOutputColumns.count, outputs.contains(where: { !$0.isNull }) else {
            return row
        }
        let columns = row.columns.adding(otherOutputColumns)
        var values = row.values
        if values.count < columns.names.count { values += Array(repeating: .null, count: columns.names.count - values.count) }
        for (name, value) in zip(otherOutputColumns, outputs) where !value.isNull {
            if let position = columns.position(of: name) { values[position] = value }
        }
        var merged = DataRow(columns: columns, values: values, number: row.number, line: row.line)
        merged.sample = row.sample
        return merged
    }

    func score(
        _ row: DataRow, _ answer: EvaluationEngine.Answer, judged: [RowScore?], metrics: [Metric], scratch: inout TextScratch
    ) throws -> [RowScore] {
        if answer.error != nil {
            // A failed model call has nothing to score; the row keeps its error and stays out of aggregates.
            return metrics.map { _ in RowScore(nil) }
        }
        let input = metricRow(row, answer)
        var scores: [RowScore] = []
        scores.reserveCapacity(metrics.count)
        for (index, metric) in metrics.enumerated() {
            switch metric.kind {
            case .perRow(let compute):
                do {
                    scores.append(try compute(input, &scratch))
                } catch let error as AssayError {
                    throw error
                } catch {
                    throw AssayError.invalidInput("metric \(metric.info.name) failed on \(row.location): \(error)")
                }
            case .latency:
                scores.append(RowScore(answer.latency))
            case .judge:
                scores.append((index < judged.count ? judged[index] : nil) ?? RowScore(nil))
            case .whole, .unavailable:
                scores.append(RowScore(nil))
            }
        }
        return scores
    }
}

private func seconds(_ duration: Duration) -> Double {
    let (s, attoseconds) = duration.components
    return Double(s) + Double(attoseconds) / 1e18
}
