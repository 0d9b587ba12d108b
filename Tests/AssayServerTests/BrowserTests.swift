import AssayTesting
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The web UI in a real browser: `assay evaluate` records the examples, `assay server` serves them, and
/// headless Chromium loads every page, dumps its DOM and saves a screenshot under test-output/ui/.
/// Enabled when ASSAY_CHROMIUM names a Chromium binary (`.ci/run` installs Debian's and sets it).
@Suite struct BrowserTests {
    static let chromium = ProcessInfo.processInfo.environment["ASSAY_CHROMIUM"]
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("assay")

    /// Runs a program to the end without holding a thread, and returns its output.
    static func run(_ executable: String, _ arguments: [String], in folder: TemporaryFolder) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        let log = try folder.file("out-\(UUID().uuidString).txt", "")
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        try output.close()
        return (status, try String(contentsOfFile: log, encoding: .utf8))
    }

    @Test(.enabled(if: chromium != nil, "set ASSAY_CHROMIUM to a Chromium binary, or run scripts/test"))
    func everyPageInHeadlessChromium() async throws {
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
        for arguments in [
            [
                "examples/qa.jsonl", "--targets", "ground_truth", "--model-type", "question-answering", "--run-name", "baseline",
                "--experiment", "qa-demo", "--metrics", "rougeL,bleu",
            ],
            [
                v2, "--targets", "ground_truth", "--model-type", "question-answering", "--run-name", "prompt-v2", "--experiment", "qa-demo",
                "--metrics", "rougeL,bleu",
            ],
            [
                "examples/summarization.jsonl", "--targets", "ground_truth", "--model-type", "text-summarization", "--experiment",
                "summaries",
            ],
        ] {
            let (status, output) = try await Self.run(
                Self.binary.path, ["evaluate"] + arguments + ["--predictions", "predictions", "--tracking-uri", database], in: folder)
            #expect(status == 0, "\(output)")
        }
        let server = try await ReliabilityTests.ServerProcess(
            database: database, artifacts: folder.path("assay-artifacts"), log: folder.path("server.log"))
        defer { server.process.terminate() }
        let search = try await ReliabilityTests.post(
            server.base, "runs/search", #"{"experiment_ids": ["1"], "order_by": ["attributes.run_name"]}"#
        ).1
        let runs = try #require((try JSONSerialization.jsonObject(with: Data(search.utf8)) as? [String: Any])?["runs"] as? [[String: Any]])
        let ids = runs.compactMap { ($0["info"] as? [String: Any])?["run_id"] as? String }
        try #require(ids.count == 2)
        let (baseline, promptV2) = (ids[0], ids[1])

        // A traced chat turn, as an app would send it.
        var request = HTTPClientRequest(url: server.base + "/v1/traces")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "x-assay-experiment", value: "qa-demo")
        request.body = .bytes(ByteBuffer(string: OTLPTests.json))
        let sent = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        #expect(sent.status.code == 200)

        let pages: [(name: String, path: String, height: Int, expected: [String])] = [
            ("experiments", "/", 700, ["qa-demo", "summaries", "Last run started"]),
            ("runs", "/experiments/1", 700, ["baseline", "prompt-v2", "exact_match/v1", "Compare selected runs"]),
            ("run", "/runs/\(promptV2)", 3600, ["Evaluation table", "I think &lt;b&gt;so&lt;/b&gt;.", "eval_results_table.json", "<svg"]),
            ("run-filtered", "/runs/\(promptV2)?q=spark", 1400, ["1 of 12 rows match", "Apache Spark"]),
            ("artifact", "/runs/\(baseline)/artifacts/eval_results_table.json", 1200, ["\"columns\"", "Download"]),
            (
                "compare", "/compare?runs=\(baseline)&runs=\(promptV2)", 3000,
                ["Compare 2 runs", "Rows, aligned by input", "<del>", "<ins>"]
            ),
            ("traces", "/experiments/1/traces", 600, ["Traces of qa-demo", "gpt-4o-mini", "250.0 ms"]),
            ("trace", "/traces/5b8efff798038103d269b633813fc60c", 1100, ["What is 2+2?", "Spans", "chat", "CLIENT"]),
        ]
        try await Self.check(pages, at: server.base, in: folder, refusing: ["<b>so</b>"])
    }

    /// Loads each page in headless Chromium: its DOM must hold every expected text and none of `refused`,
    /// and its screenshot lands in test-output/ui/NAME.png.
    static func check(
        _ pages: [(name: String, path: String, height: Int, expected: [String])], at base: String, in folder: TemporaryFolder,
        refusing refused: [String] = []
    ) async throws {
        let output = packageRoot.appendingPathComponent("test-output/ui")
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
