public import Assay
import AssayMLflowAPI
public import Foundation
import NIOCore
import NIOHTTP1

/// Run artifacts through a tracking server's artifact proxy (`/api/2.0/mlflow-artifacts/artifacts`),
/// for runs whose artifact URI is `mlflow-artifacts:/…`, as `assay server` and `mlflow server` give them.
///
/// ```swift
/// let store = try RESTTrackingStore(url: "http://127.0.0.1:5000")
/// let table = try await store.artifacts.read("eval_results_table.json", of: run.info)
/// ```
public struct RESTArtifactRepository: ArtifactRepository {
    let client: RESTClient

    /// The path of `path` below the proxy's root (`1/<run id>/artifacts/<path>`).
    func proxyPath(_ path: String, of run: RunInfo) throws(AssayError) -> String {
        // mlflow-artifacts://host:port/path names a host; the path is what the proxy sees.
        guard case .proxied(_, let relative) = ArtifactURI(run.artifactURI) else {
            throw .invalidInput(
                "run \(run.id) keeps its artifacts at \(run.artifactURI); only mlflow-artifacts: URIs go through the server")
        }
        return path.isEmpty ? relative : relative + "/" + path
    }

    var proxy: String { client.base + "/api/2.0/mlflow-artifacts/artifacts" }

    public func store(file: URL, at path: String, of run: RunInfo) async throws(AssayError) {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw .invalidInput("cannot read \(file.path) to upload it")
        }
        let url = proxy + "/" + RESTClient.encodePath(try proxyPath(path, of: run))
        let (status, bytes) = try await client.send(.PUT, url, body: ByteBuffer(bytes: data), json: false)
        guard status < 400 else { throw RESTClient.failure(status, String(decoding: bytes, as: UTF8.self), url: url) }
    }

    public func read(_ path: String, of run: RunInfo) async throws(AssayError) -> Data {
        let url = proxy + "/" + RESTClient.encodePath(try proxyPath(path, of: run))
        let (status, bytes) = try await client.send(.GET, url, body: nil, json: false)
        guard status == 200 else { throw RESTClient.failure(status, String(decoding: bytes, as: UTF8.self), url: url) }
        return Data(bytes)
    }

    public func files(under path: String, of run: RunInfo) async throws(AssayError) -> [String] {
        var found: [String] = []
        var folders = [path]
        while let folder = folders.popLast() {
            let listed = try proxyPath(folder, of: run)
            let url = proxy + "?path=" + RESTClient.encode(listed)
            let (status, bytes) = try await client.send(.GET, url, body: nil, json: false)
            let text = String(decoding: bytes, as: UTF8.self)
            guard status == 200 else { throw RESTClient.failure(status, text, url: url) }
            let listing: MLflow.ListArtifactsResponse
            do {
                listing = try ProtoJSON.decode(MLflow.ListArtifactsResponse.self, json: text)
            } catch {
                throw .serviceFailure("the tracking server's listing of \(listed) is not MLflow's: \(error.message)")
            }
            for file in listing.files {
                // Entries are basenames within the listed folder.
                let base = folder.isEmpty ? file.path : folder + "/" + file.path
                if file.isDir == true { folders.append(base) } else { found.append(base) }
            }
        }
        return found.sorted()
    }

    /// MLflow's artifact proxy has no deletion: a server's files are deleted where the server runs (`assay gc` there).
    public func deleteAll(of run: RunInfo) async throws(AssayError) {
        throw .invalidInput("a tracking server's artifacts cannot be deleted through its API; run `assay gc` where the server runs")
    }

    public func location(of run: RunInfo) -> String {
        ((try? proxyPath("", of: run)).map { proxy + "/" + $0 }) ?? run.artifactURI
    }
}
