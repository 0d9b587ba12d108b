import ArgumentParser
import Assay
import AssayServer
import AssayStorePostgres
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// `assay server`: the MLflow-compatible tracking server.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Serve the tracking store over MLflow's REST API (mlflow.set_tracking_uri(\"http://127.0.0.1:5000\")).",
        discussion: """
            Example:
              assay server --backend-store-uri assay.db --artifacts-destination assay-artifacts
            The web UI is at the same address; OpenTelemetry traces are accepted at /v1/traces.
            Set ASSAY_SERVER_TOKEN (or --auth-token) to require the token on every API route; the mlflow
            client sends it with MLFLOW_TRACKING_TOKEN, or as MLFLOW_TRACKING_PASSWORD.
            For a load balancer: /health (the process answers) and /ready (the database and the artifact
            store answer too); for Prometheus: /metrics.
            Several servers can serve one PostgreSQL database and one s3:// artifact destination behind a
            load balancer; a SQLite file takes one server process.
            """)

    @Option(help: "The interface to listen on. Anything but loopback exposes the store to the network.")
    var host = "127.0.0.1"

    @Option(help: "The port (0 picks a free one).")
    var port = 5000

    @Option(help: "The store: a database file path, sqlite:PATH or postgresql://user:password@host:port/db (default: assay.db here).")
    var backendStoreURI: String?

    @Option(
        help:
            "Where the files behind mlflow-artifacts:/ URIs are kept: a folder (default: assay-artifacts/ beside the database), or s3://bucket/prefix, which any number of servers can share (credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION; MLFLOW_S3_ENDPOINT_URL for S3-compatible servers such as MinIO)."
    )
    var artifactsDestination: String?

    @Option(help: "Require this token (bearer, or the HTTP basic password) on every API route; default ASSAY_SERVER_TOKEN.")
    var authToken: String?

    @Option(help: "With a token, the user name HTTP basic must give (default ASSAY_SERVER_USERNAME, or any).")
    var authUsername: String?

    @Option(help: "The largest JSON request body, in bytes.")
    var maxRequestBytes = 16 << 20

    @Option(help: "The largest artifact upload, in bytes.")
    var maxArtifactBytes = 4 << 30

    @Option(help: "The largest OTLP trace export to /v1/traces, in bytes.")
    var maxOtlpBytes = 16 << 20

    @Option(help: "Seconds a connection may go without a complete request part, or idle between requests, before it is closed.")
    var idleTimeout: Double = 75

    @Option(help: "Seconds a request's head (request line and headers) may take from its first byte.")
    var headerTimeout: Double = 20

    @Option(help: "Connections open at once; more wait until one closes.")
    var maxConnections = 1024

    @Option(
        help:
            "With PostgreSQL: the most database connections this server opens (all replicas together must stay below the database's max_connections)."
    )
    var dbPoolSize: Int?

    @Option(help: "Log lines as text or as JSON objects, one a line (for log collectors); each request's line carries its request id.")
    var logFormat: LogFormat = .text

    @Option(
        help:
            "The lowest level logged: trace, debug, info, notice, warning, error or critical (default: info for JSON, notice for text; info logs every request)."
    )
    var logLevel: String?

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    func run() async throws {
        var tracking = TrackingOptions()
        tracking.trackingURI = backendStoreURI ?? "assay.db"
        tracking.artifactsDestination = artifactsDestination
        let level = try Self.level(logLevel) ?? (logFormat == .json ? .info : .notice)
        let format = logFormat
        LoggingSystem.bootstrap { label in
            switch format {
            case .json: JSONLogHandler(label: label, level: level)
            case .text:
                {
                    var handler = StreamLogHandler.standardError(label: label)
                    handler.logLevel = level
                    return handler
                }()
            }
        }
        let logger = Logger(label: "assay.server")
        if let dbPoolSize, dbPoolSize < 1 { throw ValidationError("--db-pool-size must be at least 1") }
        let opened = try tracking.openDatabase(poolSize: dbPoolSize, logger: Logger(label: "assay.store.postgres"))
        let (store, postgres) = (opened.store, opened.postgres)
        // SQLite takes one server process: a second one on the same file is refused, plainly.
        if let path = opened.sqlitePath { try Self.claimSingleServer(path) }
        let artifacts = try tracking.s3Destination.map { try ArtifactDestination($0) } ?? .folder(opened.artifacts)
        let environment = ProcessInfo.processInfo.environment
        var configuration = TrackingServer.Configuration()
        configuration.host = host
        configuration.port = port
        configuration.authToken = (authToken ?? environment["ASSAY_SERVER_TOKEN"]).flatMap { $0.isEmpty ? nil : $0 }
        configuration.authUsername = authUsername ?? environment["ASSAY_SERVER_USERNAME"]
        configuration.maxJSONBytes = maxRequestBytes
        configuration.maxArtifactBytes = maxArtifactBytes
        configuration.maxOTLPBytes = maxOtlpBytes
        guard idleTimeout > 0, idleTimeout <= 86400 else { throw ValidationError("--idle-timeout must be between 0 and 86400 seconds") }
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be at least 1") }
        guard headerTimeout > 0, headerTimeout <= 86400 else {
            throw ValidationError("--header-timeout must be between 0 and 86400 seconds")
        }
        configuration.idleTimeout = .milliseconds(Int64(idleTimeout * 1000))
        configuration.headerTimeout = .milliseconds(Int64(headerTimeout * 1000))
        configuration.maxConnections = maxConnections
        if configuration.authToken == nil, !["127.0.0.1", "localhost", "::1"].contains(host) {
            printError("warning: listening on \(host) without --auth-token: anyone who can reach it can read and change every run")
        }
        let server = try TrackingServer(store: store, artifacts: artifacts, configuration: configuration, logger: logger)
        let host = self.host
        let location = tracking.uri
        // The PostgreSQL pool is a service of its own: it starts first and closes after the last request.
        try await server.runUntilSignalled(services: postgres.map { [$0] } ?? [], prepare: { try await postgres?.migrate() }) { port in
            // Written straight to the descriptor so a script waiting for this line sees it at once.
            FileHandle.standardOutput.write(
                Data("Assay tracking server on http://\(host):\(port) (store \(location), artifacts \(artifacts))\n".utf8))
        }
    }

    static func level(_ text: String?) throws -> Logger.Level? {
        guard let text else { return nil }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ValidationError("--log-level '\(text)': use one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return level
    }

    /// Holds an exclusive lock on `<database>.server.lock` for the life of the process; a second
    /// server on the same SQLite file stops with a message instead of sharing it.
    static func claimSingleServer(_ database: String) throws(AssayError) {
        let path = database + ".server.lock"
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .invalidInput("cannot create \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw .invalidInput(
                "another assay server is serving \(database): a SQLite database takes one server process. "
                    + "For several replicas, use PostgreSQL (--backend-store-uri postgresql://…) and --artifacts-destination s3://…")
        }
        // The descriptor stays open (and locked) until the process ends.
    }
}
