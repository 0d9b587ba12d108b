import ArgumentParser
import Assay
import AssayProviders
import AssayStoreSQLite
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `assay evaluate`: score a dataset's predictions and print a summary.
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a dataset's predictions with a model type's metrics and extra metrics.",
        discussion: """
            DATA is a CSV, JSON Lines or JSON-array file. Example:

              assay evaluate examples/qa.jsonl --targets ground_truth \\
                --predictions predictions --model-type question-answering \\
                --metrics bleu,rougeL

            With a live model, the model's answers are the predictions:

              assay evaluate examples/qa.jsonl --targets ground_truth \\
                --model openai:/gemma-3-270m \\
                --base-url http://127.0.0.1:8091/v1 \\
                --system-prompt "Answer in two sentences" \\
                --prompt "{inputs}" --model-type question-answering

            Your own application, as an HTTP endpoint or a command run once per
            row (the row as JSON on standard input):

              assay evaluate examples/qa.jsonl --targets ground_truth \\
                --model http://127.0.0.1:8000/ask \\
                --body '{"question": "{inputs}"}' --answer-path '$.answer' \\
                --context-path '$.documents[*].text'
              assay evaluate examples/qa.jsonl --targets ground_truth \\
                --model exec:.build/debug/qa-app

            Answers are cached (see --cache-dir): running the same command
            again sends nothing. Ctrl-C stops sending, keeps the rows answered
            so far and prints their results.
            """)

    @Argument(help: "The dataset file (.csv, .jsonl or .json); or give --traces or --dataset.")
    var data: String?

    @Option(
        help:
            "Evaluate an evaluation dataset kept in the tracking store (made with mlflow.genai.datasets), by its d-… id or its name: one row per record, a column per input and expectation field."
    )
    var dataset: String?

    @Option(
        help:
            "Evaluate the traces recorded in this experiment (name or id) instead of a dataset file: their inputs, outputs and retrieved context, without calling the model again."
    )
    var traces: String?

    @Option(
        help:
            "With --traces, only traces matching this filter, e.g. \"model = 'gpt-4o' and latency_ms > 500 and status != 'ERROR'\" (attributes: trace_id, name, status, model, latency_ms, input_tokens, output_tokens, span_count, timestamp_ms, run_id; also tags.KEY and request_metadata.KEY)."
    )
    var traceFilter: String?

    @Option(
        help:
            "With --traces, only traces started since then: an ISO 8601 date or time (2026-11-29, 2026-11-29T06:00:00Z) or a span back from now (30m, 24h, 7d)."
    )
    var since: String?

    @Option(help: "The model type, which picks the default metrics.")
    var modelType: ModelType?

    @Option(help: "The column holding the ground truth.")
    var targets: String?

    @Option(help: "The column holding the predictions (the outputs to evaluate).")
    var predictions: String?

    @Option(help: "The column holding the inputs (questions or prompts).")
    var inputs: String = "inputs"

    @Option(
        help: "Extra metrics, comma-separated (see `assay metrics`), e.g. bleu,rougeL,chrf; a .yaml/.json path is a judge definition file.")
    var metrics: String?

    @Option(
        name: [.customLong("metrics-from"), .customLong("metrics-from-run")],
        help:
            "Run a past run's judges again: a run id (or prefix) in the tracking store, its genai_custom_metrics.json, or an artifacts folder holding it."
    )
    var metricsFrom: String?

    @Option(help: "Write the run's artifacts here: eval_results_table.json, and genai_custom_metrics.json when judges ran.")
    var artifactsDir: String?

    @Option(name: .customLong("col-map"), help: "Map a metric argument to a column, as argument=column (repeatable).")
    var columnMappings: [String] = []

    @Option(help: "More aggregations for every metric, comma-separated: median, min, max (mean, variance and p90 are always there).")
    var aggregations: String?

    @Option(help: "k for precision_at_k, recall_at_k and ndcg_at_k.")
    var retrieverK: Int = 3

    @Option(help: "ROUGE tokenizer: mlflow (MLflow-compatible, ASCII letters only) or unicode.")
    var rougeTokenizer: RougeTokenizer = .mlflow

    @Option(help: "The regular expression for the regex_match metric.")
    var regex: String?

    @Option(help: "Keywords for the contains metric, comma-separated.")
    var contains: String?

    @Option(help: "The dataset format when the extension does not say.")
    var format: Dataset.Format?

    @Option(help: "Write metrics and the per-row table as JSON to this file.")
    var outputJson: String?

    @Option(help: "How many rows of the per-row table to print.")
    var showRows: Int = 5

    @OptionGroup(title: "Live model")
    var live: ModelOptions

    @Option(help: "The experiment the run is recorded in, created when new (default: Default, or with --traces the traces' experiment).")
    var experiment: String?

    @Option(help: "The run's name (default: made up).")
    var runName: String?

    @Flag(help: "Do not record the evaluation as a run.")
    var noTracking = false

    @OptionGroup(title: "Tracking")
    var tracking: TrackingOptions

    @Option(
        name: .customLong("fail-under"),
        help: "Exit 1 when a metric is under a threshold, as METRIC=NUMBER: answer_correctness/v1/mean=4 (repeatable).")
    var failUnder: [String] = []

    @Option(
        name: .customLong("fail-on-regression"),
        help: "Exit 1 when a metric with a direction is significantly worse than in this baseline run (id, id prefix, or name).")
    var failOnRegression: String?

    @OptionGroup(title: "Gate")
    var gate: GateOptions

    /// `--fail-under` and `--require` as gate conditions.
    func gateConditions() throws(AssayError) -> [GateCondition] {
        var conditions = try gate.conditions()
        for item in failUnder {
            guard let equals = item.lastIndex(of: "="), let value = Double(item[item.index(after: equals)...]), value.isFinite else {
                throw .invalidInput("--fail-under '\(item)': expected METRIC=NUMBER, such as answer_correctness/v1/mean=4")
            }
            conditions.append(GateCondition(.threshold(key: String(item[..<equals]), .atLeast, value)))
        }
        if failOnRegression != nil { conditions.append(.noRegression("all")) }
        return conditions
    }

    func validate() throws {
        guard [data != nil, traces != nil, dataset != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("give a dataset file, --traces EXPERIMENT or --dataset ID (one of them)")
        }
        if traces == nil, traceFilter != nil || since != nil {
            throw ValidationError("--trace-filter and --since go with --traces")
        }
        if let outputJson {
            // Checked before anything runs: after the evaluation, a bad output path would lose the work.
            var isFolder: ObjCBool = false
            if outputJson.hasSuffix("/") || FileManager.default.fileExists(atPath: outputJson, isDirectory: &isFolder) && isFolder.boolValue
            {
                throw ValidationError("--output-json \(outputJson) is a folder; give a file name such as \(outputJson)/results.json")
            }
        }
        do { _ = try gateConditions() } catch { throw ValidationError("\(error)") }
        if gate.junit != nil || gate.markdown != nil, try gateConditions().isEmpty {
            throw ValidationError("--junit and --markdown report a gate: give --fail-under, --require or --fail-on-regression")
        }
    }

    func run() async throws {
        try await tracking.using { connection in try await runEvaluation(connection) }
    }

    private func runEvaluation(_ connection: TrackingConnection) async throws {
        var configuration = EvaluationConfiguration()
        configuration.inputsColumn = inputs
        configuration.retrieverK = retrieverK
        configuration.rougeTokenizer = rougeTokenizer
        configuration.regexPattern = regex
        configuration.containsKeywords = contains.map(splitList) ?? []
        for name in aggregations.map(splitList) ?? [] {
            guard let aggregation = Aggregation(named: name) else {
                throw AssayError.invalidInput("unknown aggregation '\(name)'; use median, min, max, mean, variance, p90 or ratio")
            }
            configuration.extraAggregations.append(aggregation)
        }
        for mapping in columnMappings {
            let parts = mapping.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw AssayError.invalidInput("--col-map '\(mapping)' must look like argument=column")
            }
            configuration.columnMapping[parts[0]] = parts[1]
        }
        let type = modelType
        // Judge definitions from files, and the models they and the run need.
        var judgeFiles: [JudgeDefinition] = []
        var names: [String] = []
        for item in metrics.map(splitList) ?? [] {
            if [".yaml", ".yml", ".json"].contains(where: { item.lowercased().hasSuffix($0) }) {
                judgeFiles += try JudgeDefinition.load(item)
            } else {
                names.append(item)
            }
        }
        if let metricsFrom {
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: metricsFrom, isDirectory: &isFolder)
            let file: String
            if exists {
                file = isFolder.boolValue ? (metricsFrom as NSString).appendingPathComponent("genai_custom_metrics.json") : metricsFrom
            } else if metricsFrom.allSatisfy(\.isHexDigit) {
                file = try await recordedArtifact(
                    run: metricsFrom, path: "genai_custom_metrics.json", missing: "recorded no judges", connection: connection)
            } else {
                throw AssayError.invalidInput("--metrics-from-run \(metricsFrom): no such file or folder, and not a run id")
            }
            judgeFiles += try EvaluationResult.judges(fromCustomMetricsFile: file)
        }
        let recordedSpec = try await recordedModelSpec(connection)
        let models = try live.makeModels(
            inputsColumn: inputs, needsJudges: judgeFiles.contains { $0.model != nil }, recordedSpec: recordedSpec)
        configuration.judge = models.defaultJudge
        configuration.judgeRepeats = live.judgeRepeats
        var extras: [Metric] = []
        for name in names {
            extras.append(try Metric.named(name, configuration: configuration))
        }
        for definition in judgeFiles {
            let judgeModel: any ChatCompleting
            if let judges = models.judges, let named = try judges.model(for: definition) {
                judgeModel = named
            } else if let fallback = models.defaultJudge {
                judgeModel = fallback
            } else {
                throw AssayError.invalidInput("judge \(definition.name) names no model: give --judge URI or 'model:' in its definition")
            }
            extras.append(.judge(definition, model: judgeModel, repeats: live.judgeRepeats))
        }
        var traceSource: TraceSource?
        let dataset: Dataset
        if let traces {
            let source = try await TraceSource.load(
                experiment: traces, filter: traceFilter, since: since, tracking: connection)
            traceSource = source
            dataset = source.dataset
        } else if let stored = self.dataset {
            dataset = try await StoredDataset.load(stored, tracking: connection)
        } else {
            dataset = try Dataset(contentsOf: data ?? "", format: format)
        }
        let predictions = self.predictions ?? (traces != nil && live.model == nil ? "outputs" : nil)
        let model = models.model
        // Open the tracking store before the work, so that a bad tracking URI fails first.
        let recorder = noTracking || live.dryRun ? nil : try await connection.open()
        // The baseline is found before the work, so that a wrong id fails first.
        var baseline: Run?
        if let failOnRegression { baseline = try await connection.open().store.run(named: failOnRegression) }
        configuration.concurrency = live.concurrency
        configuration.repeats = live.repeat
        configuration.passK = live.passK
        if let model = models.chat, live.dryRun {
            let estimate = try model.estimate(dataset, repeats: live.repeat)
            await models.shutdown()
            print(Summary.render(estimate, model: model.identifier))
            return
        }

        let progress = ProgressLine()
        configuration.progress = { state in progress.update(state) }
        let clock = ContinuousClock()
        let start = clock.now
        let evaluation = Task { [configuration, targets, predictions, extras] in
            try await evaluate(
                dataset, model: model, targets: targets, predictions: predictions, modelType: type,
                extraMetrics: extras, configuration: configuration)
        }
        let interrupt = InterruptHandler {
            writeStandardError("\ninterrupted: stopping; the rows answered so far are kept (Ctrl-C again to quit at once)\n")
            evaluation.cancel()
        }
        let outcome = await evaluation.result
        interrupt.stop()
        await models.shutdown()
        progress.finish()
        let result = try outcome.get()
        let elapsed = clock.now - start

        if let outputJson {
            do {
                try result.write(to: outputJson)
            } catch let error as AssayError {
                throw error
            } catch {
                throw AssayError.invalidInput("\(outputJson): cannot write the results: \(error)")
            }
        }
        if let artifactsDir {
            do {
                try FileManager.default.createDirectory(atPath: artifactsDir, withIntermediateDirectories: true)
                try result.table.write(to: (artifactsDir as NSString).appendingPathComponent("eval_results_table.json"))
                if !result.judges.isEmpty {
                    try result.writeCustomMetrics(to: (artifactsDir as NSString).appendingPathComponent("genai_custom_metrics.json"))
                }
            } catch let error as AssayError {
                throw error
            } catch {
                throw AssayError.invalidInput("\(artifactsDir): cannot write the artifacts: \(error)")
            }
        }
        print(
            Summary.render(result, elapsed: elapsed, predictionsColumn: predictions, showRows: showRows, activity: models.activity))
        if let hint = Summary.rougeTokenizerHint(result, tokenizer: rougeTokenizer, predictions: predictions ?? "outputs", targets: targets)
        {
            print("\n" + hint)
        }
        if let outputJson { print("\nWrote \(outputJson)") }
        if let artifactsDir { print("Wrote the artifacts to \(artifactsDir)") }
        var recordedRun: RunInfo?
        if let (store, artifacts) = recorder {
            let recordedExperiment = experiment ?? traceSource?.experiment.name ?? "Default"
            var details = RunRecorder.Details()
            if let traceSource {
                details.dataset = traceSource.input(rows: result.rowCount)
                details.params.append(KeyValue("traces_experiment", traceSource.experiment.name))
                if let traceFilter { details.params.append(KeyValue("trace_filter", traceFilter)) }
            } else if let data {
                details.add(datasetFile: data, name: dataset.name, digest: TrackingOptions.digest(of: data) ?? "", rows: result.rowCount)
            }
            if let model { details.add(model: model, repeats: live.repeat) }
            details.add(judge: models.defaultJudge?.identifier, repeats: live.judgeRepeats)
            // The thresholds the run is gated on, for the web UI's review queue (rows near a threshold first).
            let thresholds = try gateConditions().filter { if case .threshold = $0.kind { true } else { false } }
            if !thresholds.isEmpty { details.tags.append(KeyValue("assay.gate", thresholds.map(\.description).joined(separator: "; "))) }
            let run = try await RunRecorder(store: store, artifacts: artifacts)
                .record(result, experiment: recordedExperiment, runName: runName, details: details)
            recordedRun = run
            print("\nRecorded run \(run.id) (\(run.name)) in experiment '\(recordedExperiment)'; see `assay runs show \(run.id.prefix(8))`")
            if let traceSource {
                let count = try await traceSource.recordScores(result, run: run)
                print("Attached \(count) scores to the \(traceSource.traces.count) traces of '\(traceSource.experiment.name)'")
            }
        }
        if result.usage.interrupted { throw ExitCode(130) }
        let conditions = try gateConditions()
        if !conditions.isEmpty {
            let id = recordedRun?.id ?? ""
            let name = recordedRun?.name ?? runName ?? dataset.name
            var comparison: RunComparison?
            if let baseline {
                let artifacts = try await connection.open().artifacts
                comparison = try await RunComparison.compare(
                    try await ComparedRun.load(baseline, artifacts: artifacts), try ComparedRun(result, id: id, name: name))
            }
            try gate.finish(try GateReport(conditions, run: (id, name), metrics: result.metrics, comparison: comparison))
        }
    }

    /// For `--model runs:/RUN_ID/model`: the spec file that run recorded; for `--model models:/m-…`, a
    /// spec made from the logged model's openai flavour (its `model.yaml`).
    private func recordedModelSpec(_ connection: TrackingConnection) async throws(AssayError) -> String? {
        if let model = live.model, case .model(let id, let rest) = ArtifactURI(model), id.hasPrefix("m-"), rest.isEmpty {
            return try await loggedModelSpec(id, connection)
        }
        guard let model = live.model, case .run(let runID, let path) = ArtifactURI(model) else { return nil }
        guard !runID.isEmpty else { throw .invalidInput("'\(model)' must look like runs:/RUN_ID/model") }
        let artifact = (path.isEmpty ? "model" : path) + "/spec.yaml"
        return try await recordedArtifact(
            run: runID, path: artifact, missing: "recorded no model spec; it was not a live-model evaluation", connection: connection)
    }

    /// The spec of a logged model (`models:/m-…`), written to a temporary file.
    private func loggedModelSpec(_ id: String, _ connection: TrackingConnection) async throws(AssayError) -> String {
        let (store, artifacts) = try await connection.open()
        guard let models = store as? any LoggedModelStore else {
            throw .invalidInput("--model models:/\(id): the tracking store at \(connection.options.uri) keeps no logged models")
        }
        let model = try await models.loggedModel(id: id)
        // The repositories read any artifact root given as a run's; the model's files are below its own.
        let holder = RunInfo(
            id: model.id, experimentID: model.experimentID, name: model.name, userID: "", status: .finished, startTime: 0, endTime: nil,
            artifactURI: model.artifactLocation, lifecycleStage: .active)
        let contents: Data
        do {
            contents = try await artifacts.read("model.yaml", of: holder)
        } catch  where error.kind == .notFound {
            throw .invalidInput(
                "logged model \(id) (\(model.name)) has no model.yaml in \(artifacts.location(of: holder)); Assay evaluates models logged with mlflow.openai.log_model"
            )
        }
        let spec = try ModelSpec.mlflowOpenAIFlavor(yaml: String(decoding: contents, as: UTF8.self), path: "models:/\(id)/model.yaml")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("assay-\(id)-\(UUID().uuidString)-spec.yaml").path
        guard FileManager.default.createFile(atPath: path, contents: Data(spec.yaml.utf8)) else {
            throw .internal("cannot write the spec of logged model \(id) to \(path)")
        }
        return path
    }

    /// A file a past run recorded, copied to a temporary file (artifacts may live on a server).
    private func recordedArtifact(
        run runID: String, path artifact: String, missing: String, connection: TrackingConnection
    )
        async throws(AssayError) -> String
    {
        let (store, artifacts) = try await connection.open()
        let run = try await store.run(idPrefix: runID)
        let contents: Data
        do {
            contents = try await artifacts.read(artifact, of: run.info)
        } catch  where error.kind == .notFound {
            throw .invalidInput("run \(run.info.id) \(missing) (no \(artifact) in \(artifacts.location(of: run.info)))")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "assay-\(run.info.id)-\(UUID().uuidString)-" + (artifact as NSString).lastPathComponent
        ).path
        guard FileManager.default.createFile(atPath: path, contents: contents) else {
            throw .internal("cannot write \(artifact) of run \(run.info.id) to \(path)")
        }
        return path
    }

    private func splitList(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// A progress bar on standard error, shown only on a terminal and only for runs that last.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let enabled = isatty(2) == 1
    private let start = ContinuousClock.now
    private var shown = false

    func update(_ state: EvaluationProgress) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let elapsed = ContinuousClock.now - start
        guard elapsed > .milliseconds(500) else { return }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Int(Double(state.rows) / max(seconds, 0.001))
        let width = 30
        let filled = Int(state.fractionRead * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let percent = Int(state.fractionRead * 100)
        writeStandardError("\r\u{1B}[2K  [\(bar)] \(percent)%  \(state.rows) rows  \(rate) rows/s")
        shown = true
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if shown { writeStandardError("\r\u{1B}[2K") }
    }
}
