import ArgumentParser
import Assay
import AssayServer
import AssayStoreSQLite
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Server time of the web UI's pages on a large store: an experiment of 10,000 runs and a run whose
/// evaluation table has 100,000 rows (and a second one to compare with).
struct UIPages: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui", abstract: "Time the web UI's pages with 10,000 runs and a 100,000-row evaluation table.")

    @Option(help: "Runs in the experiment.") var runs = 10_000
    @Option(help: "Rows of the evaluation table.") var rows = 100_000
    @Option(help: "Requests per page (the median and the slowest are printed).") var repeats = 20

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("assay-bench-ui-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteTrackingStore(path: folder.appendingPathComponent("assay.db").path)
        let artifactRoot = folder.appendingPathComponent("artifacts")
        let artifacts = LocalArtifactRepository(root: artifactRoot)

        var clock = ContinuousClock.now
        let experiment = try await store.createExperiment(named: "many-runs", artifactLocation: nil, tags: [])
        for i in 0..<runs {
            let run = try await store.createRun(
                in: experiment.id, named: "run-\(i)", startTime: Int64(1_700_000_000_000 + i * 1000), userID: "bench", tags: [])
            let metrics = ["exact_match/v1", "rougeL/v1/mean", "bleu/v1/mean", "toxicity/v1/mean", "latency/mean"].enumerated().map {
                MetricPoint(key: $0.element, value: Double((i * 7 + $0.offset * 13) % 100) / 100, timestamp: 1, step: 0)
            }
            try await store.logBatch(
                run: run.id, metrics: metrics, params: [KeyValue("model", "model-\(i % 5)"), KeyValue("prompt", "v\(i % 3)")], tags: [])
            _ = try await store.updateRun(id: run.id, status: .finished, endTime: Int64(1_700_000_000_000 + i * 1000 + 500), name: nil)
        }
        print("store: \(runs) runs in \(ContinuousClock.now - clock)")

        clock = ContinuousClock.now
        let big = try await store.createExperiment(named: "big-tables", artifactLocation: nil, tags: [])
        var tableRuns: [String] = []
        for version in 0..<2 {
            let run = try await store.createRun(in: big.id, named: "table-\(version)", startTime: 1, userID: "bench", tags: [])
            let staging = folder.appendingPathComponent("table-\(version).json")
            FileManager.default.createFile(atPath: staging.path, contents: nil)
            let handle = try FileHandle(forWritingTo: staging)
            var text =
                #"{"columns":["inputs","ground_truth","outputs","exact_match/score","answer_correctness/v1/score","answer_correctness/v1/justification"],"data":["#
            for r in 0..<rows {
                if r > 0 { text += "," }
                let score = (r * 31 + version * 7) % 5 + 1
                text +=
                    #"["Question number \#(r) about topic \#(r % 97)?","Answer \#(r % 13)","The model says answer \#((r + version) % 13) for \#(r)",\#(r % 2),\#(score),"Scored \#(score) because the answer is \#(score > 3 ? "close" : "off")"]"#
                if text.utf8.count > 1 << 20 {
                    try handle.write(contentsOf: Data(text.utf8))
                    text = ""
                }
            }
            text += "]}"
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
            try await artifacts.store(file: staging, at: "eval_results_table.json", of: run)
            try await store.logBatch(
                run: run.id, metrics: [MetricPoint(key: "answer_correctness/v1/mean", value: 3, timestamp: 1, step: 0)], params: [],
                tags: [KeyValue("mlflow.loggedArtifacts", #"[{"path": "eval_results_table.json", "type": "table"}]"#)])
            tableRuns.append(run.id)
        }
        print("store: two runs with \(rows)-row tables in \(ContinuousClock.now - clock)")

        var configuration = TrackingServer.Configuration()
        configuration.port = 0
        var logger = Logger(label: "assay.bench.ui")
        logger.logLevel = .critical
        let server = try TrackingServer(store: store, artifactRoot: artifactRoot, configuration: configuration, logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let serving = Task { try await server.run { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ValidationError("the server did not start") }
        let base = "http://127.0.0.1:\(port)"

        func time(_ path: String) async throws -> (Duration, Int) {
            let start = ContinuousClock.now
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + path), timeout: .seconds(120))
            let body = try await response.body.collect(upTo: 256 << 20)
            guard response.status.code == 200 else { throw ValidationError("\(path): \(response.status)") }
            return (ContinuousClock.now - start, body.readableBytes)
        }
        func ms(_ d: Duration) -> String {
            String(format: "%.1f ms", Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000)
        }

        let (cold, _) = try await time("/runs/\(tableRuns[0])")
        print("first view of a \(rows)-row table (reads and indexes the file once): \(ms(cold))")
        _ = try await time("/runs/\(tableRuns[1])")
        let (firstCompare, _) = try await time("/compare?runs=\(tableRuns[0])&runs=\(tableRuns[1])")
        print("first compare of the two (pairs the rows and resamples every metric once): \(ms(firstCompare))")
        let pages: [(String, String)] = [
            ("experiments list", "/"),
            ("runs table, \(runs) runs, first page", "/experiments/\(experiment.id)"),
            ("runs table sorted by a metric", "/experiments/\(experiment.id)?order=metrics.%60rougeL%2Fv1%2Fmean%60%20DESC"),
            (
                "runs table filtered",
                "/experiments/\(experiment.id)?filter=metrics.%60exact_match%2Fv1%60%20%3E%200.5%20and%20params.model%20%3D%20%27model-3%27"
            ),
            ("runs table, page 50", "/experiments/\(experiment.id)?offset=5000"),
            ("run page, table page 1", "/runs/\(tableRuns[0])"),
            ("run page, table page 1000", "/runs/\(tableRuns[0])?page=1000"),
            ("run page, text search", "/runs/\(tableRuns[0])?q=topic%2042%3F"),
            ("run page, score range", "/runs/\(tableRuns[0])?metric=answer_correctness%2Fv1&min=4&max=5&page=10"),
            ("run page sorted by a score", "/runs/\(tableRuns[0])?sort=answer_correctness%2Fv1%2Fscore&dir=desc"),
            ("review queue of the table", "/runs/\(tableRuns[0])/review"),
            ("table CSV export, score range", "/runs/\(tableRuns[0])/table.csv?metric=answer_correctness%2Fv1&min=4&max=5"),
            ("runs CSV export, \(runs) runs", "/experiments/\(experiment.id)/runs.csv"),
            ("compare 2 runs, \(rows) rows each", "/compare?runs=\(tableRuns[0])&runs=\(tableRuns[1])"),
        ]
        print("page | median | slowest of \(repeats) | bytes")
        for (name, path) in pages {
            var times: [Duration] = []
            var bytes = 0
            for _ in 0..<repeats {
                let (t, b) = try await time(path)
                times.append(t)
                bytes = b
            }
            times.sort()
            print("\(name) | \(ms(times[times.count / 2])) | \(ms(times.last!)) | \(bytes)")
        }
        print("peak RSS: \(peakResidentKilobytes() / 1024) MB")
        serving.cancel()
    }
}
