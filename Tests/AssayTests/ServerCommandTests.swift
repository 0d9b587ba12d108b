import Foundation
import Testing

/// `assay server` as a process, and `assay evaluate` / `assay runs` recording into it over HTTP.
@Suite struct ServerCommandTests {
    @Test func evaluationsRecordIntoARunningServer() async throws {
        let folder = try TemporaryFolder()
        let binary = Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("assay")
        let server = Process()
        server.executableURL = binary
        server.arguments = [
            "server", "--port", "0", "--backend-store-uri", folder.path("server.db"), "--artifacts-destination", folder.path("artifacts"),
        ]
        let log = try folder.file("server.log", "")
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        server.standardOutput = output
        server.standardError = output
        try server.run()
        defer { server.terminate() }
        var url: String?
        for _ in 0..<300 where url == nil {
            try await Task.sleep(for: .milliseconds(100))
            let text = try String(contentsOfFile: log, encoding: .utf8)
            url = text.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression).map { String(text[$0]) }
        }
        let serverLog = try String(contentsOfFile: log, encoding: .utf8)
        let base = try #require(url, "the server printed no address: \(serverLog)")
        // A second server on the same SQLite file says why it will not start.
        let second = try await CommandLineTests.runDetached([
            "server", "--port", "0", "--backend-store-uri", folder.path("server.db"), "--artifacts-destination", folder.path("artifacts"),
        ])
        #expect(second.status == 2 && second.stderr.contains("a SQLite database takes one server process"), "\(second.stderr)")

        let evaluate = try await CommandLineTests.runDetached([
            "evaluate", "examples/qa.jsonl", "--targets", "ground_truth", "--predictions", "predictions",
            "--model-type", "question-answering", "--experiment", "server-demo", "--run-name", "over-http", "--tracking-uri", base,
        ])
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        let runID = try #require(evaluate.stdout.firstMatch(of: /Recorded run ([0-9a-f]{32})/)?.1)
        let list = try await CommandLineTests.runDetached(["runs", "list", "--experiment", "server-demo", "--tracking-uri", base])
        #expect(list.stdout.contains(String(runID)) && list.stdout.contains("over-http"), "\(list.stdout)\(list.stderr)")
        let show = try await CommandLineTests.runDetached(["runs", "show", String(runID.prefix(8)), "--tracking-uri", base])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("exact_match/v1") && show.stdout.contains("eval_results_table.json"), "\(show.stdout)")
        // The table went through the artifact proxy into the server's folder.
        let stored = try FileManager.default.subpathsOfDirectory(atPath: folder.path("artifacts"))
        #expect(stored.contains { $0.hasSuffix("\(runID)/artifacts/eval_results_table.json") }, "\(stored)")

        let denied = try await CommandLineTests.runDetached(["runs", "list", "--tracking-uri", "http://127.0.0.1:9/"])
        #expect(denied.status != 0 && denied.stderr.contains("cannot reach the tracking server"), "\(denied.stderr)")
    }
}
