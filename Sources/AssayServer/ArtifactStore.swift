public import Assay
public import AssayS3
public import Foundation
import Hummingbird
import NIOCore

/// Where the server keeps the files behind `mlflow-artifacts:/…` URIs: a local folder
/// (``LocalArtifactStore``, the embedded default) or an S3-compatible bucket (``S3ArtifactStore``),
/// which several server replicas can share. Paths are relative to the store's root and are checked
/// (``ArtifactPath/validate(_:)``) before any store sees them. Files are written whole or not at all,
/// and large ones pass through in pieces, never whole in memory.
protocol ArtifactStore: Sendable {
    /// Where the files are, for messages.
    var location: String { get }
    /// One level of a folder, sorted by name; none for a missing folder.
    func list(_ relative: String) async throws -> [ArtifactEntry]
    /// Text that changes when the file does (for caches of parsed files).
    func stamp(_ relative: String) async throws -> String
    /// A whole file, when it has at most `maxBytes`.
    func read(_ relative: String, maxBytes: Int) async throws -> Data
    /// A file as a response body, with its length when known; `RESOURCE_DOES_NOT_EXIST` when missing.
    func download(_ relative: String) async throws -> (length: Int64?, body: ResponseBody)
    /// Writes a file from a stream of bytes, replacing any file there once complete; more than
    /// `maxBytes` is a 413 and leaves nothing behind. Returns the file's size.
    @discardableResult
    func write<Bytes: AsyncSequence>(_ relative: String, from bytes: Bytes, maxBytes: Int) async throws -> Int
    where Bytes.Element == ByteBuffer
    /// Deletes a folder and everything in it.
    func deleteFolder(_ relative: String) async throws
    /// Throws unless the store can be read and written (for `/ready`).
    func checkReachable() async throws
}

extension ArtifactStore {
    /// Writes a file from memory.
    @discardableResult
    func write(_ relative: String, data: Data) async throws -> Int {
        try await write(relative, from: [ByteBuffer(bytes: data)].async, maxBytes: .max)
    }
}

/// One entry of a folder listing.
struct ArtifactEntry: Sendable, Equatable {
    var name: String
    var isDirectory: Bool
    var size: Int64
}

/// The artifact store `--artifacts-destination` names: a folder, or `s3://bucket/prefix` with the
/// credentials and endpoint from the environment (``S3Configuration/fromEnvironment(_:)``).
public enum ArtifactDestination: Sendable, CustomStringConvertible {
    case folder(URL)
    case s3(S3Location, S3Configuration)

    /// A folder path or an `s3://` URI.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(AssayError) {
        if text.lowercased().hasPrefix("s3://") {
            self = .s3(try S3Location(text), try S3Configuration.fromEnvironment(environment))
        } else if text.contains("://") {
            throw .invalidInput("--artifacts-destination '\(text)': give a folder or s3://bucket/prefix")
        } else {
            self = .folder(URL(fileURLWithPath: text))
        }
    }

    public var description: String {
        switch self {
        case .folder(let url): url.path
        case .s3(let location, _): location.description
        }
    }

    func open() throws -> any ArtifactStore {
        switch self {
        case .folder(let url): try LocalArtifactStore(root: url)
        case .s3(let location, let configuration): S3ArtifactStore(root: location, client: S3Client(configuration))
        }
    }
}

/// The checks every artifact path gets, whatever keeps the files.
enum ArtifactPath {
    /// A relative path checked segment by segment; "" is the root itself. No `..` or `.` segments, no
    /// absolute or drive paths, no backslashes or NUL bytes, no percent-encoded traversal left after
    /// decoding (`%2e%2e`, `%2f`) (MLflow's artifact routes had CVEs for each of these).
    static func validate(_ path: String) throws(APIError) -> [String] {
        let invalid = APIError.invalid("Invalid path")
        if path.isEmpty { return [] }
        guard !path.hasPrefix("/"), !path.contains("\\"), !path.unicodeScalars.contains("\0") else { throw invalid }
        let lowered = path.lowercased()
        // After one decoding, encoded separators or dots can only be an attempt to slip past a proxy.
        for encoded in ["%2e", "%2f", "%5c", "%00"] where lowered.contains(encoded) { throw invalid }
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        for segment in segments {
            guard segment != "..", segment != "." else { throw invalid }
            guard segment.utf8.count <= 255 else {
                throw APIError.invalid("Invalid path: a name in it is \(segment.utf8.count) bytes long; at most 255 are allowed")
            }
        }
        guard path.utf8.count <= 2048 else {
            throw APIError.invalid("Invalid path: \(path.utf8.count) bytes long; at most 2048 are allowed")
        }
        if let first = segments.first, first.count == 2, first.hasSuffix(":") { throw invalid }
        return segments
    }

    /// The folder part of a slash-separated path ("" for a name alone), without Foundation's path
    /// functions (one of them traps on some hostile input).
    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The last component of a slash-separated path.
    static func name(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}

/// Artifacts in an S3-compatible bucket below a prefix. Reads stream from the bucket to the client,
/// uploads stream from the client to the bucket part by part (one part in memory at a time), so any
/// number of server replicas serve the same files.
struct S3ArtifactStore: ArtifactStore {
    let root: S3Location
    let client: S3Client

    var location: String { root.description }

    func key(_ relative: String) throws(APIError) -> String {
        root.key(try ArtifactPath.validate(relative).joined(separator: "/"))
    }

    /// The folder's prefix, ending in `/` (the bucket's top is "").
    func folderPrefix(_ relative: String) throws(APIError) -> String {
        let key = try key(relative)
        return key.isEmpty ? "" : key + "/"
    }

    func list(_ relative: String) async throws -> [ArtifactEntry] {
        let prefix = try folderPrefix(relative)
        let listing = try await client.list(bucket: root.bucket, prefix: prefix, delimiter: "/")
        let folders = listing.folders.map { folder in
            ArtifactEntry(name: String(folder.dropFirst(prefix.count).dropLast()), isDirectory: true, size: 0)
        }
        let files = listing.objects.filter { $0.key != prefix }.map {
            ArtifactEntry(name: String($0.key.dropFirst(prefix.count)), isDirectory: false, size: $0.size)
        }
        return (folders + files).filter { !$0.name.isEmpty }.sorted { $0.name < $1.name }
    }

    func stamp(_ relative: String) async throws -> String {
        guard let head = try await client.head(bucket: root.bucket, key: try key(relative)) else {
            throw APIError.notFound("No such artifact: '\(relative)'")
        }
        return "\(head.etag)-\(head.size)"
    }

    func read(_ relative: String, maxBytes: Int) async throws -> Data {
        do {
            return try await client.data(bucket: root.bucket, key: try key(relative), maxBytes: maxBytes)
        } catch let error as AssayError where error.kind == .notFound {
            throw APIError.notFound("No such artifact: '\(relative)'")
        }
    }

    func download(_ relative: String) async throws -> (length: Int64?, body: ResponseBody) {
        guard !relative.isEmpty else { throw APIError.invalid("Invalid path") }
        do {
            let download = try await client.download(bucket: root.bucket, key: try key(relative))
            return (download.contentLength, ResponseBody(asyncSequence: download.body))
        } catch let error as AssayError where error.kind == .notFound {
            throw APIError.notFound("No such artifact: '\(relative)'")
        }
    }

    func write<Bytes: AsyncSequence>(_ relative: String, from bytes: Bytes, maxBytes: Int) async throws -> Int
    where Bytes.Element == ByteBuffer {
        guard !(try ArtifactPath.validate(relative)).isEmpty else { throw APIError.invalid("Invalid path") }
        do {
            return try await client.upload(bucket: root.bucket, key: try key(relative), from: bytes, maxBytes: maxBytes)
        } catch let error as AssayError where error.kind == .invalidInput && error.message.contains("larger than the limit") {
            throw APIError.tooLarge("The artifact is larger than the limit of \(maxBytes) bytes.")
        }
    }

    func deleteFolder(_ relative: String) async throws {
        guard !(try ArtifactPath.validate(relative)).isEmpty else { throw APIError.invalid("Invalid path") }
        try await client.deleteAll(bucket: root.bucket, prefix: try folderPrefix(relative))
    }

    func checkReachable() async throws {
        try await client.probe(bucket: root.bucket)
    }
}

extension Array where Element: Sendable {
    /// The elements as an async sequence.
    var async: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}
