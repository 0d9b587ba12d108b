public import Assay
public import Foundation
public import Hummingbird
public import Logging
import NIOCore

/// A tracking server that speaks MLflow's REST API, so the official `mlflow` client (and MLflow's
/// tools) log to and read from an Assay store unchanged, and serves a web UI at `/` to browse and
/// compare the runs.
///
/// ```swift
/// let store = try SQLiteTrackingStore(path: "assay.db")
/// let server = try TrackingServer(store: store, artifactRoot: URL(fileURLWithPath: "assay-artifacts"))
/// try await server.run()   // http://127.0.0.1:5000, until cancelled or SIGINT/SIGTERM
/// ```
///
/// Then, in Python: `mlflow.set_tracking_uri("http://127.0.0.1:5000")`.
public struct TrackingServer: Sendable {
    /// Where and how the server listens.
    public struct Configuration: Sendable {
        /// The interface to bind; loopback unless asked otherwise.
        public var host = "127.0.0.1"
        /// The port; 0 picks a free one (see `onRunning`).
        public var port = 5000
        /// When set, every API route needs `Authorization: Bearer <token>`, or HTTP basic with this token
        /// as the password (what the mlflow client sends for MLFLOW_TRACKING_USERNAME/PASSWORD).
        public var authToken: String?
        /// With a token, the user name HTTP basic must give too; nil accepts any.
        public var authUsername: String?
        /// The largest JSON request body, in bytes.
        public var maxJSONBytes = 16 << 20
        /// The largest artifact upload, in bytes.
        public var maxArtifactBytes = 4 << 30
        /// The largest OTLP trace export, in bytes.
        public var maxOTLPBytes = 16 << 20

        public init() {}
    }

    let store: any TrackingStore
    let artifacts: ArtifactStore
    let configuration: Configuration
    let logger: Logger
    let ui: WebUI

    /// A server over `store`, with `mlflow-artifacts:/…` URIs served from the folder `artifactRoot`.
    public init(store: any TrackingStore, artifactRoot: URL, configuration: Configuration = .init(), logger: Logger? = nil) throws {
        self.store = store
        self.artifacts = try ArtifactStore(root: artifactRoot)
        self.configuration = configuration
        self.logger = logger ?? Logger(label: "assay.server")
        self.ui = try WebUI(store: store, artifacts: artifacts, configuration: configuration)
    }

    /// The Hummingbird application, for running it as a service or driving it in process.
    public func application(onRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let server = self
        return Application(
            responder: CallbackResponder { (request: Request, _: BasicRequestContext) in await server.respond(to: request) },
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "assay"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Serves until the task is cancelled.
    public func run(onRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }) async throws {
        try await application(onRunning: onRunning).run()
    }

    /// Serves until the task is cancelled or the process gets SIGINT or SIGTERM.
    public func runUntilSignalled(onRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }) async throws {
        try await application(onRunning: onRunning).runService()
    }

    // MARK: - Dispatch

    static let apiPrefixes = ["/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"]
    static let artifactPrefixes = ["/api/2.0/mlflow-artifacts/artifacts", "/ajax-api/2.0/mlflow-artifacts/artifacts"]

    func respond(to request: Request) async -> Response {
        let path = request.uri.path
        if path == "/health" { return Self.text("OK") }
        if let page = await ui.respond(to: request) { return page }
        do {
            try authorize(request)
            if path == "/v1/traces" {
                guard request.method == .post else { throw APIError("ENDPOINT_NOT_FOUND", "Send traces with POST /v1/traces.") }
                return try await ingestTraces(request)
            }
            for prefix in Self.artifactPrefixes where path == prefix || path.hasPrefix(prefix + "/") {
                return try await artifactRequest(request, relative: String(path.dropFirst(prefix.count)))
            }
            for prefix in Self.apiPrefixes where path.hasPrefix(prefix) {
                let endpoint = String(path.dropFirst(prefix.count))
                guard let handler = MLflowAPI.handler(request.method.rawValue, endpoint) else { break }
                let fields: RequestFields
                if request.method == .get {
                    fields = RequestFields(query: request.uri.query)
                } else {
                    var request = request
                    fields = try RequestFields(body: try await collect(&request, limit: configuration.maxJSONBytes))
                }
                return Self.json(try await handler(MLflowAPI(store: store, artifacts: artifacts), fields))
            }
            throw APIError("ENDPOINT_NOT_FOUND", "No route for \(request.method.rawValue) \(path)")
        } catch let error as APIError {
            return Self.error(error)
        } catch let error as AssayError {
            return Self.error(APIError(error))
        } catch {
            logger.error("request failed", metadata: ["path": "\(path)", "error": "\(error)"])
            return Self.error(APIError("INTERNAL_ERROR", "\(error)"))
        }
    }

    func collect(_ request: inout Request, limit: Int) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.tooLarge("The request body (\(length) bytes) is larger than the limit of \(limit) bytes.")
        }
        var bytes: [UInt8] = []
        for try await buffer in request.body {
            guard bytes.count + buffer.readableBytes <= limit else {
                throw APIError.tooLarge("The request body is larger than the limit of \(limit) bytes.")
            }
            bytes += buffer.readableBytesView
        }
        return bytes
    }

    // MARK: - Responses

    static func json(_ value: DataValue) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: value.description)))
    }

    static func error(_ error: APIError) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if error.code == "UNAUTHENTICATED" { headers[.wwwAuthenticate] = "Basic realm=\"assay\", charset=\"UTF-8\"" }
        return Response(status: error.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: error.body.description)))
    }

    static func text(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
