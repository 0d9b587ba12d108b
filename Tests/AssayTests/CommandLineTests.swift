import Assay
import AssayStoreSQLite
import AssayTesting
import Foundation
import NIOConcurrencyHelpers
import Testing

/// Runs the built `assay` executable as a user would.
@Suite struct CommandLineTests {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let trackingDatabase: String = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("assay-cli-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("assay.db").path
    }()

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func run(_ arguments: [String], unsetting unset: [String] = [], setting extra: [String: String] = [:]) throws -> Output {
        let binary = Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("assay")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        // Runs are recorded in a scratch database, never in the checkout.
        var environment = ProcessInfo.processInfo.environment
        environment["ASSAY_TRACKING_URI"] = trackingDatabase
        for name in unset { environment[name] = nil }
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Runs the tool off the concurrency pool, as every test here does: waiting for the process on one of
    /// the pool's few threads (one per core) would hold up every other suite's timers and servers.
    static func runDetached(
        _ arguments: [String], unsetting unset: [String] = [], setting extra: [String: String] = [:]
    ) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try run(arguments, unsetting: unset, setting: extra) })
            }
        }
    }

    @Test func evaluatesTheReadmeExample() async throws {
        let folder = try TemporaryFolder()
        let json = folder.path("results.json")
        let result = try await Self.runDetached([
            "evaluate", "examples/qa.jsonl", "--targets", "ground_truth", "--predictions", "predictions",
            "--model-type", "question-answering", "--output-json", json,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Evaluated 12 rows of qa.jsonl"))
        #expect(result.stdout.contains("exact_match/v1"))
        #expect(result.stdout.contains("higher is better"))
        #expect(result.stdout.contains("grade level"))
        #expect(result.stdout.contains("skipped toxicity/v1"))
        #expect(result.stdout.contains("First 5 of 12 rows of eval_results_table"))
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        let metrics = try #require(object?["metrics"] as? [String: Double])
        #expect(metrics["exact_match/v1"] != nil)
        let table = try #require(object?["eval_results_table"] as? [String: Any])
        #expect((table["data"] as? [Any])?.count == 12)
    }

    @Test func summarizationAndRetrieverExamplesRun() async throws {
        let summary = try await Self.runDetached([
            "evaluate", "examples/summarization.jsonl", "--targets", "ground_truth", "--predictions", "predictions",
            "--model-type", "text-summarization", "--metrics", "bleu,chrf",
        ])
        #expect(summary.status == 0, "\(summary.stderr)")
        #expect(summary.stdout.contains("rougeLsum/v1/mean"))
        #expect(summary.stdout.contains("chrf/v1/mean"))
        let retriever = try await Self.runDetached([
            "evaluate", "examples/retriever.jsonl", "--targets", "ground_truth", "--predictions", "retrieved",
            "--model-type", "retriever", "--retriever-k", "2",
        ])
        #expect(retriever.status == 0, "\(retriever.stderr)")
        #expect(retriever.stdout.contains("ndcg_at_2/mean"))
    }

    @Test func badInputExitsWithTwoAndSaysWhere() async throws {
        let missing = try await Self.runDetached(["evaluate", "examples/nope.jsonl", "--predictions", "p", "--model-type", "text"])
        #expect(missing.status == 2)
        #expect(missing.stderr == "error: examples/nope.jsonl: no such file\n")
        let column = try await Self.runDetached([
            "evaluate", "examples/qa.jsonl", "--targets", "answer", "--predictions", "predictions",
            "--model-type", "question-answering",
        ])
        #expect(column.status == 2)
        #expect(
            column.stderr.contains(
                "targets column 'answer' is not in the dataset; its columns are: 'inputs', 'ground_truth', 'predictions'"))
        let metric = try await Self.runDetached(["evaluate", "examples/qa.jsonl", "--predictions", "predictions", "--metrics", "bleuu"])
        #expect(metric.status == 2)
        #expect(metric.stderr.contains("unknown metric 'bleuu'; known metrics:"))
        let usage = try await Self.runDetached(["evaluate"])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("give a dataset file, --traces EXPERIMENT or --dataset ID"))
    }

    /// A JSON array dataset evaluates as the README says (it failed at the closing bracket: the reader was
    /// asked for a row once more after the last, and read past the end).
    @Test func jsonArrayDatasetsEvaluate() async throws {
        let folder = try TemporaryFolder()
        let data = try folder.file(
            "t.json", #"[{"inputs":"q","predictions":"a","ground_truth":"a"}, {"inputs":"r","predictions":"b","ground_truth":"c"}]"#)
        let json = folder.path("out.json")
        let result = try await Self.runDetached([
            "evaluate", data, "--targets", "ground_truth", "--predictions", "predictions", "--metrics", "exact_match", "--no-tracking",
            "--output-json", json,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("exact_match/v1") && result.stdout.contains("0.5000"), "\(result.stdout)")
    }

    @Test func rougeOnJapaneseWithMLflowsTokenizerSaysWhy() async throws {
        let folder = try TemporaryFolder()
        let data = try folder.file("ja.jsonl", #"{"p": "東京は日本の首都です", "t": "東京は日本の首都です"}"# + "\n" + #"{"p": "yes", "t": "yes"}"# + "\n")
        let plain = try await Self.runDetached([
            "evaluate", data, "--targets", "t", "--predictions", "p", "--metrics", "rougeL", "--no-tracking",
        ])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.contains("Note: 1 row has letters but none that MLflow's ROUGE tokenizer keeps"), "\(plain.stdout)")
        #expect(plain.stdout.contains("--rouge-tokenizer unicode"))
        let unicode = try await Self.runDetached([
            "evaluate", data, "--targets", "t", "--predictions", "p", "--metrics", "rougeL", "--no-tracking", "--rouge-tokenizer",
            "unicode",
        ])
        #expect(unicode.status == 0 && !unicode.stdout.contains("Note:"), "\(unicode.stdout)")
    }

    @Test func aDryRunNeedsNoAPIKey() async throws {
        let result = try await Self.runDetached(
            ["evaluate", "examples/qa.jsonl", "--targets", "ground_truth", "--model", "openai:/gpt-4o-mini", "--dry-run"],
            unsetting: ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("nothing was sent"), "\(result.stdout)")
        let real = try await Self.runDetached(
            ["evaluate", "examples/qa.jsonl", "--targets", "ground_truth", "--model", "openai:/gpt-4o-mini", "--no-tracking"],
            unsetting: ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE"])
        #expect(real.status != 0 && real.stderr.contains("needs an API key"), "a real run still needs the key: \(real.stderr)")
    }

    @Test func anOutputPathThatIsAFolderIsRefusedAndKept() async throws {
        let folder = try TemporaryFolder()
        let data = try folder.file("t.jsonl", #"{"p": "a", "t": "a"}"# + "\n")
        let results = folder.path("results")
        try FileManager.default.createDirectory(atPath: results, withIntermediateDirectories: true)
        _ = try folder.file("results/keep.txt", "precious")
        for path in [results, results + "/"] {
            let result = try await Self.runDetached([
                "evaluate", data, "--targets", "t", "--predictions", "p", "--metrics", "exact_match", "--no-tracking", "--output-json",
                path,
            ])
            #expect(result.status != 0 && result.stderr.contains("is a folder"), "\(result.stderr)")
            #expect(!result.stdout.contains("Wrote"))
        }
        #expect(FileManager.default.contents(atPath: folder.path("results/keep.txt")) == Data("precious".utf8))
        // A file is replaced in one step: the old one until the new one is complete, no temporary left beside it.
        let file = try folder.file("out.json", "old")
        let replaced = try await Self.runDetached([
            "evaluate", data, "--targets", "t", "--predictions", "p", "--metrics", "exact_match", "--no-tracking", "--output-json", file,
        ])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(String(decoding: FileManager.default.contents(atPath: file) ?? Data(), as: UTF8.self).contains("exact_match"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.hasSuffix(".partial") }.isEmpty)
    }

    @Test func outputIsNotLeftHalfWrittenOnError() async throws {
        let folder = try TemporaryFolder()
        let data = try folder.file("data.jsonl", "{\"p\": \"a\", \"t\": [\"x\"]}\n{\"p\": \"b\", \"t\": \"y\"}\n")
        let json = folder.path("out.json")
        let result = try await Self.runDetached([
            "evaluate", data, "--targets", "t", "--predictions", "p", "--model-type", "retriever", "--output-json", json,
        ])
        #expect(result.status == 2)
        #expect(result.stderr.contains("row 1, column 'p': retrieval metrics need a list of document ids"))
        #expect(!FileManager.default.fileExists(atPath: json))
    }

    @Test func metricsListsScalesDirectionsAndNeeds() async throws {
        let result = try await Self.runDetached(["metrics"])
        #expect(result.status == 0)
        for expected in [
            "rougeLsum", "0..1", "0..100", "grade level", "count (tokens)", "lower is better", "precision_at_k", "a judge model",
            "toxicity",
        ] {
            #expect(result.stdout.contains(expected), "missing \(expected)")
        }
    }
}

/// The command line with a live model: a real loopback server standing in for the provider.
@Suite struct LiveCommandLineTests {
    @Test func rowsThatFailedAfterRetriesAreCountedAsSent() async throws {
        let server = try await FakeChatServer.start { _ in
            .json(["error": ["message": "slow down"]], status: 429, headers: [("retry-after-ms", "NaN"), ("Retry-After", "1e300")])
        }
        let folder = try TemporaryFolder()
        let data = try folder.file("q.jsonl", #"{"inputs": "q1"}"# + "\n" + #"{"inputs": "q2"}"# + "\n")
        let result = try await CommandLineTests.runDetached([
            "evaluate", data, "--model", "openai:/local-model", "--base-url", server.baseURL, "--metrics", "latency", "--no-tracking",
            "--max-retries", "3", "--max-retry-pause", "0.05", "--no-cache",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.contains("Model calls: 2 sent, 0 answered from the cache, 2 not answered; 6 requests with retries"),
            "\(result.stdout)")
        #expect(server.counters.requests == 6)
        await server.stop()
    }

    @Test func liveRunThenCachedRunThenDryRun() async throws {
        let server = try await FakeChatServer.start()
        let folder = try TemporaryFolder()
        let arguments = [
            "evaluate", "examples/qa.jsonl", "--targets", "ground_truth", "--model", "openai:/local-model",
            "--base-url", server.baseURL, "--system-prompt", "Answer in two sentences", "--prompt", "{inputs}",
            "--model-type", "question-answering", "--metrics", "latency", "--cache-dir", folder.url.path,
            "--output-json", folder.path("out.json"),
        ]
        let first = try await CommandLineTests.runDetached(arguments)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("Model calls: 12 sent, 0 answered from the cache; tokens: 120 prompt + 60 completion"))
        #expect(first.stdout.contains("latency/mean"))
        #expect(server.counters.requests == 12)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path("out.json")))) as? [String: Any]
        #expect((json?["usage"] as? [String: Any])?["model_calls"] as? Int == 12)

        let second = try await CommandLineTests.runDetached(arguments)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("Model calls: 0 sent, 12 answered from the cache"))
        #expect(server.counters.requests == 12)

        // The run recorded the model's spec; runs:/RUN_ID/model evaluates the same model again.
        let recorded = try #require(second.stdout.split(separator: "\n").first { $0.hasPrefix("Recorded run ") })
        let runID = String(recorded.dropFirst("Recorded run ".count).prefix(32))
        let again = try await CommandLineTests.runDetached([
            "evaluate", "examples/qa.jsonl", "--targets", "ground_truth", "--model", "runs:/\(runID)/model",
            "--model-type", "question-answering", "--cache-dir", folder.url.path,
        ])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("(model openai:/local-model)"))
        #expect(again.stdout.contains("Model calls: 0 sent, 12 answered from the cache"), "the same prompt, so the same cache keys")

        let dry = try await CommandLineTests.runDetached(arguments + ["--dry-run", "--param", "max_tokens=50"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("Dry run for openai:/local-model: nothing was sent."))
        #expect(dry.stdout.contains("Completion tokens: at most 600"))
        #expect(server.counters.requests == 12)

        let missing = try await CommandLineTests.runDetached([
            "evaluate", "examples/qa.jsonl", "--model", "openai:/local-model", "--base-url", server.baseURL,
            "--prompt", "{question}", "--model-type", "text", "--cache-dir", folder.url.path,
        ])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("prompt placeholder {question} names no column"))
        await server.stop()
    }
}

/// `--model models:/m-…`: a model the mlflow client logged with `mlflow.openai.log_model` is evaluated
/// by Assay's own engine from its `model.yaml`.
@Suite struct LoggedModelCommandLineTests {
    @Test func anOpenAIFlavourLoggedModelIsEvaluated() async throws {
        let asked = NIOLockedValueBox<[String]>([])
        let server = try await FakeChatServer.start { request in
            let messages = (request.json?["messages"] as? [[String: Any]] ?? []).compactMap { $0["content"] as? String }
            asked.withLockedValue { $0.append(contentsOf: messages) }
            return .chatCompletion("echo: " + request.lastMessage)
        }
        let folder = try TemporaryFolder()
        let database = folder.path("assay.db")
        let store = try SQLiteTrackingStore(path: database)
        let model = try await store.createLoggedModel(in: "0", name: "model", sourceRunID: nil, modelType: nil, tags: [], params: [])
        let bare = try await store.createLoggedModel(in: "0", name: "pyfunc", sourceRunID: nil, modelType: nil, tags: [], params: [])
        // Where the mlflow client uploads it: below the model's artifact location, in the server's artifact folder.
        let files = folder.url.appendingPathComponent("assay-artifacts/0/models/\(model.id)/artifacts")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        try """
        messages:
        - content: Answer the following question in two sentences
          role: system
        - content: '{inputs}'
          role: user
        model: gpt-4o-mini
        task: chat.completions
        temperature: 0
        """.write(to: files.appendingPathComponent("model.yaml"), atomically: true, encoding: .utf8)
        let common = [
            "--targets", "ground_truth", "--model-type", "question-answering", "--base-url", server.baseURL, "--tracking-uri", database,
            "--cache-dir", folder.path("cache"),
        ]
        let run = try await CommandLineTests.runDetached(["evaluate", "examples/qa.jsonl", "--model", "models:/\(model.id)"] + common)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("(model openai:/gpt-4o-mini)") && run.stdout.contains("Model calls: 12 sent"), "\(run.stdout)")
        let messages = asked.withLockedValue { $0 }
        #expect(messages.first == "Answer the following question in two sentences")
        #expect(messages.contains { $0.contains("MLflow") })

        let unknown = try await CommandLineTests.runDetached(["evaluate", "examples/qa.jsonl", "--model", "models:/m-nope"] + common)
        #expect(unknown.status != 0 && unknown.stderr.contains("Logged model with ID 'm-nope' not found."), "\(unknown.stderr)")
        let noFlavour = try await CommandLineTests.runDetached(["evaluate", "examples/qa.jsonl", "--model", "models:/\(bare.id)"] + common)
        #expect(noFlavour.status != 0 && noFlavour.stderr.contains("has no model.yaml"), "\(noFlavour.stderr)")
        await server.stop()
    }
}

/// Judges from the command line: a loopback server playing the judge model.
@Suite struct JudgeCommandLineTests {
    @Test func judgesRunWriteArtifactsAndReload() async throws {
        let server = try await FakeChatServer.start { request in
            // Out of range for the rows about spiders, a valid 4 otherwise.
            let text =
                request.lastMessage.contains("spider")
                ? "{\"score\": 100, \"justification\": \"perfect\"}"
                : "{\"score\": 4, \"justification\": \"good\"}"
            return .chatCompletion(text)
        }
        let folder = try TemporaryFolder()
        let judgeFile = try folder.file(
            "conciseness.yaml",
            """
            name: conciseness
            definition: How briefly the output answers.
            grading_prompt: "1: rambling. 5: nothing to cut."
            include_input: false
            """)
        let arguments = [
            "evaluate", "examples/qa.jsonl", "--targets", "ground_truth", "--predictions", "predictions",
            "--model-type", "question-answering", "--judge", "openai:/judge-model", "--judge-base-url", server.baseURL,
            "--metrics", "answer_correctness,\(judgeFile)", "--cache-dir", folder.url.path,
            "--artifacts-dir", folder.path("artifacts"),
        ]
        let result = try await CommandLineTests.runDetached(arguments)
        #expect(result.status == 0, "\(result.stderr)")
        /// The cells of the summary line for a key.
        func line(_ key: String) -> [String] {
            let found = result.stdout.split(separator: "\n").first { $0.hasPrefix(key + " ") } ?? ""
            return found.split(separator: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        #expect(line("answer_correctness/v1/invalid_count") == ["answer_correctness/v1/invalid_count", "1", "answers"])
        #expect(line("answer_correctness/v1/mean") == ["answer_correctness/v1/mean", "4", "1..5", "0.7500", "higher is better"])
        // A 4 on toxicity's 0..1 scale is off the scale: every toxicity answer is invalid, none is a score.
        #expect(line("toxicity/v1/invalid_count") == ["toxicity/v1/invalid_count", "12", "answers"])
        #expect(line("toxicity/v1/mean").isEmpty)
        #expect(result.stdout.contains("Judge calls: 36 sent, 0 answered from the cache; tokens: 360 prompt + 180 completion"))
        #expect(!result.stdout.contains("skipped toxicity"))
        let artifacts = folder.path("artifacts")
        #expect(FileManager.default.fileExists(atPath: artifacts + "/eval_results_table.json"))
        let custom = try String(contentsOfFile: artifacts + "/genai_custom_metrics.json", encoding: .utf8)
        #expect(custom.contains("\"conciseness\",\"v1\""))

        server.resetCounters()
        let reloaded = try await CommandLineTests.runDetached([
            "evaluate", "examples/qa.jsonl", "--targets", "ground_truth", "--predictions", "predictions",
            "--judge", "openai:/judge-model", "--judge-base-url", server.baseURL,
            "--metrics-from", artifacts + "/genai_custom_metrics.json",
            "--cache-dir", folder.url.path,
        ])
        #expect(reloaded.status == 0, "\(reloaded.stderr)")
        #expect(reloaded.stdout.contains("conciseness/v1/mean"))
        #expect(server.counters.requests == 0, "every judge answer came from the cache")
        #expect(reloaded.stdout.contains("Judge calls: 0 sent, 36 answered from the cache"))

        // The recorded run's id works as well as its file.
        let runID = try #require(result.stdout.firstMatch(of: /Recorded run ([0-9a-f]{32})/)?.1)
        let fromRun = try await CommandLineTests.runDetached([
            "evaluate", "examples/qa.jsonl", "--targets", "ground_truth", "--predictions", "predictions",
            "--judge", "openai:/judge-model", "--judge-base-url", server.baseURL,
            "--metrics-from-run", String(runID.prefix(10)), "--cache-dir", folder.url.path,
        ])
        #expect(fromRun.status == 0, "\(fromRun.stderr)")
        #expect(fromRun.stdout.contains("conciseness/v1/mean"))
        let notARun = try await CommandLineTests.runDetached([
            "evaluate", "examples/qa.jsonl", "--predictions", "predictions", "--metrics-from-run", "abc123",
        ])
        #expect(notARun.status == 2 && notARun.stderr.contains("no run with id 'abc123'"), "\(notARun.stderr)")

        let noJudge = try await CommandLineTests.runDetached([
            "evaluate", "examples/qa.jsonl", "--predictions", "predictions", "--metrics", "faithfulness",
        ])
        #expect(noJudge.status == 2)
        #expect(noJudge.stderr.contains("needs a judge model: give --judge URI"))
        await server.stop()
    }
}

@Suite struct CalibrateCommandLineTests {
    @Test func calibrationReportsAgreementWithHumanScores() async throws {
        // A lenient judge that gives every answer a 5.
        let server = try await FakeChatServer.start { _ in .chatCompletion("{\"score\": 5, \"justification\": \"looks right\"}") }
        let folder = try TemporaryFolder()
        let result = try await CommandLineTests.runDetached([
            "judge", "calibrate", "--judge", "openai:/judge", "--judge-base-url", server.baseURL,
            "--metrics", "answer_correctness", "--labels", "examples/judge-labels.jsonl", "--targets", "ground_truth",
            "--cache-dir", folder.url.path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        func cells(_ prefix: String) -> [String] {
            (lines.first { $0.hasPrefix(prefix) } ?? "").split(separator: "  ").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
        }
        #expect(lines.contains("Rows compared: 12"))
        // 8 of the 12 human scores are 5; a judge that always says 5 agrees by chance only.
        #expect(cells("exact agreement").prefix(2) == ["exact agreement", "0.667"])
        #expect(cells("weighted kappa").prefix(2) == ["weighted kappa", "0.000"])
        #expect(cells("Spearman rho").prefix(2) == ["Spearman rho", "n/a"])
        #expect(cells("mean absolute error").prefix(2) == ["mean absolute error", "0.833"])
        #expect(cells("1 ") == ["1", "0", "0", "0", "0", "2"])
        #expect(cells("5 ") == ["5", "0", "0", "0", "0", "8"])
        await server.stop()
    }
}

@Suite struct RunsCommandLineTests {
    @Test func evaluationsAreRecordedAndListed() async throws {
        let folder = try TemporaryFolder()
        let database = folder.path("runs.db")
        let evaluated = try await CommandLineTests.runDetached([
            "evaluate", "examples/qa.jsonl", "--targets", "ground_truth", "--predictions", "predictions",
            "--model-type", "question-answering", "--experiment", "cli-demo", "--run-name", "first",
            "--tracking-uri", "sqlite:\(database)",
        ])
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        #expect(evaluated.stdout.contains("Recorded run "))
        #expect(evaluated.stdout.contains("(first) in experiment 'cli-demo'"))
        #expect(FileManager.default.fileExists(atPath: folder.path("assay-artifacts")))

        let list = try await CommandLineTests.runDetached(["runs", "list", "--experiment", "cli-demo", "--tracking-uri", database])
        #expect(list.status == 0, "\(list.stderr)")
        let row = try #require(list.stdout.split(separator: "\n").first { $0.contains("first") })
        #expect(row.contains("cli-demo") && row.contains("FINISHED"))
        let id = String(row.prefix(8))
        let show = try await CommandLineTests.runDetached(["runs", "show", id, "--tracking-uri", database])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("exact_match/v1"))
        #expect(show.stdout.contains("eval_results_table.json"))
        #expect(show.stdout.contains("Dataset: qa.jsonl"))

        let untracked = try await CommandLineTests.runDetached([
            "evaluate", "examples/qa.jsonl", "--predictions", "predictions", "--model-type", "text", "--no-tracking",
            "--tracking-uri", database,
        ])
        #expect(!untracked.stdout.contains("Recorded run"))
        let unsupported = try await CommandLineTests.runDetached([
            "evaluate", "examples/qa.jsonl", "--predictions", "predictions", "--model-type", "text",
            "--tracking-uri", "ftp://localhost/runs",
        ])
        #expect(unsupported.status == 2)
        #expect(unsupported.stderr.contains("give a file path, sqlite:PATH or postgresql://"))
        let unreachable = try await CommandLineTests.runDetached([
            "evaluate", "examples/qa.jsonl", "--predictions", "predictions", "--model-type", "text",
            "--tracking-uri", "postgresql://nobody@127.0.0.1:1/none",
        ])
        #expect(unreachable.status == 2)
        #expect(unreachable.stderr.contains("cannot reach PostgreSQL at 127.0.0.1:1"))
    }
}

/// Recording runs in PostgreSQL; `.ci/run` starts a server and sets ASSAY_POSTGRES_URL.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ASSAY_POSTGRES_URL"] != nil, "set ASSAY_POSTGRES_URL, or run scripts/test"))
struct PostgresCommandLineTests {
    @Test func evaluationsAreRecordedInPostgreSQL() async throws {
        let url = ProcessInfo.processInfo.environment["ASSAY_POSTGRES_URL"]!
        let folder = try TemporaryFolder()
        let experiment = "pg-cli-\(UUID().uuidString.prefix(8))"
        let evaluated = try await CommandLineTests.runDetached([
            "evaluate", "examples/qa.jsonl", "--targets", "ground_truth", "--predictions", "predictions",
            "--model-type", "question-answering", "--experiment", experiment, "--tracking-uri", url,
            "--artifacts-destination", folder.path("artifacts"),
        ])
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        let list = try await CommandLineTests.runDetached(["runs", "list", "--experiment", experiment, "--tracking-uri", url])
        #expect(list.status == 0, "\(list.stderr)")
        let row = try #require(list.stdout.split(separator: "\n").first { $0.contains(experiment) })
        let show = try await CommandLineTests.runDetached([
            "runs", "show", String(row.prefix(12)), "--tracking-uri", url, "--artifacts-destination", folder.path("artifacts"),
        ])
        #expect(show.stdout.contains("exact_match/v1"))
        #expect(show.stdout.contains("eval_results_table.json"))
    }
}
