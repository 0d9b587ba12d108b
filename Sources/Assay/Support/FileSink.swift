import Foundation

/// Writes a file atomically: into a temporary file beside it, renamed into place only when complete, so
/// a failure never leaves a half-written file behind.
enum FileSink {
    static func write(to path: String, _ produce: ((String) throws -> Void) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
            let handle = FileHandle(forWritingAtPath: temporary.path)
        else {
            throw AssayError.invalidInput("\(path): cannot create the file (is the folder there and writable?)")
        }
        do {
            try produce { text in try handle.write(contentsOf: Data(text.utf8)) }
            try handle.close()
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(at: temporary, to: url)
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}
