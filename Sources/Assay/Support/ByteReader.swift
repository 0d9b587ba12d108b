#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a file in large chunks, byte by byte or line by line, without holding the whole file.
final class ByteReader {
    let path: String
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: [UInt8]
    private var position = 0
    private var count = 0
    private var atEnd = false
    private var bufferStart = 0
    /// The file's size in bytes when opened.
    let size: Int

    init(path: String, chunkSize: Int = 1 << 20) throws(AssayError) {
        guard let file = fopen(path, "rb") else {
            throw .invalidInput("\(path): cannot open (\(String(cString: strerror(errno))))")
        }
        self.path = path
        self.file = file
        var status = stat()
        size = fstat(fileno(file), &status) == 0 ? Int(status.st_size) : 0
        self.buffer = [UInt8](repeating: 0, count: chunkSize)
    }

    deinit { fclose(file) }

    private func refill() -> Bool {
        guard !atEnd else { return false }
        bufferStart += count
        count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        position = 0
        if count == 0 { atEnd = true }
        return count > 0
    }

    /// The share of the file read so far, 0 to 1.
    var fractionRead: Double {
        size > 0 ? min(1, Double(bufferStart + position) / Double(size)) : 1
    }

    /// The next byte, or nil at the end of the file.
    @inline(__always)
    func next() -> UInt8? {
        if position == count, !refill() { return nil }
        defer { position += 1 }
        return buffer[position]
    }

    /// The next byte without consuming it.
    @inline(__always)
    func peek() -> UInt8? {
        if position == count, !refill() { return nil }
        return buffer[position]
    }

    /// Skips a UTF-8 byte order mark at the current position (call before reading anything).
    func skipByteOrderMark() {
        guard position == count ? refill() : true, count - position >= 3 else { return }
        if buffer[position] == 0xEF, buffer[position + 1] == 0xBB, buffer[position + 2] == 0xBF { position += 3 }
    }

    /// Replaces `out` with the next `count` bytes; false when the file ends first.
    func read(_ count: Int, into out: inout [UInt8]) -> Bool {
        out.removeAll(keepingCapacity: true)
        while out.count < count {
            if position == self.count, !refill() { return false }
            let take = min(count - out.count, self.count - position)
            out.append(contentsOf: buffer[position..<(position + take)])
            position += take
        }
        return true
    }

    /// The rest of the file.
    func readToEnd() -> [UInt8] {
        var all: [UInt8] = []
        while position < count || refill() {
            all.append(contentsOf: buffer[position..<count])
            position = count
        }
        return all
    }

    /// Replaces `line` with the next line's bytes (without the line ending); false at the end of the file.
    func readLine(into line: inout [UInt8]) -> Bool {
        line.removeAll(keepingCapacity: true)
        var sawAny = false
        while true {
            if position == count, !refill() { return sawAny }
            sawAny = true
            let (start, end) = (position, count)
            let found: Int? = buffer.withUnsafeBufferPointer { b -> Int? in
                guard let base = b.baseAddress, let hit = memchr(base + start, 0x0A, end - start) else { return nil }
                return UnsafeRawPointer(hit) - UnsafeRawPointer(base)
            }
            if let newline = found {
                line.append(contentsOf: buffer[position..<newline])
                position = newline + 1
                if line.last == 0x0D { line.removeLast() }
                return true
            }
            line.append(contentsOf: buffer[position..<count])
            position = count
        }
    }
}
