import ArgumentParser
import Assay
import AssayS3
import AssayStorePostgres
import AssayStoreREST
import AssayStoreSQLite
import Crypto
import Foundation
import Logging

/// Where runs are recorded: `--tracking-uri`, else ASSAY_TRACKING_URI, else MLFLOW_TRACKING_URI, else
/// `assay.db` with its artifacts in `assay-artifacts/`, both in the working directory.
struct TrackingOptions: ParsableArguments {
    @Option(
        help:
            "Where runs are recorded: a database file path, sqlite:PATH, postgresql://user:password@host:port/db, or an MLflow-compatible server http(s)://host:port (default: assay.db here, artifacts in assay-artifacts/)."
    )
    var trackingURI: String?

    @Option(
        help:
            "Where run artifacts go: a folder (default: assay-artifacts/ beside the database, or here for PostgreSQL), or s3://bucket/prefix (credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION; MLFLOW_S3_ENDPOINT_URL for S3-compatible servers)."
    )
    var artifactsDestination: String?

    /// The artifact destination when it is a bucket.
    var s3Destination: String? { artifactsDestination.flatMap { $0.lowercased().hasPrefix("s3://") ? $0 : nil } }

    /// The destination when it is a folder.
    var folderDestination: URL? { artifactsDestination.flatMap { s3Destination == nil ? URL(fileURLWithPath: $0) : nil } }

    /// The tracking URI in force.
    var uri: String {
        let env = ProcessInfo.processInfo.environment
        var mlflowURI = env["MLFLOW_TRACKING_URI"]
        let understood = ["sqlite:", "file://", "postgresql://", "postgres://", "http://", "https://"]
        if let given = mlflowURI, given.contains("://") || given.hasPrefix("databricks"), !understood.contains(where: given.hasPrefix) {
            // Set for MLflow's own tools, pointing somewhere Assay cannot record into: use the default.
            writeStandardError("note: MLFLOW_TRACKING_URI (\(given)) is not a store Assay records into; recording runs in assay.db\n")
            mlflowURI = nil
        }
        return trackingURI ?? env["ASSAY_TRACKING_URI"] ?? mlflowURI ?? "assay.db"
    }

    /// Runs `body` with the store opened on first use (at most once), and closes it afterwards however
    /// `body` ends: a PostgreSQL pool runs only while the command does.
    func using<T>(_ body: (TrackingConnection) async throws -> T) async throws -> T {
        let connection = TrackingConnection(options: self)
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Opens a database store (not a server): the store, the folder of its artifacts, and the
    /// PostgreSQL store when it is one (a service to run while the store is in use).
    func openDatabase(poolSize: Int? = nil, logger: Logger? = nil) throws(AssayError) -> OpenedDatabase {
        let uri = self.uri
        if uri.hasPrefix("postgresql://") || uri.hasPrefix("postgres://") {
            let store = try PostgresTrackingStore(url: uri, logger: logger ?? Logger(label: "assay.store.postgres"), poolSize: poolSize)
            let folder = folderDestination ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/assay-artifacts")
            return OpenedDatabase(store: store, artifacts: folder, postgres: store, sqlitePath: nil)
        }
        let (database, artifacts) = try location(uri)
        return OpenedDatabase(
            store: try SQLiteTrackingStore(path: database), artifacts: folderDestination ?? artifacts, postgres: nil, sqlitePath: database)
    }

    /// Where runs' artifacts are read and written: `local` (a folder, or a server's proxy), a bucket
    /// for `mlflow-artifacts:/` runs when the destination is `s3://…`, and the bucket of any run whose
    /// artifact location is `s3://…` when AWS credentials are set.
    func artifactRepository(_ local: any ArtifactRepository) throws(AssayError) -> any ArtifactRepository {
        let environment = ProcessInfo.processInfo.environment
        if let bucket = s3Destination {
            return S3ArtifactRepository(
                client: S3Client(try S3Configuration.fromEnvironment(environment)), proxiedRoot: try S3Location(bucket), fallback: local)
        }
        guard let configuration = try? S3Configuration.fromEnvironment(environment) else { return local }
        return S3ArtifactRepository(client: S3Client(configuration), fallback: local)
    }

    /// The database file and the artifact folder beside it.
    private func location(_ uri: String) throws(AssayError) -> (database: String, artifacts: URL) {
        var path = uri
        if uri.hasPrefix("sqlite:") {
            path = String(uri.dropFirst("sqlite:".count))
            if path.hasPrefix("///") { path = String(path.dropFirst(2)) }
        } else if uri.hasPrefix("file://") {
            path = String(uri.dropFirst("file://".count))
        } else if let scheme = uri.range(of: "://").map({ String(uri[..<$0.lowerBound]) }) {
            throw .invalidInput(
                "tracking URI '\(uri)': give a file path, sqlite:PATH or postgresql://user:password@host:port/db (\(scheme):// is not a store Assay records into)"
            )
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            path = (path as NSString).appendingPathComponent("assay.db")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        return (path, folder.appendingPathComponent("assay-artifacts"))
    }

    /// A short digest of a dataset file (MD5, first 8 hex digits, as MLflow shows digests).
    static func digest(of path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hasher = Insecure.MD5()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined().prefix(8).description
    }
}

/// A database store as opened: the store, the folder of its artifacts, the PostgreSQL store when it is
/// one (a service to run while the store is in use), and the SQLite file when it is one.
struct OpenedDatabase {
    var store: any TrackingStore
    var artifacts: URL
    var postgres: PostgresTrackingStore?
    var sqlitePath: String?
}

/// The tracking store of one command, opened when first needed and closed when the command ends.
actor TrackingConnection {
    let options: TrackingOptions
    private var opened: (store: any TrackingStore, artifacts: any ArtifactRepository)?
    private var pool: Task<Void, Never>?

    init(options: TrackingOptions) {
        self.options = options
    }

    /// The store and where its artifacts go.
    func open() async throws(AssayError) -> (store: any TrackingStore, artifacts: any ArtifactRepository) {
        if let opened { return opened }
        let uri = options.uri
        if uri.hasPrefix("http://") || uri.hasPrefix("https://") {
            let store = try RESTTrackingStore(url: uri)
            let artifacts = try options.artifactRepository(store.artifacts)
            opened = (store, artifacts)
            return (store, artifacts)
        }
        let database = try options.openDatabase()
        let (store, folder, postgres) = (database.store, database.artifacts, database.postgres)
        if let postgres {
            pool = Task { try? await postgres.run() }
            try await postgres.migrate()
        }
        let artifacts = try options.artifactRepository(LocalArtifactRepository(root: folder))
        opened = (store, artifacts)
        return (store, artifacts)
    }

    /// Closes the PostgreSQL pool, if one was opened.
    func close() async {
        pool?.cancel()
        await pool?.value
        pool = nil
    }
}
