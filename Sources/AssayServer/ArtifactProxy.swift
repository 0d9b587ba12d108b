import Assay
import AssayMLflowAPI
import Foundation
import Hummingbird
import NIOCore
import Prometheus

/// The mlflow-artifacts proxy: list a folder (`GET …/artifacts?path=`), download (`GET …/artifacts/<path>`),
/// upload raw bytes (`PUT …/artifacts/<path>`). A trace's `traces.json` (`<experiment>/traces/tr-…/artifacts/traces.json`),
/// which MLflow clients upload when they do not send spans by OTLP, is also read into the trace store,
/// so that such a trace has its spans like any other.
struct ArtifactProxy {
    let artifacts: any ArtifactStore
    let maxArtifactBytes: Int
    var traces: (any TraceStore)?
    var metrics: ServerMetrics?
    /// The largest `traces.json` read into the trace store.
    var maxTracesFileBytes = 64 << 20

    /// The proxy's routes below `prefix`. The path after it is taken from the request as sent and
    /// percent-decoded once here, so the checks of ``ArtifactStore`` see exactly what the client asked for.
    func addRoutes(to group: RouterGroup<AssayRequestContext>, prefix: String) {
        let proxy = self
        group.get(RouterPath(prefix)) { request, _ in
            let listed = try RequestFields(query: request.uri.query).string("path") ?? ""
            let listing = MLflow.ListArtifactsResponse(rootURI: nil, files: Self.files(try await proxy.artifacts.list(listed)))
            return TrackingServer.json(ProtoJSON.encode(listing))
        }
        group.get(RouterPath(prefix + "/**")) { request, _ in
            try await proxy.download(try Self.relative(request, prefix))
        }
        group.put(RouterPath(prefix + "/**")) { request, _ in
            try await proxy.upload(request, to: try Self.relative(request, prefix))
        }
    }

    static func relative(_ request: Request, _ prefix: String) throws(APIError) -> String {
        try decodePath(String(request.uri.path.dropFirst(prefix.count)))
    }

    /// A file as it is stored, streamed to the client.
    func download(_ relative: String) async throws -> Response {
        guard !relative.isEmpty else { throw APIError.invalid("Invalid path") }
        let (length, body) = try await artifacts.download(relative)
        if let length { metrics?.artifactBytesOut.increment(by: length) }
        let name = ArtifactPath.name(relative)
        var headers: HTTPFields = [
            .contentType: Self.contentType(name),
            .contentDisposition: "attachment; filename=\"\(name.replacingOccurrences(of: "\"", with: ""))\"",
        ]
        if let length { headers[.contentLength] = String(length) }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// Streams the body into the store, which keeps it once it is complete.
    func upload(_ request: Request, to relative: String) async throws -> Response {
        guard !relative.isEmpty else { throw APIError.invalid("Invalid path") }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxArtifactBytes {
            throw APIError.tooLarge("The artifact (\(length) bytes) is larger than the limit of \(maxArtifactBytes) bytes.")
        }
        let size = try await artifacts.write(relative, from: request.body, maxBytes: maxArtifactBytes)
        metrics?.artifactBytesIn.increment(by: Int64(size))
        try await ingestTracesFile(relative)
        return Response(status: .ok)
    }

    /// Reads an uploaded `traces.json` into the trace store. The file stays as uploaded either way; one
    /// that is not a traces file is a 400.
    func ingestTracesFile(_ relative: String) async throws {
        let parts = relative.split(separator: "/")
        guard let traces, parts.count == 5, parts[1] == "traces", parts[3] == "artifacts", parts[4] == "traces.json",
            parts[2].hasPrefix("tr-"), parts[0].allSatisfy(\.isNumber)
        else { return }
        let data: Data
        do {
            data = try await artifacts.read(relative, maxBytes: maxTracesFileBytes)
        } catch let error as APIError where error.status == .contentTooLarge {
            throw APIError.tooLarge("traces.json is stored, but it is too large to read its spans (limit \(maxTracesFileBytes) bytes).")
        }
        guard let spans = OTelJSON.tracesFile(String(decoding: data, as: UTF8.self)) else {
            throw APIError.invalid("traces.json is stored, but it is not an MLflow traces file ({\"spans\": [...]}).")
        }
        try await traces.ingest(spans, experimentID: String(parts[0]))
    }

    /// A folder's entries as MLflow lists them: basenames, `is_dir`, and `file_size` for files.
    static func files(_ entries: [ArtifactEntry]) -> [MLflow.FileInfo] {
        entries.map { MLflow.FileInfo(path: $0.name, isDir: $0.isDirectory, fileSize: $0.isDirectory ? nil : $0.size) }
    }

    /// The files in folder `sub` of the artifacts at `root`, their paths relative to `root` as MLflow
    /// lists a run's or a model's files (`code/app.py`); `sub` is checked as a relative path first.
    static func files(in sub: String, of root: String, _ artifacts: any ArtifactStore) async throws -> [MLflow.FileInfo] {
        guard !sub.isEmpty else { return files(try await artifacts.list(root)) }
        _ = try MLflowAPI.safePath(sub)
        return files(try await artifacts.list(root + "/" + sub)).map { file in
            MLflow.FileInfo(path: sub + "/" + file.path, isDir: file.isDir, fileSize: file.fileSize)
        }
    }

    /// The path after `/artifacts/`, percent-decoded once; a malformed escape is an invalid path.
    static func decodePath(_ raw: String) throws(APIError) -> String {
        let trimmed = raw.hasPrefix("/") ? String(raw.dropFirst()) : raw
        guard let decoded = trimmed.removingPercentEncoding else { throw APIError.invalid("Invalid path") }
        return decoded
    }

    static func contentType(_ name: String) -> String {
        switch (name.split(separator: ".").count > 1 ? name.split(separator: ".").last.map(String.init) ?? "" : "").lowercased() {
        case "json", "txt", "csv", "yaml", "yml", "md", "py", "log", "jsonl": "text/plain; charset=utf-8"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "svg": "image/svg+xml"
        case "html", "htm": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}
