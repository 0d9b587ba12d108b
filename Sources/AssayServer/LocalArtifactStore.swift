import Foundation
import Hummingbird
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// A local folder behind `mlflow-artifacts:/…` URIs (the embedded default), and the only place
/// artifact requests may touch: besides the checks every path gets (``ArtifactPath/validate(_:)``), no
/// symbolic link may lead out of the root. Uploads go to a temporary file renamed into place when
/// complete, so a reader never sees half a file.
struct LocalArtifactStore: ArtifactStore {
    /// The root, with symbolic links resolved.
    let root: String
    /// Where uploads are written until complete: `<root>/.assay-uploads`, on the same file system as
    /// their targets so that the final rename is atomic.
    var uploads: String { root + "/" + Self.uploadsFolder }
    static let uploadsFolder = ".assay-uploads"

    /// Opens the root (made when missing) and removes uploads left by a server that was killed during
    /// them: files there untouched for an hour (another replica's upload in progress is younger).
    init(root: URL) throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        guard let resolved = Self.realPath(root.path) else {
            throw APIError("INTERNAL_ERROR", "cannot resolve the artifact root \(root.path)")
        }
        self.root = resolved
        try FileManager.default.createDirectory(atPath: uploads, withIntermediateDirectories: true)
        let stale = Date().addingTimeInterval(-3600)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: uploads)) ?? [] {
            let path = uploads + "/" + name
            if let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date, modified < stale {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
    }

    /// The absolute path of `relative`, after checking that the deepest part that exists resolves
    /// inside the root.
    func resolve(_ relative: String) throws(APIError) -> String {
        let segments = try ArtifactPath.validate(relative)
        if segments.first == Self.uploadsFolder { throw APIError.invalid("Invalid path") }
        let full = ([root] + segments).joined(separator: "/")
        var existing = full
        while !existing.isEmpty, Self.realPath(existing) == nil {
            existing = ArtifactPath.parent(existing)
        }
        guard let resolved = Self.realPath(existing), resolved == root || resolved.hasPrefix(root + "/") else {
            throw APIError.invalid("Invalid path")
        }
        return full
    }

    var location: String { root }

    /// The entries of a folder, one level, sorted by name; none for a file, a missing path or an empty folder.
    func list(_ relative: String) throws(APIError) -> [ArtifactEntry] {
        let path = try resolve(relative)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
            let names = try? FileManager.default.contentsOfDirectory(atPath: path)
        else { return [] }
        return names.sorted().compactMap { name in
            guard !name.hasPrefix(".assay-upload") else { return nil }
            let child = path + "/" + name
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: child) else { return nil }
            let type = attributes[.type] as? FileAttributeType
            if type == .typeSymbolicLink {
                // Listed only when it stays inside the root.
                guard let target = Self.realPath(child), target.hasPrefix(root + "/") else { return nil }
            }
            var childIsDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: child, isDirectory: &childIsDirectory)
            return ArtifactEntry(
                name: name, isDirectory: childIsDirectory.boolValue, size: (attributes[.size] as? NSNumber)?.int64Value ?? 0)
        }
    }

    /// The path of an existing regular file; a missing file or a folder is `RESOURCE_DOES_NOT_EXIST`.
    func file(_ relative: String) throws(APIError) -> String {
        guard !relative.isEmpty else { throw APIError.invalid("Invalid path") }
        let path = try resolve(relative)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
            let resolved = Self.realPath(path), resolved.hasPrefix(root + "/")
        else {
            throw APIError.notFound("No such artifact: '\(relative)'")
        }
        return resolved
    }

    /// Begins an upload: makes the parent folders and a temporary file beside the target, which
    /// ``finish(_:)`` renames into place, so a reader never sees half a file.
    func beginUpload(_ relative: String) throws(APIError) -> Upload {
        guard !(try ArtifactPath.validate(relative)).isEmpty else { throw APIError.invalid("Invalid path") }
        let target = try resolve(relative)
        let folder = ArtifactPath.parent(target)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw APIError.invalid("Cannot create the folder for '\(relative)': a file is in the way")
        }
        // The folder now exists: check again that it is inside the root (a symlinked parent would not be).
        guard let resolvedFolder = Self.realPath(folder), resolvedFolder == root || resolvedFolder.hasPrefix(root + "/") else {
            throw APIError.invalid("Invalid path")
        }
        if let attributes = try? FileManager.default.attributesOfItem(atPath: target),
            attributes[.type] as? FileAttributeType == .typeSymbolicLink || attributes[.type] as? FileAttributeType == .typeDirectory
        {
            throw APIError.invalid("Invalid path: '\(relative)' is a folder or a link")
        }
        let temporary = uploads + "/" + UUID().uuidString
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
            throw APIError("INTERNAL_ERROR", "cannot write the artifact '\(relative)'")
        }
        return Upload(
            handle: handle, temporary: temporary, target: resolvedFolder + "/" + ArtifactPath.name(target), relative: relative)
    }

    final class Upload {
        let handle: FileHandle
        let temporary: String
        let target: String
        /// The path the client asked for, for messages (never the server's own paths).
        let relative: String
        var bytes = 0

        init(handle: FileHandle, temporary: String, target: String, relative: String) {
            self.handle = handle
            self.temporary = temporary
            self.target = target
            self.relative = relative
        }

        func write(_ data: Data) throws {
            try handle.write(contentsOf: data)
            bytes += data.count
        }

        func finish() throws {
            try handle.synchronize()
            try handle.close()
            if rename(temporary, target) != 0 { throw APIError("INTERNAL_ERROR", "cannot store the artifact '\(relative)'") }
        }

        func abandon() {
            try? handle.close()
            unlink(temporary)
        }
    }

    func stamp(_ relative: String) throws(APIError) -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: try file(relative))
        return
            "\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)-\((attributes?[.size] as? NSNumber)?.intValue ?? 0)"
    }

    func read(_ relative: String, maxBytes: Int) throws(APIError) -> Data {
        let path = try file(relative)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= maxBytes else { throw APIError.tooLarge("'\(relative)' is \(size) bytes, more than the \(maxBytes) allowed here.") }
        guard let data = FileManager.default.contents(atPath: path) else { throw APIError.notFound("No such artifact: '\(relative)'") }
        return data
    }

    /// The file, mapped into memory rather than read into it.
    func download(_ relative: String) throws(APIError) -> (length: Int64?, body: ResponseBody) {
        let path = try file(relative)
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
            return (Int64(data.count), ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        } catch {
            throw APIError.notFound("No such artifact: '\(relative)'")
        }
    }

    func write<Bytes: AsyncSequence>(_ relative: String, from bytes: Bytes, maxBytes: Int) async throws -> Int
    where Bytes.Element == ByteBuffer {
        let upload = try beginUpload(relative)
        do {
            for try await buffer in bytes {
                guard upload.bytes + buffer.readableBytes <= maxBytes else {
                    throw APIError.tooLarge("The artifact is larger than the limit of \(maxBytes) bytes.")
                }
                try upload.write(Data(buffer.readableBytesView))
            }
            try upload.finish()
            return upload.bytes
        } catch {
            upload.abandon()
            throw error
        }
    }

    func deleteFolder(_ relative: String) throws(APIError) {
        guard !(try ArtifactPath.validate(relative)).isEmpty else { throw APIError.invalid("Invalid path") }
        let path = try resolve(relative)
        if let resolved = Self.realPath(path), resolved.hasPrefix(root + "/") { try? FileManager.default.removeItem(atPath: resolved) }
    }

    func checkReachable() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: uploads, isDirectory: &isDirectory), isDirectory.boolValue,
            FileManager.default.isWritableFile(atPath: uploads)
        else { throw APIError("TEMPORARILY_UNAVAILABLE", "the artifact folder \(root) cannot be written") }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
