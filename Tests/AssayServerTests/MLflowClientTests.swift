import Assay
import AssayStorePostgres
import AssayTesting
import Foundation
import Testing

/// The official `mlflow` Python client against an in-process server: the classic API
/// (Tests/MLflowClient/compat.py) and MLflow 3's logged models, traces, assessments and
/// `genai.evaluate` (compat3.py, which passes against `mlflow server` too: scripts/test-mlflow-client
/// --mlflow3 --reference).
/// Enabled when ASSAY_MLFLOW_PYTHON names a python with mlflow installed (`.ci/run` sets it from
/// scripts/mlflow-venv).
@Suite struct MLflowClientTests {
    static let python = ProcessInfo.processInfo.environment["ASSAY_MLFLOW_PYTHON"]

    /// SQLite always; PostgreSQL too when ASSAY_POSTGRES_URL names a server (a fresh database per run).
    static var backends: [String] {
        ProcessInfo.processInfo.environment["ASSAY_POSTGRES_URL"] == nil ? ["sqlite"] : ["sqlite", "postgres"]
    }

    static func postgresStore() async throws -> PostgresTrackingStore {
        let url = ProcessInfo.processInfo.environment["ASSAY_POSTGRES_URL"]!
        let name = "assay_mlflow_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        let folder = try TemporaryFolder()
        let (status, output) = try await BrowserTests.run("/usr/bin/env", ["psql", url, "-q", "-c", "CREATE DATABASE \(name)"], in: folder)
        guard status == 0 else { throw AssayError.internal("psql could not create \(name): \(output)") }
        let store = try PostgresTrackingStore(url: "\(url[..<url.lastIndex(of: "/")!])/\(name)")
        // The pool runs for the rest of the test process, like the database it serves.
        Task { try await store.run() }
        try await store.migrate()
        return store
    }

    @Test(
        .enabled(if: python != nil, "set ASSAY_MLFLOW_PYTHON to a python with mlflow installed, or run scripts/test"),
        arguments: backends, ["compat.py", "compat3.py"])
    func theOfficialClientLogsAndReadsBackEverything(backend: String, script name: String) async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("MLflowClient/\(name)")
        let store: (any TrackingStore)? = backend == "postgres" ? try await Self.postgresStore() : nil
        try await LiveServer.with(store: store, live: true) { server in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.python!)
            process.arguments = [script.path]
            var environment = ProcessInfo.processInfo.environment
            environment["MLFLOW_TRACKING_URI"] = server.base
            environment["MLFLOW_DISABLE_TELEMETRY"] = "true"
            environment["DO_NOT_TRACK"] = "true"
            environment["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
            environment["ASSAY_BINARY"] = BrowserTests.binary.path
            process.environment = environment
            // A file rather than a pipe, so a chatty client never blocks on a full pipe buffer.
            let log = try server.folder.file("client.log", "")
            let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = output
            process.standardError = output
            // Waiting without blocking a thread: the server answers the client from the same thread pool.
            let status: Int32 = try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
                do { try process.run() } catch { continuation.resume(throwing: error) }
            }
            try output.close()
            let text = try String(contentsOfFile: log, encoding: .utf8)
            #expect(status == 0, "\(text)")
            #expect(text.contains("checks passed"), "\(text)")
            if name == "compat3.py" {
                // The trace whose client sent no spans by OTLP got them from its uploaded traces.json.
                let traces = try #require(server.store as? any TraceStore)
                let experiment = try #require(
                    try await server.store.experiments(view: .activeOnly).first { $0.name.hasPrefix("MLflow 3 compat") })
                let offline = try await traces.traces(in: experiment.id, since: nil, limit: 100, offset: 0).filter { $0.name == "offline" }
                #expect(offline.count == 1 && offline.first?.spanCount == 2, "\(offline)")
                if backend == "sqlite", BrowserTests.chromium != nil { try await Self.browse(server, text) }
            }
        }
    }

    /// The mlflow client's traces on Assay's pages in headless Chromium: the experiment's traces, the
    /// traced call with its spans and the assessments logged on it, and the genai.evaluate run with its
    /// scored traces; screenshots go to test-output/ui/.
    static func browse(_ server: LiveServer, _ log: String) async throws {
        let line = try #require(log.split(separator: "\n").first { $0.hasPrefix("pages: ") })
        var ids: [String: String] = [:]
        for pair in line.dropFirst(7).split(separator: " ") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { ids[String(parts[0])] = String(parts[1]) }
        }
        let (experiment, trace, run) = (try #require(ids["experiment"]), try #require(ids["trace"]), try #require(ids["run"]))
        let pages: [(name: String, path: String, height: Int, expected: [String])] = [
            ("mlflow3-traces", "/experiments/\(experiment)/traces", 900, ["answer", "predict", "Completions", "What is Spark?"]),
            (
                "mlflow3-trace", "/traces/\(trace)", 1400,
                [
                    "retrieve", "Completions", "helpful", "HUMAN · reviewer@example.com", "relevance", "LLM_JUDGE", "Relevant.",
                    "traced",
                ]
            ),
            (
                "mlflow3-evaluation", "/runs/\(run)", 1600,
                ["Traces of this run", "mentions_question", "answer_length", "expected_response"]
            ),
        ]
        try await BrowserTests.check(pages, at: server.base, in: try TemporaryFolder())
    }
}
