import Assay
import AssayS3
import AssayStoreSQL
import AssayTesting
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A team's deployment, for real: two `assay server` processes on one PostgreSQL database and one
/// S3-compatible bucket (moto's server, signatures checked), behind nginx as the load balancer.
/// Enabled by ASSAY_REPLICAS=1 with ASSAY_POSTGRES_URL, ASSAY_S3_ENDPOINT and ASSAY_NGINX (`scripts/test`
/// sets them all).
@Suite(.serialized) struct ReplicaTests {
    static let environment = ProcessInfo.processInfo.environment
    static let enabled =
        environment["ASSAY_REPLICAS"] == "1" && environment["ASSAY_POSTGRES_URL"] != nil && environment["ASSAY_S3_ENDPOINT"] != nil
        && environment["ASSAY_NGINX"] != nil
    static let seconds = Double(environment["ASSAY_RELIABILITY_SECONDS"] ?? "") ?? 30

    typealias Server = ReliabilityTests.ServerProcess

    /// A new, empty PostgreSQL database of the test cluster.
    static func freshDatabase() throws -> String {
        let url = environment["ASSAY_POSTGRES_URL"]!
        let name = "assay_replicas_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        try run(["psql", url, "-q", "-c", "CREATE DATABASE \(name)"])
        return "\(url[..<url.lastIndex(of: "/")!])/\(name)"
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw AssayError.internal("\(arguments.joined(separator: " ")) failed") }
        return output
    }

    /// The settings both replicas get: the bucket's credentials and endpoint.
    static var s3Environment: [String: String] {
        [
            "AWS_ACCESS_KEY_ID": environment["ASSAY_S3_ACCESS_KEY_ID"] ?? "",
            "AWS_SECRET_ACCESS_KEY": environment["ASSAY_S3_SECRET_ACCESS_KEY"] ?? "",
            "MLFLOW_S3_ENDPOINT_URL": environment["ASSAY_S3_ENDPOINT"] ?? "", "AWS_REGION": "us-east-1",
        ]
    }

    static func replica(_ database: String, prefix: String, folder: TemporaryFolder, _ name: String) async throws -> Server {
        let bucket = environment["ASSAY_S3_BUCKET"] ?? "assay-test"
        return try await Server(
            arguments: [
                "--backend-store-uri", database, "--artifacts-destination", "s3://\(bucket)/\(prefix)", "--db-pool-size", "8",
                "--log-format", "json", "--log-level", "warning",
            ], environment: s3Environment, log: folder.path("\(name).log"))
    }

    /// nginx in front of `upstreams`, on a free port, until `stop()`.
    final class LoadBalancer: Sendable {
        let process: Process
        let base: String

        init(upstreams: [String], folder: TemporaryFolder) async throws {
            let port = try Self.freePort()
            let servers = upstreams.map { "server \($0.replacingOccurrences(of: "http://", with: "")) max_fails=1 fail_timeout=10s;" }
            let configuration = """
                worker_processes 1;
                daemon off;
                user root;
                error_log \(folder.path("nginx-error.log")) warn;
                pid \(folder.path("nginx.pid"));
                events { worker_connections 1024; }
                http {
                    access_log off;
                    client_body_temp_path \(folder.path("nginx-body"));
                    proxy_temp_path \(folder.path("nginx-proxy"));
                    upstream assay { \(servers.joined(separator: " ")) keepalive 32; }
                    server {
                        listen 127.0.0.1:\(port);
                        client_max_body_size 0;
                        proxy_request_buffering off;
                        proxy_buffering off;
                        location / {
                            proxy_pass http://assay;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_set_header Host $host;
                            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                            proxy_next_upstream error timeout http_502 http_503;
                            proxy_connect_timeout 2s;
                        }
                    }
                }
                """
            let file = folder.path("nginx.conf")
            try configuration.write(toFile: file, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ReplicaTests.environment["ASSAY_NGINX"]!)
            process.arguments = ["-c", file, "-p", folder.path("")]
            let log = try FileHandle(
                forWritingTo: URL(
                    fileURLWithPath: {
                        FileManager.default.createFile(atPath: folder.path("nginx.out"), contents: nil); return folder.path("nginx.out")
                    }()))
            process.standardOutput = log
            process.standardError = log
            try process.run()
            self.process = process
            base = "http://127.0.0.1:\(port)"
            for _ in 0..<100 {
                if (try? await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/health"), timeout: .seconds(2)))?.status == .ok {
                    return
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw AssayError.internal(
                "nginx did not start: \((try? String(contentsOfFile: folder.path("nginx-error.log"), encoding: .utf8)) ?? "")")
        }

        static func freePort() throws -> Int {
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(socket) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var size = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, size) } }
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &size) }
            }
            return Int(UInt16(bigEndian: address.sin_port))
        }

        func stop() async {
            process.terminate()
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }
    }

    /// A process's peak resident memory in bytes (VmHWM).
    static func peakMemory(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    static func requestCount(_ base: String, route: String) async throws -> Double {
        let text = String(
            buffer: try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/metrics"), timeout: .seconds(10)).body.collect(
                upTo: 16 << 20))
        return text.split(separator: "\n").filter {
            $0.hasPrefix("assay_http_requests_total{route=\"\(route)\"") && $0.contains("status=\"200\"")
        }
        .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
    }

    @Test(.enabled(if: enabled, "set ASSAY_REPLICAS=1 with PostgreSQL, S3 and nginx (scripts/test does)"))
    func twoReplicasStartedAtOnceMigrateAnEmptyDatabaseOnceAndServeAsOne() async throws {
        let folder = try TemporaryFolder()
        let database = try Self.freshDatabase()
        let prefix = "replicas-\(UUID().uuidString)"
        // Both at the same instant, on a database with no tables yet.
        async let first = Self.replica(database, prefix: prefix, folder: folder, "replica-1")
        async let second = Self.replica(database, prefix: prefix, folder: folder, "replica-2")
        let (one, two) = try await (first, second)
        let migrations = try Self.run(["psql", database, "-At", "-c", "SELECT name FROM assay_migrations ORDER BY name"])
            .split(separator: "\n")
        // Each recorded exactly once: a second record of one would mean both replicas ran it.
        #expect(migrations.count == Schema.names.count && Set(migrations.map(String.init)) == Set(Schema.names), "\(migrations)")
        let balancer = try await LoadBalancer(upstreams: [one.base, two.base], folder: folder)

        // A file uploaded through one replica is read through the other, and both are ready.
        let (status, created) = try await ReliabilityTests.post(one.base, "runs/create", #"{"experiment_id": "0"}"#)
        #expect(status == 200)
        let run = try #require(
            (((try JSONSerialization.jsonObject(with: Data(created.utf8)) as? [String: Any])?["run"] as? [String: Any])?["info"]
                as? [String: Any])?["run_id"] as? String)
        let path = "/api/2.0/mlflow-artifacts/artifacts/0/\(run)/artifacts/notes.txt"
        var put = HTTPClientRequest(url: one.base + path)
        put.method = .PUT
        put.body = .bytes(ByteBuffer(string: "written through replica 1"))
        #expect(try await HTTPClient.shared.execute(put, timeout: .seconds(30)).status == .ok)
        let read = try await HTTPClient.shared.execute(HTTPClientRequest(url: two.base + path), timeout: .seconds(30))
        #expect(String(buffer: try await read.body.collect(upTo: 1 << 20)) == "written through replica 1")
        for replica in [one, two] {
            let ready = try await HTTPClient.shared.execute(HTTPClientRequest(url: replica.base + "/ready"), timeout: .seconds(10))
            #expect(ready.status == .ok)
        }

        // Requests through the balancer reach both replicas, and their counters add up to what was sent.
        let route = "/api/2.0/mlflow/experiments/get"
        let before = try await Self.requestCount(one.base, route: route) + Self.requestCount(two.base, route: route)
        for _ in 0..<40 {
            let reply = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: balancer.base + route + "?experiment_id=0"), timeout: .seconds(10))
            #expect(reply.status == .ok)
        }
        let (onOne, onTwo) = (try await Self.requestCount(one.base, route: route), try await Self.requestCount(two.base, route: route))
        #expect(onOne + onTwo - before == 40 && onOne > 0 && onTwo > 0, "replica 1: \(onOne), replica 2: \(onTwo)")

        // The official mlflow client, through the balancer, with artifacts in the bucket.
        if let python = Self.environment["ASSAY_MLFLOW_PYTHON"] {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("MLflowClient/compat.py").path
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [script]
            process.environment = Self.environment.merging([
                "MLFLOW_TRACKING_URI": balancer.base, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true",
            ]) { _, new in new }
            // A file rather than a pipe, and waiting without blocking a thread of the pool.
            let log = try folder.file("client.log", "")
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = handle
            process.standardError = handle
            let status: Int32 = try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
                do { try process.run() } catch { continuation.resume(throwing: error) }
            }
            try handle.close()
            let output = try String(contentsOfFile: log, encoding: .utf8)
            #expect(status == 0 && output.contains("checks passed"), "compat.py through nginx: \(output.suffix(2000))")
            print("replicas: compat.py through nginx: \(output.split(separator: "\n").last ?? "")")
        }

        // 200 MB streamed through the balancer into the bucket and back: neither replica holds it in memory.
        let size = 200 << 20
        var upload = HTTPClientRequest(url: balancer.base + "/api/2.0/mlflow-artifacts/artifacts/0/\(run)/artifacts/big.bin")
        upload.method = .PUT
        upload.body = .stream(Chunks(total: size), length: .known(Int64(size)))
        let uploaded = try await HTTPClient.shared.execute(upload, timeout: .seconds(600))
        let answer = String(buffer: try await uploaded.body.collect(upTo: 1 << 20))
        #expect(uploaded.status == .ok, "\(answer)")
        let download = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: balancer.base + "/api/2.0/mlflow-artifacts/artifacts/0/\(run)/artifacts/big.bin"), timeout: .seconds(600)
        )
        var received = 0
        var hasher = SHA256()
        for try await chunk in download.body {
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            received += chunk.readableBytes
        }
        #expect(received == size && hasher.finalize() == Chunks(total: size).digest)
        let peaks = [one, two].map { Self.peakMemory($0.process.processIdentifier) }
        #expect(peaks.allSatisfy { $0 < 100 << 20 }, "peak RSS of the replicas: \(peaks.map { $0 >> 20 }) MB")
        print("replicas: 200 MB through nginx into S3 and back; replicas' peak RSS \(peaks.map { $0 >> 20 }) MB")

        await balancer.stop()
        await one.stop()
        await two.stop()
    }

    @Test(.enabled(if: enabled, "set ASSAY_REPLICAS=1 with PostgreSQL, S3 and nginx (scripts/test does)"))
    func killingAReplicaUnderLoadLosesNothingAcknowledged() async throws {
        let folder = try TemporaryFolder()
        let database = try Self.freshDatabase()
        let prefix = "failover-\(UUID().uuidString)"
        let one = try await Self.replica(database, prefix: prefix, folder: folder, "replica-1")
        let two = try await Self.replica(database, prefix: prefix, folder: folder, "replica-2")
        let balancer = try await LoadBalancer(upstreams: [one.base, two.base], folder: folder)
        let base = balancer.base
        let runs = try await ReliabilityTests.createRuns(base, count: 16, prefix: "failover")
        let started = ContinuousClock.now
        let until = started + .seconds(Self.seconds)
        async let killer: Void = {
            try? await Task.sleep(for: .seconds(Self.seconds / 3))
            await one.kill9()
        }()
        let tallies = await withTaskGroup(of: (Int, ReliabilityTests.Tally).self) { group in
            for (index, run) in runs.enumerated() {
                group.addTask { (index, await Self.retryingClient(base, run: run, until: until)) }
            }
            var all = [ReliabilityTests.Tally](repeating: .init(), count: runs.count)
            for await (index, tally) in group { all[index] = tally }
            return all
        }
        await killer
        let acknowledged = tallies.map(\.acknowledged.count).reduce(0, +)
        let requests = tallies.map(\.requests).reduce(0, +)
        let gaveUp = tallies.flatMap(\.failures)
        #expect(gaveUp.isEmpty, "\(gaveUp.count) batches failed after their retries, first: \(gaveUp.first ?? "")")
        // Read back through the survivor: every acknowledged value is there.
        try await ReliabilityTests.verify(two.base, runs, tallies)
        print(
            "replicas: 16 clients for \(Int(Self.seconds)) s, kill -9 of one replica at \(Int(Self.seconds / 3)) s: \(requests) requests, all \(acknowledged) acknowledged points present"
        )
        await balancer.stop()
        await two.stop()
    }

    @Test(.enabled(if: environment["ASSAY_NGINX"] != nil, "set ASSAY_NGINX (scripts/test does)"))
    func theExampleNginxConfigurationIsValid() throws {
        let folder = try TemporaryFolder()
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/deploy/nginx.conf").path
        let wrapper = try folder.file(
            "nginx.conf",
            """
            pid \(folder.path("nginx.pid"));
            error_log \(folder.path("error.log"));
            events {}
            http { access_log off; client_body_temp_path \(folder.path("body")); proxy_temp_path \(folder.path("proxy")); include \(example); }
            """)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.environment["ASSAY_NGINX"]!)
        process.arguments = ["-t", "-q", "-c", wrapper, "-p", folder.path("")]
        let pipe = Pipe()
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
    }

    /// A client like the reliability test's, which retries a batch that fails (the balancer answers
    /// 502 while it notices a replica is gone) up to ten times before counting it as lost.
    static func retryingClient(_ base: String, run: String, until: ContinuousClock.Instant) async -> ReliabilityTests.Tally {
        var tally = ReliabilityTests.Tally()
        var batch: Int64 = 0
        while ContinuousClock.now < until {
            let steps = (0..<5).map { batch * 5 + $0 }
            let metrics = steps.map { #"{"key": "m", "value": \#(Double($0) / 2), "timestamp": \#($0), "step": \#($0)}"# }
            let body = #"{"run_id": "\#(run)", "metrics": [\#(metrics.joined(separator: ","))]}"#
            var last = ""
            for attempt in 0..<10 {
                tally.requests += 1
                if let (status, text) = try? await ReliabilityTests.post(base, "runs/log-batch", body) {
                    if status == 200 {
                        tally.acknowledged += steps
                        last = ""
                        break
                    }
                    last = "log-batch \(status): \(text.prefix(200))"
                } else {
                    last = "log-batch: no answer"
                }
                try? await Task.sleep(for: .milliseconds(100 * (attempt + 1)))
            }
            if !last.isEmpty { tally.failures.append(last) }
            batch += 1
        }
        return tally
    }
}

/// `total` bytes sent 1 MiB at a time: a fixed random block, each copy stamped with its number (so
/// no two blocks are alike), made as they are sent and never all in memory.
struct Chunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let total: Int

    static let block: [UInt8] = {
        var generator = SeededRandom(seed: 7)
        return (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }()

    /// The SHA-256 of the whole stream, for comparing what comes back.
    var digest: SHA256.Digest {
        var hasher = SHA256()
        var iterator = AsyncIterator(total: total)
        while let chunk = iterator.nextChunk() { chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) } }
        return hasher.finalize()
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let total: Int
        var sent = 0

        mutating func nextChunk() -> ByteBuffer? {
            guard sent < total else { return nil }
            let count = Swift.min(1 << 20, total - sent)
            var buffer = ByteBuffer()
            buffer.writeBytes(Chunks.block[0..<count])
            buffer.setInteger(UInt64(sent >> 20), at: 0)
            sent += count
            return buffer
        }

        mutating func next() async -> ByteBuffer? { nextChunk() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(total: total) }
}
