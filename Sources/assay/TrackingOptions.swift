import ArgumentParser
import Assay
import AssayStoreSQLite
import Crypto
import Foundation

/// Where runs are recorded: `--tracking-uri`, else ASSAY_TRACKING_URI, else MLFLOW_TRACKING_URI, else
/// `assay.db` with its artifacts in `assay-artifacts/`, both in the working directory.
struct TrackingOptions: ParsableArguments {
    @Option(help: "Where runs are recorded: a database file path or sqlite:PATH (default: assay.db here, artifacts in assay-artifacts/).")
    var trackingURI: String?

    /// The database file and the artifact folder beside it.
    func location() throws(AssayError) -> (database: String, artifacts: URL) {
        let env = ProcessInfo.processInfo.environment
        var mlflowURI = env["MLFLOW_TRACKING_URI"]
        if let given = mlflowURI, given.contains("://"), !given.hasPrefix("sqlite:"), !given.hasPrefix("file://") {
            // Set for MLflow's own tools, pointing at a server this build cannot record into: use the default.
            writeStandardError("note: MLFLOW_TRACKING_URI (\(given)) is not a local database; recording runs in assay.db\n")
            mlflowURI = nil
        }
        let uri = trackingURI ?? env["ASSAY_TRACKING_URI"] ?? mlflowURI ?? "assay.db"
        var path = uri
        if uri.hasPrefix("sqlite:") {
            path = String(uri.dropFirst("sqlite:".count))
            if path.hasPrefix("///") { path = String(path.dropFirst(2)) }
        } else if uri.hasPrefix("file://") {
            path = String(uri.dropFirst("file://".count))
        } else if let scheme = uri.range(of: "://").map({ String(uri[..<$0.lowerBound]) }) {
            throw .invalidInput(
                "tracking URI '\(uri)': this build records runs in a local SQLite database; give a file path or sqlite:PATH (\(scheme):// stores are not available)")
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            path = (path as NSString).appendingPathComponent("assay.db")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        return (path, folder.appendingPathComponent("assay-artifacts"))
    }

    func open() throws(AssayError) -> (SQLiteTrackingStore, URL) {
        let (database, artifacts) = try location()
        return (try SQLiteTrackingStore(path: database), artifacts)
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
