import ArgumentParser
import Assay
import AssayProviders
import AssayTesting
import Foundation

/// Measures rows per second for each heuristic metric, and peak memory of a streamed evaluation.
///
///     swift run -c release assay-bench metrics --rows 100000
///     swift run -c release assay-bench stream --rows 1000000
///     swift run -c release assay-bench long-text --sizes 1000000,10000000
///     swift run -c release assay-bench calibration --simulations 1000
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assay-bench", abstract: "Assay performance figures.",
        subcommands: [
            MetricThroughput.self, StreamMemory.self, EngineOverhead.self, JudgeFanOut.self, UIPages.self, ServerPath.self, LongText.self,
            Calibration.self,
        ],
        defaultSubcommand: MetricThroughput.self)
}

/// Builds rows from the shared reference fixture, made unique per row so that no cache can help.
func benchmarkRows(_ count: Int, fixture: String) throws -> [[DataValue]] {
    let base = try Dataset(contentsOf: fixture).rows()
    return (0..<count).map { i in
        let row = base[i % base.count]
        let suffix = " item \(i)"
        return [.string("question \(i)"), .string(row["target"].text + suffix), .string(row["prediction"].text + suffix)]
    }
}

func peakResidentKilobytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return 0
}

struct MetricThroughput: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "Rows per second for each heuristic metric on in-memory rows.")

    @Option(help: "Rows to score per metric.") var rows = 100_000
    @Option(help: "The reference fixture the rows are made from.") var fixture = "Tests/AssayTests/Fixtures/metric-reference.jsonl"
    @Option(help: "Metrics to measure, comma-separated; a '+' joins metrics measured together.")
    var metrics =
        "rouge1+rouge2+rougeL+rougeLsum,rouge1,rouge2,rougeL,rougeLsum,bleu,sacrebleu,chrf,exact_match,token_count,flesch_kincaid_grade_level,ari_grade_level"
    @Option(help: "Scoring threads (default: all cores).") var workers = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Print one JSON object per line instead of a table.") var json = false

    func run() async throws {
        let data = Dataset(columns: ["inputs", "ground_truth", "predictions"], rows: try benchmarkRows(rows, fixture: fixture))
        var configuration = EvaluationConfiguration()
        configuration.scoringWorkers = workers
        if !json { print("rows=\(rows) workers=\(workers)\nmetric                                 rows/s") }
        for group in metrics.split(separator: ",") {
            let list = try group.split(separator: "+").map { try Metric.named(String($0), configuration: configuration) }
            // Warm up resources (tokenizer ranks, syllable tables) outside the timed run.
            _ = try await evaluate(
                Dataset(columns: ["inputs", "ground_truth", "predictions"], rows: [["q", "a b c d", "a b c e"]]),
                targets: "ground_truth", predictions: "predictions", extraMetrics: list, configuration: configuration)
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await evaluate(
                data, targets: "ground_truth", predictions: "predictions", extraMetrics: list, configuration: configuration)
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let rate = Double(rows) / seconds
            if json {
                print("{\"metric\":\"\(group)\",\"rows\":\(rows),\"workers\":\(workers),\"rows_per_second\":\(Int(rate))}")
            } else {
                print(String(group).padding(toLength: 38, withPad: " ", startingAt: 0), String(format: "%9.0f", rate))
            }
        }
    }
}

struct StreamMemory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream", abstract: "Evaluates a generated JSON Lines file and reports time and peak memory.")

    @Option(help: "Rows in the generated file.") var rows = 1_000_000
    @Option(help: "The reference fixture the rows are made from.") var fixture = "Tests/AssayTests/Fixtures/metric-reference.jsonl"
    @Option(help: "Where to write the generated file.") var path = FileManager.default.temporaryDirectory.appendingPathComponent(
        "assay-bench-stream.jsonl"
    ).path

    func run() async throws {
        let base = try Dataset(contentsOf: fixture).rows()
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw ValidationError("cannot create \(path)") }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var buffer = ""
        for i in 0..<rows {
            let row = base[i % base.count]
            let line = DataValue.object([
                "inputs": .string("question \(i)"), "ground_truth": row["target"], "predictions": row["prediction"],
            ])
            buffer += line.description + "\n"
            if buffer.utf8.count > 1 << 20 {
                handle.write(Data(buffer.utf8))
                buffer = ""
            }
        }
        handle.write(Data(buffer.utf8))
        try handle.close()
        defer { try? FileManager.default.removeItem(atPath: path) }

        let clock = ContinuousClock()
        let start = clock.now
        let result = try await evaluate(
            try Dataset(contentsOf: path), targets: "ground_truth", predictions: "predictions",
            modelType: .questionAnswering,
            extraMetrics: [.bleu] + ["rouge1", "rouge2", "rougeL", "rougeLsum"].compactMap { Metric.rouge($0) })
        let output = path + ".results.json"
        try result.write(to: output)
        try? FileManager.default.removeItem(atPath: output)
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "rows=\(result.rowCount) seconds=\(String(format: "%.1f", seconds)) rows_per_second=\(Int(Double(rows) / seconds)) peak_rss_mb=\(peakResidentKilobytes() / 1024)"
        )
    }
}

struct EngineOverhead: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Live-model engine overhead against an in-process instant-answer server: rows/s and peak memory.")

    @Option(help: "Rows to answer.") var rows = 10_000
    @Option(help: "Requests in flight.") var concurrency = 64

    func run() async throws {
        let server = try await FakeChatServer.start()
        let folder = try TemporaryFolder()
        let data = Dataset(columns: ["inputs"], rows: (0..<rows).map { [.string("question number \($0)")] })
        var options = ProviderOptions()
        options.baseURL = server.baseURL
        options.concurrency = concurrency
        var configuration = EvaluationConfiguration()
        configuration.concurrency = concurrency
        let spec = ModelSpec(model: try ModelURI("openai:/bench"))

        func timed(_ policy: ChatModel.CachePolicy) async throws -> (Double, EvaluationResult) {
            let model = try ChatModel(
                spec: spec, options: options, cache: try ResponseCache(directory: folder.url.path), cachePolicy: policy)
            let clock = ContinuousClock()
            let start = clock.now
            let result = try await evaluate(data, model: model, extraMetrics: [.latency], configuration: configuration)
            let elapsed = clock.now - start
            await model.shutdown()
            return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, result)
        }
        let (bypass, first) = try await timed(.bypass)
        let (fill, _) = try await timed(.refresh)
        let (cached, fromCache) = try await timed(.use)
        await server.stop()
        print("rows=\(rows) concurrency=\(concurrency) failed=\(first.failedRows) server_max_in_flight=\(server.counters.maxInFlight)")
        print("no cache:          \(Int(Double(rows) / bypass)) rows/s")
        print("writing the cache: \(Int(Double(rows) / fill)) rows/s")
        print("from the cache:    \(Int(Double(rows) / cached)) rows/s (\(fromCache.usage.cachedAnswers) cached answers)")
        print("peak_rss_mb=\(peakResidentKilobytes() / 1024)")
    }
}

struct JudgeFanOut: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "judges", abstract: "Judge fan-out overhead: several judges per row against an instant in-process server.")

    @Option(help: "Rows to judge.") var rows = 10_000
    @Option(help: "Judge calls in flight.") var concurrency = 64

    func run() async throws {
        let server = try await FakeChatServer.start { _ in .chatCompletion("{\"score\": 4, \"justification\": \"fine\"}") }
        let data = Dataset(
            columns: ["inputs", "ground_truth", "predictions"],
            rows: (0..<rows).map { [.string("question \($0)"), .string("answer \($0)"), .string("prediction \($0)")] })
        var options = ProviderOptions()
        options.baseURL = server.baseURL
        options.concurrency = concurrency
        let judge = try ChatModel(spec: ModelSpec(model: try ModelURI("openai:/bench-judge")), options: options)
        var configuration = EvaluationConfiguration()
        configuration.concurrency = concurrency
        configuration.judge = judge
        let metrics = try ["answer_correctness", "answer_similarity", "answer_relevance"].map {
            try Metric.named($0, configuration: configuration)
        }
        let clock = ContinuousClock()
        let start = clock.now
        let result = try await evaluate(
            data, targets: "ground_truth", predictions: "predictions", extraMetrics: metrics, configuration: configuration)
        let elapsed = clock.now - start
        await judge.shutdown()
        await server.stop()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let invalid = metrics.map { result.metrics["\($0.info.key)/invalid_count"] ?? -1 }
        print(
            "rows=\(rows) judges=3 calls=\(server.counters.requests) concurrency=\(concurrency) server_max_in_flight=\(server.counters.maxInFlight) invalid=\(invalid)"
        )
        print(
            "rows/s=\(Int(Double(rows) / seconds)) judge_calls/s=\(Int(Double(rows * 3) / seconds)) peak_rss_mb=\(peakResidentKilobytes() / 1024)"
        )
    }
}
