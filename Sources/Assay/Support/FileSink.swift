import Foundation

/// Writes a file atomically: into a temporary file beside it, renamed over the target only when complete
/// (`rename(2)` replaces a file in one step), so a failure never leaves a half-written file behind and
/// readers see the old file or the new one. A target that is a folder is an error, never removed.
enum FileSink {
    static func write(to path: String, _ produce: ((String) throws -> Void) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        try refuseFolder(at: url)
        let temporary = temporaryFile(beside: url)
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
            let handle = FileHandle(forWritingAtPath: temporary.path)
        else {
            throw AssayError.invalidInput("\(path): cannot create the file (is the folder there and writable?)")
        }
        do {
            try produce { text in try handle.write(contentsOf: Data(text.utf8)) }
            try handle.synchronize()
            try handle.close()
            try replace(url, with: temporary)
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    /// Copies `source` to `target` through a temporary file beside it and a rename.
    static func copy(_ source: URL, to target: URL) throws {
        try refuseFolder(at: target)
        let temporary = temporaryFile(beside: target)
        do {
            try FileManager.default.copyItem(at: source, to: temporary)
            try replace(target, with: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    static func temporaryFile(beside url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial")
    }

    static func refuseFolder(at url: URL) throws(AssayError) {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
            throw .invalidInput("\(url.path) is a folder; give a file name (nothing was written, the folder is untouched)")
        }
    }

    /// Renames `temporary` over `target` in one step.
    static func replace(_ target: URL, with temporary: URL) throws {
        try refuseFolder(at: target)
        guard rename(temporary.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            throw AssayError.invalidInput("\(target.path): cannot replace the file: \(reason)")
        }
    }
}
