import Foundation

/// A read-only table of `key<TAB>number` lines sorted by key bytes, looked up by binary search over
/// the lines where they are: loading it finds the line starts and nothing more, so a dictionary of
/// 126,000 words is ready in about a millisecond once its file is read (a hash table would probe and
/// copy every key first).
///
/// ```swift
/// let table = SortedKeyFile(Array("apple\t2\nbanana\t3\n".utf8))
/// table.value(of: "banana")   // 3
/// ```
struct SortedKeyFile: Sendable {
    private let bytes: [UInt8]
    /// Per line: its start in `bytes` (high bits) and its key's length (low 8 bits).
    private let lines: [UInt64]

    /// The table of `bytes`' lines; lines without a tab, or with a key over 255 bytes, are skipped.
    init(_ bytes: [UInt8]) {
        var lines: [UInt64] = []
        bytes.withUnsafeBufferPointer { file in
            guard let base = file.baseAddress else { return }
            lines.reserveCapacity(file.count / 8)
            var start = 0
            while start < file.count {
                let end = memchr(base + start, 0x0A, file.count - start).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? file.count
                if let tab = memchr(base + start, 0x09, end - start) {
                    let length = UnsafeRawPointer(tab) - UnsafeRawPointer(base + start)
                    if length <= 255 { lines.append(UInt64(start) << 8 | UInt64(length)) }
                }
                start = end + 1
            }
        }
        self.bytes = bytes
        self.lines = lines
    }

    /// The number on `key`'s line, or nil when the table has no such key.
    func value(_ key: UnsafeBufferPointer<UInt8>) -> Int32? {
        bytes.withUnsafeBufferPointer { file in
            lines.withUnsafeBufferPointer { lines in
                var low = 0
                var high = lines.count
                while low < high {
                    let middle = (low + high) / 2
                    let order = Self.compare(key, file, lines[middle])
                    if order == 0 { return Self.number(file, lines[middle]) }
                    if order > 0 { low = middle + 1 } else { high = middle }
                }
                return nil
            }
        }
    }

    /// The number on `key`'s line, or nil.
    func value(of key: String) -> Int32? {
        var key = key
        return key.withUTF8 { value($0) }
    }

    /// Whether the keys are in strictly increasing byte order, which the look-up needs.
    var isSorted: Bool {
        bytes.withUnsafeBufferPointer { file in
            lines.indices.dropFirst().allSatisfy { i in
                let previous = lines[i - 1]
                let start = Int(previous >> 8)
                let key = UnsafeBufferPointer(rebasing: file[start..<(start + Int(previous & 0xFF))])
                return Self.compare(key, file, lines[i]) < 0
            }
        }
    }

    /// The number of keys.
    var count: Int { lines.count }

    /// The order of `key` against the key of `line`: negative, zero or positive.
    @inline(__always)
    private static func compare(_ key: UnsafeBufferPointer<UInt8>, _ file: UnsafeBufferPointer<UInt8>, _ line: UInt64) -> Int {
        let start = Int(line >> 8)
        let length = Int(line & 0xFF)
        let shared = min(key.count, length)
        if shared > 0 {
            let order = memcmp(key.baseAddress!, file.baseAddress! + start, shared)
            if order != 0 { return Int(order) }
        }
        return key.count - length
    }

    @inline(__always)
    private static func number(_ file: UnsafeBufferPointer<UInt8>, _ line: UInt64) -> Int32 {
        var i = Int(line >> 8) + Int(line & 0xFF) + 1
        var value: Int32 = 0
        while i < file.count, file[i] >= 0x30, file[i] <= 0x39 {
            value = value &* 10 &+ Int32(file[i] &- 0x30)
            i += 1
        }
        return value
    }
}
