public import Assay
public import Foundation
import NIOCore

/// Artifacts of runs kept in S3: runs whose artifact location is `s3://bucket/prefix/…` (an experiment
/// created with an S3 artifact location) are written, read and listed directly in the bucket, as
/// MLflow's clients do when they have access to it; with `proxiedRoot`, `mlflow-artifacts:/…`
/// locations resolve below it (the bucket an `assay server --artifacts-destination s3://…` serves).
/// Other locations go to `fallback` (a local folder, or a server's proxy).
///
/// ```swift
/// let artifacts = S3ArtifactRepository(client: S3Client(try .fromEnvironment()), fallback: local)
/// try await artifacts.write(Data("{}".utf8), at: "eval_results_table.json", of: run.info)
/// ```
public struct S3ArtifactRepository: ArtifactRepository {
    public let client: S3Client
    public let proxiedRoot: S3Location?
    public let fallback: any ArtifactRepository

    public init(client: S3Client, proxiedRoot: S3Location? = nil, fallback: any ArtifactRepository) {
        self.client = client
        self.proxiedRoot = proxiedRoot
        self.fallback = fallback
    }

    /// The bucket and prefix of a run's artifacts, when they are in S3.
    func location(_ run: RunInfo) -> S3Location? {
        if case .proxied(_, let path) = ArtifactURI(run.artifactURI), let proxiedRoot {
            return S3Location(bucket: proxiedRoot.bucket, prefix: proxiedRoot.key(path))
        }
        guard run.artifactURI.lowercased().hasPrefix("s3://") else { return nil }
        return try? S3Location(run.artifactURI)
    }

    public func store(file: URL, at path: String, of run: RunInfo) async throws(AssayError) {
        guard let location = location(run) else { return try await fallback.store(file: file, at: path, of: run) }
        do {
            let handle = try FileHandle(forReadingFrom: file)
            defer { try? handle.close() }
            try await client.upload(bucket: location.bucket, key: location.key(path), from: FileChunks(handle: handle))
        } catch let error as AssayError {
            throw error
        } catch {
            throw .internal("cannot upload \(file.path) to \(location)/\(path): \(error)")
        }
    }

    public func read(_ path: String, of run: RunInfo) async throws(AssayError) -> Data {
        guard let location = location(run) else { return try await fallback.read(path, of: run) }
        return try await client.data(bucket: location.bucket, key: location.key(path))
    }

    public func files(under path: String, of run: RunInfo) async throws(AssayError) -> [String] {
        guard let location = location(run) else { return try await fallback.files(under: path, of: run) }
        let root = location.key("")
        let prefix = location.key(path)
        let objects = try await client.list(bucket: location.bucket, prefix: prefix.isEmpty ? "" : prefix + "/").objects
        return objects.map { root.isEmpty ? $0.key : String($0.key.dropFirst(root.count + 1)) }.sorted()
    }

    public func deleteAll(of run: RunInfo) async throws(AssayError) {
        guard let location = location(run) else { return try await fallback.deleteAll(of: run) }
        try await client.deleteAll(bucket: location.bucket, prefix: location.key("") + "/")
    }

    public func location(of run: RunInfo) -> String {
        location(run)?.description ?? fallback.location(of: run)
    }
}

/// A file read in 1 MiB chunks, as an upload's body.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let handle: FileHandle

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle

        mutating func next() async throws -> ByteBuffer? {
            guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else { return nil }
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: handle) }
}
