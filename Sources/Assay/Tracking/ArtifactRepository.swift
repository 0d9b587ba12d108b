public import Foundation

/// Where a run's artifacts (files such as `eval_results_table.json`) are kept: a local folder
/// (``LocalArtifactRepository``) or a tracking server's artifact proxy (`RESTArtifactRepository` in
/// AssayStoreREST). Paths are relative to the run's artifact root and use `/`.
public protocol ArtifactRepository: Sendable {
    /// Stores the file at `file` as `path` of the run's artifacts, replacing what was there.
    func store(file: URL, at path: String, of run: RunInfo) async throws(AssayError)
    /// The contents of `path`; `notFound` when there is no such file.
    func read(_ path: String, of run: RunInfo) async throws(AssayError) -> Data
    /// Every file below `path` ("" for all), recursively, as paths relative to the run's artifact root.
    func files(under path: String, of run: RunInfo) async throws(AssayError) -> [String]
    /// Where the run's artifacts are, for people: a folder or a URL.
    func location(of run: RunInfo) -> String
    /// Deletes every artifact of the run (``PurgingStore`` then forgets the run itself).
    func deleteAll(of run: RunInfo) async throws(AssayError)
}

extension ArtifactRepository {
    /// Stores `data` as `path` of the run's artifacts.
    public func write(_ data: Data, at path: String, of run: RunInfo) async throws(AssayError) {
        let staging = FileManager.default.temporaryDirectory.appendingPathComponent("assay-artifact-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: staging) }
        do {
            try data.write(to: staging)
        } catch {
            throw .internal("cannot stage the artifact \(path): \(error)")
        }
        try await store(file: staging, at: path, of: run)
    }
}

/// Artifacts in a local folder: `mlflow-artifacts:/<p>` URIs resolve to `<root>/<p>`, `file:` URIs and
/// absolute paths to themselves. This is where `assay evaluate` keeps them by default (`assay-artifacts/`).
///
/// ```swift
/// let artifacts = LocalArtifactRepository(root: URL(fileURLWithPath: "assay-artifacts"))
/// let table = try await artifacts.read("eval_results_table.json", of: run.info)
/// ```
public struct LocalArtifactRepository: ArtifactRepository {
    /// The folder behind `mlflow-artifacts:/`.
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// The local folder of a run's artifacts.
    public func folder(of run: RunInfo) throws(AssayError) -> URL {
        switch ArtifactURI(run.artifactURI) {
        case .proxied(_, let path): return root.appendingPathComponent(path)
        case .file(let path): return URL(fileURLWithPath: path)
        default: throw .invalidInput("run \(run.id) keeps its artifacts at \(run.artifactURI), which is not a local folder")
        }
    }

    public func store(file: URL, at path: String, of run: RunInfo) async throws(AssayError) {
        let target = try folder(of: run).appendingPathComponent(path)
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileSink.copy(file, to: target)
        } catch let error as AssayError {
            throw error
        } catch {
            throw .internal("cannot store the artifact \(target.path): \(error)")
        }
    }

    public func read(_ path: String, of run: RunInfo) async throws(AssayError) -> Data {
        let file = try folder(of: run).appendingPathComponent(path)
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw AssayError(.notFound, "run \(run.id) has no artifact \(path) (looked for \(file.path))")
        }
        return data
    }

    public func files(under path: String, of run: RunInfo) async throws(AssayError) -> [String] {
        let base = try folder(of: run)
        let start = path.isEmpty ? base : base.appendingPathComponent(path)
        let found = (FileManager.default.enumerator(atPath: start.path)?.allObjects as? [String]) ?? []
        return found.filter { entry in
            var isFolder: ObjCBool = false
            FileManager.default.fileExists(atPath: start.appendingPathComponent(entry).path, isDirectory: &isFolder)
            return !isFolder.boolValue
        }.map { path.isEmpty ? $0 : path + "/" + $0 }.sorted()
    }

    public func location(of run: RunInfo) -> String {
        (try? folder(of: run).path) ?? run.artifactURI
    }

    public func deleteAll(of run: RunInfo) async throws(AssayError) {
        let folder = try folder(of: run)
        guard FileManager.default.fileExists(atPath: folder.path) else { return }
        do {
            try FileManager.default.removeItem(at: folder)
        } catch {
            throw .internal("cannot delete \(folder.path): \(error)")
        }
    }
}
