import Assay
import AssayStoreSQLite
import AssayTesting
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The web UI in a real browser, as a person uses it (Playwright driving Debian's Chromium; enabled
/// when ASSAY_UI_PYTHON names a python with Playwright, as `scripts/test` sets it), and `check`, which
/// loads pages in headless Chromium (ASSAY_CHROMIUM) for the suites that log runs with other clients.
@Suite struct BrowserTests {
    static let chromium = ProcessInfo.processInfo.environment["ASSAY_CHROMIUM"]
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("assay")

    /// Runs a program to the end without holding a thread, and returns its output.
    static func run(
        _ executable: String, _ arguments: [String], in folder: TemporaryFolder, errors: Bool = false
    ) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        let log = try folder.file("out-\(UUID().uuidString).txt", "")
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = output
        process.standardError = errors ? output : FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        try output.close()
        return (status, try String(contentsOfFile: log, encoding: .utf8))
    }

    /// The python of a virtualenv with Playwright (`scripts/ui-venv`), which drives Debian's Chromium.
    static let playwright = ProcessInfo.processInfo.environment["ASSAY_UI_PYTHON"]

    /// What a team does with the UI, in a real browser: `assay evaluate` records QA runs, a judged run (a
    /// judge on a loopback server that answers one row unreadably) and two retriever runs; an app sends a
    /// trace; `assay server` serves them; Tests/Browser/ui_check.py (Playwright) reads the runs table,
    /// draws a chart, downloads CSVs, sorts and filters a table, compares the retrievers, reviews rows
    /// with the keyboard and the form, scores the trace, and looks at 420 px and in dark mode, saving a
    /// screenshot of each under test-output/ui/. The scores it submitted are then read from the store.
    @Test(.enabled(if: playwright != nil, "set ASSAY_UI_PYTHON to a python with Playwright (scripts/ui-venv), or run scripts/test"))
    func aPersonUsesTheWebUIInChromium() async throws {
        let folder = try TemporaryFolder()
        let database = folder.path("assay.db")
        // A second version of the QA answers: one copied from the truth, one cut short, one with markup.
        let lines = try String(contentsOf: Self.packageRoot.appendingPathComponent("examples/qa.jsonl"), encoding: .utf8)
            .split(separator: "\n").enumerated().map { index, line -> String in
                guard var row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return String(line) }
                if index % 3 == 0 { row["predictions"] = row["ground_truth"] }
                if index % 3 == 1 { row["predictions"] = "I think <b>so</b>." }
                return String(decoding: try JSONSerialization.data(withJSONObject: row), as: UTF8.self)
            }
        let v2 = try folder.file("qa-v2.jsonl", lines.joined(separator: "\n"))
        // The second retriever finds the experiments document and loses the server one.
        let retrieverB = try String(contentsOf: Self.packageRoot.appendingPathComponent("examples/retriever.jsonl"), encoding: .utf8)
            .replacingOccurrences(
                of: #""retrieved": ["doc-ui", "doc-artifacts", "doc-models"]"#, with: #""retrieved": ["doc-experiments", "doc-ui"]"#
            )
            .replacingOccurrences(of: #""retrieved": ["doc-runs", "doc-server", "doc-ui"]"#, with: #""retrieved": ["doc-runs", "doc-ui"]"#)
        let retrieverFile = try folder.file("retriever-b.jsonl", retrieverB)
        // A judge whose score follows the question's length, and whose answer about Spark cannot be read.
        let judge = try await FakeChatServer.start { request in
            let prompt = request.lastMessage
            if prompt.contains("Apache Spark") { return .chatCompletion("I would give it 100 out of 5.") }
            return .chatCompletion(#"{"score": \#(prompt.count % 5 + 1), "justification": "judged by length"}"#)
        }
        defer { Task { await judge.stop() } }
        let qa = [
            "--targets", "ground_truth", "--predictions", "predictions", "--model-type", "question-answering", "--experiment", "qa-demo",
        ]
        let retriever = [
            "--targets", "ground_truth", "--predictions", "retrieved", "--model-type", "retriever", "--experiment", "retrieval",
        ]
        for (arguments, expected) in [
            (["examples/qa.jsonl", "--run-name", "baseline", "--metrics", "rougeL,bleu"] + qa, Int32(0)),
            ([v2, "--run-name", "prompt-v2", "--metrics", "rougeL,bleu"] + qa, 0),
            (
                [
                    v2, "--run-name", "judged", "--metrics", "answer_correctness", "--judge", "openai:/judge", "--judge-base-url",
                    judge.baseURL, "--fail-under", "answer_correctness/v1/mean=3", "--cache-dir", folder.path("cache"),
                ] + qa, 1
            ),  // 1 when the gate fails, as it may: the scores follow the prompts' lengths
            (["examples/retriever.jsonl", "--run-name", "retriever-a"] + retriever, 0),
            ([retrieverFile, "--run-name", "retriever-b"] + retriever, 0),
        ] {
            let (status, output) = try await Self.run(
                Self.binary.path, ["evaluate"] + arguments + ["--tracking-uri", database], in: folder)
            #expect(status == 0 || status == expected, "\(arguments): \(output)")
        }
        let server = try await ReliabilityTests.ServerProcess(
            database: database, artifacts: folder.path("assay-artifacts"), log: folder.path("server.log"))
        defer { server.process.terminate() }
        func runs(_ experiment: String) async throws -> [String: String] {
            let search = try await ReliabilityTests.post(server.base, "runs/search", #"{"experiment_ids": ["\#(experiment)"]}"#).1
            let runs = try #require(
                (try JSONSerialization.jsonObject(with: Data(search.utf8)) as? [String: Any])?["runs"] as? [[String: Any]])
            return Dictionary(
                uniqueKeysWithValues: runs.compactMap { run in
                    guard let info = run["info"] as? [String: Any], let name = info["run_name"] as? String,
                        let id = info["run_id"] as? String
                    else { return nil }
                    return (name, id)
                })
        }
        let (qaRuns, retrieverRuns) = (try await runs("1"), try await runs("2"))

        // A traced chat turn, as an app would send it.
        var request = HTTPClientRequest(url: server.base + "/v1/traces")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "x-assay-experiment", value: "qa-demo")
        request.body = .bytes(ByteBuffer(string: OTLPTests.json))
        let sent = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        #expect(sent.status.code == 200)

        let ids: [String: String] = [
            "qa": "1", "baseline": try #require(qaRuns["baseline"]), "v2": try #require(qaRuns["prompt-v2"]),
            "judged": try #require(qaRuns["judged"]), "retrieval": "2", "retriever_a": try #require(retrieverRuns["retriever-a"]),
            "retriever_b": try #require(retrieverRuns["retriever-b"]), "trace": "5b8efff798038103d269b633813fc60c",
        ]
        let output = Self.packageRoot.appendingPathComponent("test-output/ui")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let script = Self.packageRoot.appendingPathComponent("Tests/Browser/ui_check.py").path
        let idsJSON = String(decoding: try JSONSerialization.data(withJSONObject: ids), as: UTF8.self)
        let (status, report) = try await Self.run(Self.playwright!, [script, server.base, idsJSON, output.path], in: folder, errors: true)
        #expect(status == 0, "\(report)")
        for line in report.split(separator: "\n") where line.hasPrefix("FAIL") { Issue.record("\(line)") }

        // The scores submitted through the page are in the store, as a person's.
        let submitted = try #require(
            report.split(separator: "\n").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any])
        let reviewed = try #require(submitted["reviewed"] as? [String: Any])
        let rows = try #require(reviewed["rows"] as? [Int]), metrics = try #require(reviewed["metrics"] as? [String])
        let store = try SQLiteTrackingStore(path: database)
        let judged = try #require(qaRuns["judged"])
        try #require(rows.count == 2 && metrics.count == 2)
        for (row, (metric, value)) in zip(rows, zip(metrics, [DataValue.int(4), .int(2)])) {
            let stored = try await store.assessments(traceIDs: ["row:\(judged):\(row)"])
            #expect(stored.map(\.data) == [value] && stored.map(\.name) == [metric], "row \(row): \(stored)")
            #expect(stored.allSatisfy { $0.source.type == "HUMAN" && $0.source.id == "web UI" })
        }
        #expect(try await store.assessments(traceIDs: ["row:\(judged):\(rows[1])"]).first?.rationale == "misses the point")
        let trace = try await store.assessments(traceIDs: [ids["trace"]!]).filter { $0.source.type == "HUMAN" }
        #expect(trace.map(\.name) == ["helpful"] && trace.first?.data == .bool(true))
        for name in [
            "runs", "charts", "run", "table-sorted-filtered", "compare-retriever", "review", "run-reviewed", "trace", "runs-420", "run-420",
            "compare-420", "run-dark", "runs-dark",
        ] {
            let size =
                (try? FileManager.default.attributesOfItem(atPath: output.appendingPathComponent("\(name).png").path)[.size] as? Int) ?? 0
            #expect(size > 10_000, "no screenshot \(name).png")
        }
    }

    /// Loads each page in headless Chromium: its DOM must hold every expected text and none of `refused`,
    /// and its screenshot lands in test-output/ui/NAME.png.
    static func check(
        _ pages: [(name: String, path: String, height: Int, expected: [String])], at base: String, in folder: TemporaryFolder,
        refusing refused: [String] = []
    ) async throws {
        let output = Self.packageRoot.appendingPathComponent("test-output/ui")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        for page in pages {
            let url = base + page.path
            let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1366,\(page.height)"]
            let (status, dom) = try await run(chromium!, flags + ["--dump-dom", url], in: folder)
            #expect(status == 0, "\(page.name): chromium exited with \(status)")
            for text in page.expected { #expect(dom.contains(text), "\(page.name): no \(text) in the DOM") }
            for text in refused { #expect(!dom.contains(text), "\(page.name): \(text) was rendered as markup") }
            let shot = output.appendingPathComponent("\(page.name).png").path
            try? FileManager.default.removeItem(atPath: shot)
            _ = try await run(chromium!, flags + ["--screenshot=\(shot)", url], in: folder)
            let size = (try? FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(page.name): no screenshot at \(shot)")
        }
    }
}
