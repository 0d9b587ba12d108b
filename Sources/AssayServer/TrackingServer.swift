public import Assay
public import Foundation
public import Hummingbird
import HummingbirdCore
public import Logging
import NIOCore
public import ServiceLifecycle
import UnixSignals

/// A tracking server that speaks MLflow's REST API, so the official `mlflow` client (and MLflow's
/// tools) log to and read from an Assay store unchanged, and serves a web UI at `/` to browse and
/// compare the runs.
///
/// ```swift
/// let store = try SQLiteTrackingStore(path: "assay.db")
/// let server = try TrackingServer(store: store, artifactRoot: URL(fileURLWithPath: "assay-artifacts"))
/// try await server.runUntilSignalled()   // http://127.0.0.1:5000, until SIGINT or SIGTERM
/// ```
///
/// Then, in Python: `mlflow.set_tracking_uri("http://127.0.0.1:5000")`.
///
/// The routes, by group (each a route collection on one Hummingbird `Router`): `/health`; the web UI
/// (``WebUI``, session cookies); MLflow's API below `/api/2.0/mlflow/` and `/ajax-api/2.0/mlflow/`
/// (``MLflowAPI``), the artifact proxy below `/api/2.0/mlflow-artifacts/artifacts` and OTLP traces at
/// `/v1/traces`, all three behind the token when one is set.
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
        /// How long a connection may go without a complete request part (the head, a piece of body), or
        /// without a request while idle between requests; then it is closed. Longer than the idle time
        /// of common clients' pools (AsyncHTTPClient: 60 s), so that they close first.
        public var idleTimeout: Duration = .seconds(75)
        /// How long a request's head (request line and headers) may take from its first byte; a client
        /// sending its headers a byte at a time is cut off after this long.
        public var headerTimeout: Duration = .seconds(20)
        /// How long reading a JSON or form body may take in all.
        public var bodyTimeout: Duration = .seconds(60)
        /// Connections open at once; past it, new ones wait in the listen queue until one closes (so a
        /// flood of idle connections cannot use up the process's file descriptors).
        public var maxConnections = 1024

        public init() {}
    }

    let store: any TrackingStore
    let artifacts: any ArtifactStore
    let configuration: Configuration
    let logger: Logger
    let ui: WebUI
    let metrics = ServerMetrics()

    /// A server over `store`, with `mlflow-artifacts:/…` URIs served from the folder `artifactRoot`.
    public init(store: any TrackingStore, artifactRoot: URL, configuration: Configuration = .init(), logger: Logger? = nil) throws {
        try self.init(store: store, artifacts: .folder(artifactRoot), configuration: configuration, logger: logger)
    }

    /// A server over `store`, with `mlflow-artifacts:/…` URIs served from a folder or an S3 bucket.
    public init(
        store: any TrackingStore, artifacts: ArtifactDestination, configuration: Configuration = .init(), logger: Logger? = nil
    ) throws {
        self.store = store
        self.artifacts = try artifacts.open()
        self.configuration = configuration
        self.logger = logger ?? Logger(label: "assay.server")
        self.ui = try WebUI(store: store, artifacts: self.artifacts, configuration: configuration)
    }

    /// Every route of the server.
    public func router() -> Router<AssayRequestContext> {
        let router = Router(context: AssayRequestContext.self)
        router.add(middleware: RequestLogMiddleware(metrics: metrics, logger: logger))
        router.add(middleware: NotFoundMiddleware(ui: ui))
        addOperationRoutes(to: router)
        // The MLflow version whose protocol the server speaks: MLflow 3 clients send spans by OTLP to a server of 3.4 or later.
        router.get("/version") { _, _ in Self.text(Self.mlflowProtocolVersion) }
        ui.addRoutes(to: router)
        let api = router.group()
            .add(middleware: APIErrorMiddleware(logger: logger))
            .add(middleware: TokenAuthMiddleware(token: configuration.authToken, username: configuration.authUsername))
        var mlflow = MLflowAPI(store: store, artifacts: artifacts, maxJSONBytes: configuration.maxJSONBytes)
        mlflow.bodyTimeout = configuration.bodyTimeout
        for prefix in ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"] {
            let group = api.group(RouterPath(prefix))
            mlflow.addRoutes(to: group)
            mlflow.addUploadRoute(to: group, artifacts: artifacts, maxBytes: configuration.maxArtifactBytes)
            mlflow.addLoggedModelArtifactRoutes(to: group, artifacts: artifacts, maxBytes: configuration.maxArtifactBytes)
        }
        for prefix in ["/api/3.0/mlflow", "/ajax-api/3.0/mlflow"] {
            mlflow.addRoutes(to: api.group(RouterPath(prefix)), MLflowAPI.v3Routes)
        }
        MLflowGraphQL(api: mlflow).addRoutes(to: api)
        mlflow.addArtifactDownloadRoutes(to: api, artifacts: artifacts, maxBytes: configuration.maxArtifactBytes)
        var proxy = ArtifactProxy(artifacts: artifacts, maxArtifactBytes: configuration.maxArtifactBytes)
        proxy.traces = store as? any TraceStore
        proxy.metrics = metrics
        for prefix in ["/api/2.0/mlflow-artifacts/artifacts", "/ajax-api/2.0/mlflow-artifacts/artifacts"] {
            proxy.addRoutes(to: api, prefix: prefix)
        }
        var otlp = OTLPIngest(store: store, maxOTLPBytes: configuration.maxOTLPBytes)
        otlp.bodyTimeout = configuration.bodyTimeout
        otlp.metrics = metrics
        otlp.addRoutes(to: api)
        return router
    }

    /// The Hummingbird application, for running it as a service or driving it in process
    /// (HummingbirdTesting's `app.test(.router)`).
    public func application(
        onRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    )
        -> Application<RouterResponder<AssayRequestContext>>
    {
        let idle = Self.timeAmount(configuration.idleTimeout), header = Self.timeAmount(configuration.headerTimeout)
        return Application(
            router: router(),
            server: HTTPServerBuilder { responder in
                DeadlineHTTP1Channel(
                    base: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: idle)), headerTimeout: header)
            },
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "assay",
                availableConnectionsDelegate: MaximumAvailableConnections(max(1, configuration.maxConnections), logger: logger)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds > Int64.max / 1_000_000_000 ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// Serves until the task is cancelled.
    public func run(onRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }) async throws {
        try await application(onRunning: onRunning).run()
    }

    /// Serves until the process gets SIGINT or SIGTERM, then shuts down gracefully: requests in flight
    /// finish, then `services` (the store's connection pool, say) stop, in reverse order. `prepare` runs
    /// once the services have started and before the server listens (a store's migrations).
    public func runUntilSignalled(
        services: [any Service] = [], prepare: @escaping @Sendable () async throws -> Void = {},
        onRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) async throws {
        let server = PreparedService(prepare: prepare, service: application(onRunning: onRunning))
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) } + [.init(service: server)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The MLflow release whose tracking protocol the server speaks (`GET /version`).
    public static let mlflowProtocolVersion = "3.17.2"

    // MARK: - Responses

    static func json(_ value: DataValue) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: value.description)))
    }

    static func text(_ text: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// A service that runs a preparation step first.
private struct PreparedService: Service {
    let prepare: @Sendable () async throws -> Void
    let service: any Service

    func run() async throws {
        try await prepare()
        try await service.run()
    }
}
