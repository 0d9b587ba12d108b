import Assay
import Foundation
import Hummingbird
import NIOCore

extension TrackingServer {
    /// The mlflow-artifacts proxy: list a folder (`GET …/artifacts?path=`), download (`GET …/artifacts/<path>`),
    /// upload raw bytes (`PUT …/artifacts/<path>`).
    func artifactRequest(_ request: Request, relative rawPath: String) async throws -> Response {
        let relative = try Self.decodePath(rawPath)
        switch request.method {
        case .get where relative.isEmpty:
            let path = RequestFields(query: request.uri.query)
            let listed = try path.string("path") ?? ""
            return Self.json(Self.listing(try artifacts.list(listed)))
        case .get:
            let file = try artifacts.file(relative)
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped)
            } catch {
                throw APIError.notFound("No such artifact: '\(relative)'")
            }
            let name = (relative as NSString).lastPathComponent
            return Response(
                status: .ok,
                headers: [
                    .contentType: Self.contentType(name), .contentDisposition: "attachment; filename=\"\(name.replacingOccurrences(of: "\"", with: ""))\"",
                ],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        case .put:
            if let length = request.headers[.contentLength].flatMap(Int.init), length > configuration.maxArtifactBytes {
                throw APIError.tooLarge("The artifact (\(length) bytes) is larger than the limit of \(configuration.maxArtifactBytes) bytes.")
            }
            let upload = try artifacts.beginUpload(relative)
            do {
                for try await buffer in request.body {
                    guard upload.bytes + buffer.readableBytes <= configuration.maxArtifactBytes else {
                        throw APIError.tooLarge("The artifact is larger than the limit of \(configuration.maxArtifactBytes) bytes.")
                    }
                    try upload.write(Data(buffer.readableBytesView))
                }
                try upload.finish()
            } catch {
                upload.abandon()
                throw error
            }
            return Response(status: .ok)
        default:
            throw APIError("ENDPOINT_NOT_FOUND", "No route for \(request.method.rawValue) \(request.uri.path)")
        }
    }

    /// `{"files": [...]}` with basenames, `is_dir`, and `file_size` for files; `{}` when empty.
    static func listing(_ entries: [ArtifactStore.Entry]) -> DataValue {
        guard !entries.isEmpty else { return .object([:]) }
        return .object([
            "files": .list(
                entries.map { entry in
                    var fields: [String: DataValue] = ["path": .string(entry.name), "is_dir": .bool(entry.isDirectory)]
                    if !entry.isDirectory { fields["file_size"] = .int(Int(entry.size)) }
                    return .object(fields)
                })
        ])
    }

    /// The path after `/artifacts/`, percent-decoded once; a malformed escape is an invalid path.
    static func decodePath(_ raw: String) throws(APIError) -> String {
        let trimmed = raw.hasPrefix("/") ? String(raw.dropFirst()) : raw
        guard let decoded = trimmed.removingPercentEncoding else { throw APIError.invalid("Invalid path") }
        return decoded
    }

    static func contentType(_ name: String) -> String {
        switch (name as NSString).pathExtension.lowercased() {
        case "json", "txt", "csv", "yaml", "yml", "md", "py", "log", "jsonl": "text/plain; charset=utf-8"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "svg": "image/svg+xml"
        case "html", "htm": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}
