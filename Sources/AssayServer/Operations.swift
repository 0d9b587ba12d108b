import Assay
import Foundation
import HTTPTypes
import Hummingbird
public import Logging
import NIOCore
import Prometheus
import Synchronization

/// What an operator or a load balancer watches: `/health` (the process answers), `/ready` (the
/// database and the artifact store answer too), and `/metrics` in Prometheus' text format: requests by
/// route, method and status, their latency, requests in flight, the database work under way and the
/// pool's size, artifact bytes in and out, OTLP spans accepted. Each server has its own registry, so
/// several servers in one process (tests) count apart.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let inFlight: Gauge
    let artifactBytesIn: Counter
    let artifactBytesOut: Counter
    let spansAccepted: Counter

    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    init() {
        inFlight = registry.makeGauge(name: "assay_http_requests_in_flight", help: "Requests being answered now.")
        artifactBytesIn = registry.makeCounter(
            name: "assay_artifact_bytes_total", labels: [("direction", "in")],
            help: "Artifact bytes uploaded to and downloaded from the server.")
        artifactBytesOut = registry.makeCounter(
            name: "assay_artifact_bytes_total", labels: [("direction", "out")],
            help: "Artifact bytes uploaded to and downloaded from the server.")
        spansAccepted = registry.makeCounter(name: "assay_otlp_spans_accepted_total", help: "Spans accepted at /v1/traces.")
    }

    /// A route, method and status's counter and latency histogram, made once and kept here: the
    /// registry checks names and labels on every lookup, too much for every request.
    private struct Series: Hashable {
        let route: String
        let method: String
        let status: Int
    }
    private let series = Mutex<[Series: (Counter, DurationHistogram)]>([:])

    /// Counts one answered request.
    func record(route: String, method: String, status: Int, duration: Duration) {
        let key = Series(route: route, method: method, status: status)
        let (counter, histogram) = series.withLock { known in
            if let found = known[key] { return found }
            let made = (
                registry.makeCounter(
                    name: "assay_http_requests_total", labels: [("route", route), ("method", method), ("status", String(status))],
                    help: "Requests answered, by route, method and status."),
                registry.makeDurationHistogram(
                    name: "assay_http_request_duration_seconds", labels: [("route", route), ("method", method)],
                    buckets: Self.latencyBuckets, help: "Time from a request's head to its answer.")
            )
            known[key] = made
            return made
        }
        counter.increment()
        histogram.record(duration)
    }

    /// The text a Prometheus server scrapes, with the database gauges read now.
    func exposition(database: DatabaseUse?) -> [UInt8] {
        if let database {
            let help = "Database reads and write transactions under way."
            registry.makeGauge(name: "assay_db_operations_in_flight", labels: [("kind", "read")], help: help).set(Double(database.reads))
            registry.makeGauge(name: "assay_db_operations_in_flight", labels: [("kind", "write")], help: help).set(Double(database.writes))
            if let pool = database.poolSize {
                registry.makeGauge(name: "assay_db_pool_max_connections", help: "Connections the database pool may open.").set(Double(pool))
            }
        }
        return registry.emitToBuffer()
    }
}

/// The outermost middleware: gives each request an id (the client's `X-Request-Id` when it sends a
/// sane one, else a new one) that goes back in the answer and into every log line about it (as
/// ``AssayRequestContext/requestID``), logs one line per request (method, path, route, status,
/// milliseconds), and counts it in ``ServerMetrics``.
struct RequestLogMiddleware: RouterMiddleware {
    let metrics: ServerMetrics
    let logger: Logger

    func handle(
        _ request: Request, context: AssayRequestContext, next: (Request, AssayRequestContext) async throws -> Response
    )
        async throws -> Response
    {
        let id = Self.requestID(request.headers[.xRequestID])
        var context = context
        context.requestID = id
        // Our own lines name the id themselves; the context's logger carries it for Hummingbird's debug
        // lines only, since setting logger metadata re-renders the handler's metadata every time.
        if context.logger.logLevel <= .debug { context.logger[metadataKey: "request_id"] = .string(id) }
        let clock = ContinuousClock()
        let start = clock.now
        metrics.inFlight.increment()
        defer { metrics.inFlight.decrement() }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            finish(request, context, status: 500, start: start, clock: clock, id: id)
            throw error
        }
        response.headers[.xRequestID] = id
        finish(request, context, status: Int(response.status.code), start: start, clock: clock, id: id)
        return response
    }

    private func finish(
        _ request: Request, _ context: AssayRequestContext, status: Int, start: ContinuousClock.Instant, clock: ContinuousClock, id: String
    ) {
        let elapsed = clock.now - start
        let route = context.endpointPath ?? "unmatched"
        metrics.record(route: route, method: request.method.rawValue, status: status, duration: elapsed)
        logger.info(
            "request",
            metadata: [
                "request_id": .string(id), "method": .string(request.method.rawValue), "path": .string(request.uri.path),
                "route": .string(route), "status": .stringConvertible(status),
                "duration_ms": .string(
                    String(format: "%.2f", Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)),
            ])
    }

    /// The random first half of this process's request ids.
    private static let processPart = UInt64.random(in: .min ... .max)
    /// How many ids this process has made.
    private static let made = Atomic<Int>(0)

    /// The client's id when it is short and plain (letters, digits, `-`, `_`, `.`), else a new one.
    static func requestID(_ given: String?) -> String {
        if let given, (1...128).contains(given.utf8.count),
            given.utf8.allSatisfy({
                $0 == 0x2D || $0 == 0x5F || $0 == 0x2E || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0)
                    || (0x61...0x7A).contains($0)
            })
        {
            return given
        }
        // 32 hex digits: the process's random half, then a count of the ids made (unique within the
        // process, and no system call for randomness on every request).
        let words = (processPart, UInt64(truncatingIfNeeded: made.add(1, ordering: .relaxed).newValue))
        return String(unsafeUninitializedCapacity: 32) { text in
            for i in 0..<32 {
                let word = i < 16 ? words.0 : words.1
                let nibble = UInt8(truncatingIfNeeded: word >> UInt64(60 - 4 * (i % 16))) & 0xF
                text[i] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
            }
            return 32
        }
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("X-Request-Id")!
}

extension TrackingServer {
    /// `/health`, `/ready` and `/metrics`: unauthenticated, as load balancers and scrapers call them.
    func addOperationRoutes(to router: Router<AssayRequestContext>) {
        let (store, artifacts, metrics) = (self.store, self.artifacts, self.metrics)
        router.get("/health") { _, _ in Self.text("OK") }
        router.get("/ready") { _, _ in
            async let database = Self.check { try await (store as? any ServerStateStore)?.checkReachable() }
            async let files = Self.check { try await artifacts.checkReachable() }
            let (databaseProblem, artifactProblem) = await (database, files)
            var body: [String: DataValue] = [
                "database": .string(databaseProblem ?? "ok"), "artifacts": .string(artifactProblem ?? "ok"),
                "status": .string(databaseProblem == nil && artifactProblem == nil ? "ready" : "not ready"),
            ]
            body["artifact_store"] = .string(artifacts.location)
            var response = Self.json(.object(body))
            if databaseProblem != nil || artifactProblem != nil { response.status = .serviceUnavailable }
            return response
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(
                    byteBuffer: ByteBuffer(bytes: metrics.exposition(database: (store as? any ServerStateStore)?.databaseUse))))
        }
    }

    /// Nil when `body` finishes within five seconds, else what went wrong.
    static func check(_ body: @escaping @Sendable () async throws -> Void) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    try await body()
                    return nil
                } catch let error as AssayError {
                    return error.message
                } catch let error as APIError {
                    return error.message
                } catch {
                    return "\(error)"
                }
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(5))
                return "no answer within 5 s"
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}

/// Log lines as JSON objects, one a line, on standard error: `{"time", "level", "label", "message", ...metadata}`,
/// for log collectors (`assay server --log-format json`).
///
/// ```swift
/// LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
/// ```
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String

    public init(label: String, level: Logger.Level = .info) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: DataValue] = [
            "time": .string(Self.timestamp()), "level": .string(event.level.rawValue), "label": .string(label),
            "message": .string(event.message.description),
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }) where fields[key] == nil {
            fields[key] = Self.value(value)
        }
        let line = DataValue.object(fields).description + "\n"
        Self.output.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }

    private static let output = Mutex(())

    static func value(_ value: Logger.MetadataValue) -> DataValue {
        switch value {
        case .string(let s): .string(s)
        case .stringConvertible(let c): .string(c.description)
        case .array(let items): .list(items.map(Self.value))
        case .dictionary(let members): .object(members.mapValues(Self.value))
        }
    }

    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}
