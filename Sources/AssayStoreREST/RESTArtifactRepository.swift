public import Assay
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
        let uri = run.artifactURI
        guard uri.hasPrefix("mlflow-artifacts:") else {
            throw .invalidInput("run \(run.id) keeps its artifacts at \(uri); only mlflow-artifacts: URIs go through the server")
        }
        var relative = uri.dropFirst("mlflow-artifacts:".count).drop { $0 == "/" }.description
        // mlflow-artifacts://host:port/path names a host; the path is what the proxy sees.
        if uri.hasPrefix("mlflow-artifacts://"), let slash = relative.firstIndex(of: "/") {
            relative = String(relative[relative.index(after: slash)...])
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
            guard case .object(let fields)? = try? DataValue(json: text) else { continue }
            for entry in fields["files"]?.listValue ?? [] {
                guard case .object(let file) = entry, let name = file["path"]?.stringValue else { continue }
                // Entries are basenames within the listed folder.
                let base = folder.isEmpty ? name : folder + "/" + name
                if case .bool(true)? = file["is_dir"] { folders.append(base) } else { found.append(base) }
            }
        }
        return found.sorted()
    }

    public func location(of run: RunInfo) -> String {
        ((try? proxyPath("", of: run)).map { proxy + "/" + $0 }) ?? run.artifactURI
    }
}
