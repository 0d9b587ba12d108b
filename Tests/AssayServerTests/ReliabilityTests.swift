import Assay
import AssayStoreSQLite
import AssayTesting
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The `assay server` process under load: 16 clients logging batches, then a `kill -9` in the middle of
/// the load and a restart. Nothing acknowledged may be lost and the database must stay sound.
/// Enabled by ASSAY_RELIABILITY=1 (`.ci/run` sets it); ASSAY_RELIABILITY_SECONDS sets the first phase (30).
@Suite(.serialized) struct ReliabilityTests {
    static let enabled = ProcessInfo.processInfo.environment["ASSAY_RELIABILITY"] == "1"
    static let seconds = Double(ProcessInfo.processInfo.environment["ASSAY_RELIABILITY_SECONDS"] ?? "") ?? 30

    /// A server process of the built `assay` binary.
    final class ServerProcess: Sendable {
        let process: Process
        let base: String

        convenience init(database: String, artifacts: String, log: String) async throws {
            try await self.init(arguments: ["--backend-store-uri", database, "--artifacts-destination", artifacts], log: log)
        }

        /// `assay server --port 0` with further arguments and environment variables.
        init(arguments: [String], environment: [String: String] = [:], log: String) async throws {
            // The test runner sits beside the built products.
            let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("assay")
            let process = Process()
            process.executableURL = binary
            process.arguments = ["server", "--port", "0"] + arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
            FileManager.default.createFile(atPath: log, contents: nil)
            let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = output
            process.standardError = output
            try process.run()
            self.process = process
            var found: String?
            for _ in 0..<300 where found == nil {
                try await Task.sleep(for: .milliseconds(100))
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                if let range = text.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) { found = String(text[range]) }
            }
            guard let found else {
                throw AssayError.internal("assay server did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
            base = found
        }

        func kill9() async {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }

        func stop() async {
            process.terminate()
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }
    }

    struct Tally: Sendable {
        var acknowledged: [Int64] = []
        var params: [String] = []
        var failures: [String] = []
        var requests = 0
    }

    static func post(_ base: String, _ endpoint: String, _ body: String) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: "\(base)/api/2.0/mlflow/\(endpoint)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 64 << 20))
        return (Int(response.status.code), text)
    }

    static func get(_ base: String, _ endpoint: String) async throws -> (Int, String) {
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "\(base)/api/2.0/mlflow/\(endpoint)"), timeout: .seconds(30))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 256 << 20)))
    }

    /// One client: log-batch (5 points of metric "m", a param every tenth batch) and get-run, until `until`.
    static func client(_ base: String, run: String, until: ContinuousClock.Instant) async -> Tally {
        var tally = Tally()
        var batch: Int64 = 0
        while ContinuousClock.now < until {
            let steps = (0..<5).map { batch * 5 + $0 }
            let metrics = steps.map { #"{"key": "m", "value": \#(Double($0) / 2), "timestamp": \#($0), "step": \#($0)}"# }
            let param = batch % 10 == 0 ? #"{"key": "p\#(batch)", "value": "v\#(batch)"}"# : nil
            let body = #"{"run_id": "\#(run)", "metrics": [\#(metrics.joined(separator: ","))], "params": [\#(param ?? "")]}"#
            do {
                let (status, text) = try await post(base, "runs/log-batch", body)
                tally.requests += 1
                if status == 200 {
                    tally.acknowledged += steps
                    if param != nil { tally.params.append("p\(batch)") }
                } else {
                    tally.failures.append("log-batch \(status): \(text.prefix(200))")
                }
                if batch % 10 == 5 {
                    let (status, text) = try await get(base, "runs/get?run_id=\(run)")
                    tally.requests += 1
                    if status != 200 { tally.failures.append("get-run \(status): \(text.prefix(200))") }
                }
            } catch {
                tally.failures.append("\(error)")
            }
            batch += 1
        }
        return tally
    }

    /// Every acknowledged point and param of each run is readable.
    static func verify(_ base: String, _ runs: [String], _ tallies: [Tally]) async throws {
        for (run, tally) in zip(runs, tallies) {
            let (status, text) = try await get(base, "metrics/get-history?run_id=\(run)&metric_key=m&max_results=1000000")
            #expect(status == 200)
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            let steps = Set(((object?["metrics"] as? [[String: Any]]) ?? []).compactMap { ($0["step"] as? NSNumber)?.int64Value })
            let missing = Set(tally.acknowledged).subtracting(steps)
            #expect(missing.isEmpty, "run \(run): \(missing.count) of \(tally.acknowledged.count) acknowledged points are missing")
            let (_, runText) = try await get(base, "runs/get?run_id=\(run)")
            for param in tally.params { #expect(runText.contains(#""key":"\#(param)""#), "run \(run): param \(param) is missing") }
        }
    }

    static func createRuns(_ base: String, count: Int, prefix: String) async throws -> [String] {
        var runs: [String] = []
        for i in 0..<count {
            let (status, text) = try await post(
                base, "runs/create", #"{"experiment_id": "0", "run_name": "\#(prefix)-\#(i)", "start_time": 1}"#)
            #expect(status == 200)
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            runs.append(try #require(((object?["run"] as? [String: Any])?["info"] as? [String: Any])?["run_id"] as? String))
        }
        return runs
    }

    @Test(.enabled(if: enabled, "set ASSAY_RELIABILITY=1, or run scripts/test"))
    func sixteenClientsThenKillNineLoseNothingAcknowledged() async throws {
        let folder = try TemporaryFolder()
        let database = folder.path("assay.db")
        let artifacts = folder.path("artifacts")
        var server = try await ServerProcess(database: database, artifacts: artifacts, log: folder.path("server-1.log"))

        // Phase 1: steady load, no faults: not one error.
        let runs = try await Self.createRuns(server.base, count: 16, prefix: "steady")
        let started = ContinuousClock.now
        let until = started + .seconds(Self.seconds)
        let base = server.base
        let tallies = await withTaskGroup(of: (Int, Tally).self) { group in
            for (index, run) in runs.enumerated() { group.addTask { (index, await Self.client(base, run: run, until: until)) } }
            var all = [Tally](repeating: Tally(), count: runs.count)
            for await (index, tally) in group { all[index] = tally }
            return all
        }
        let elapsed = Double((ContinuousClock.now - started).components.seconds)
        let requests = tallies.map(\.requests).reduce(0, +)
        let failures = tallies.flatMap(\.failures)
        #expect(failures.isEmpty, "\(failures.count) failures under load, first: \(failures.first ?? "")")
        try await Self.verify(server.base, runs, tallies)
        print(
            "reliability: 16 clients, \(requests) requests in \(Int(elapsed)) s, \(Int(Double(requests) / max(elapsed, 1))) requests/s, 0 errors, every acknowledged value read back"
        )

        // Phase 2: the same load, and kill -9 in the middle of it.
        let crashRuns = try await Self.createRuns(server.base, count: 16, prefix: "crash")
        let crashUntil = ContinuousClock.now + .seconds(6)
        let killed = server
        async let killer: Void = {
            try? await Task.sleep(for: .seconds(3))
            await killed.kill9()
        }()
        let crashTallies = await withTaskGroup(of: (Int, Tally).self) { group in
            for (index, run) in crashRuns.enumerated() { group.addTask { (index, await Self.client(base, run: run, until: crashUntil)) } }
            var all = [Tally](repeating: Tally(), count: crashRuns.count)
            for await (index, tally) in group { all[index] = tally }
            return all
        }
        await killer
        let acknowledged = crashTallies.map(\.acknowledged.count).reduce(0, +)
        #expect(acknowledged > 0)

        let problems = try await SQLiteTrackingStore(path: database).integrityProblems()
        #expect(problems.isEmpty, "integrity check after kill -9: \(problems)")
        server = try await ServerProcess(database: database, artifacts: artifacts, log: folder.path("server-2.log"))
        try await Self.verify(server.base, crashRuns, crashTallies)
        try await Self.verify(server.base, runs, tallies)
        print("reliability: kill -9 under load, restart: integrity ok, all \(acknowledged) acknowledged points present")
        await server.stop()
    }
}
