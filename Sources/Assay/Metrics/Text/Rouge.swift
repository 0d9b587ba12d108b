import Foundation

/// ROUGE as rouge_score 0.1.2 computes it (F-measure, no stemming), with a choice of tokenizer.
///
/// Scores for one row share tokenization: the four ROUGE metrics of a row tokenize its texts once.
enum Rouge {
    /// The ROUGE variants MLflow reports.
    enum Variant: String, CaseIterable, Sendable {
        case rouge1, rouge2, rougeL, rougeLsum
    }

    /// Scores one prediction against one target.
    static func score(
        _ variant: Variant, prediction: String, target: String, tokenizer: RougeTokenizer, scratch: inout TextScratch
    ) -> Double {
        switch variant {
        case .rouge1, .rouge2:
            let (t, p) = scratch.rougeTokens(target: target, prediction: prediction, tokenizer: tokenizer)
            return variant == .rouge1 ? unigram(t, p, &scratch.grams) : bigram(t, p, &scratch.grams)
        case .rougeL:
            return scratch.rougeLScore(target: target, prediction: prediction, tokenizer: tokenizer)
        case .rougeLsum:
            // Without line breaks there is one "sentence" a side, and the summary-level score equals rougeL.
            if !hasLineBreak(target) && !hasLineBreak(prediction) {
                return scratch.rougeLScore(target: target, prediction: prediction, tokenizer: tokenizer)
            }
            return summaryLevel(target: target, prediction: prediction, tokenizer: tokenizer, scratch: &scratch)
        }
    }

    private static func hasLineBreak(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.isEmpty ? false : memchr(bytes.baseAddress!, 0x0A, bytes.count) != nil
        } ?? text.utf8.contains(0x0A)
    }

    static func fmeasure(_ precision: Double, _ recall: Double) -> Double {
        precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
    }

    private static func unigram(_ target: [Int32], _ prediction: [Int32], _ counts: inout CountTable) -> Double {
        counts.reset(expecting: prediction.count)
        for id in prediction { counts.increment(UInt64(id)) }
        var overlap = 0
        // Each target token takes one prediction token of its kind while any remain: the sum of
        // min(target count, prediction count) over token kinds.
        for id in target where counts.take(UInt64(id)) { overlap += 1 }
        return ngramScore(overlap: overlap, targetCount: target.count, predictionCount: prediction.count)
    }

    private static func bigram(_ target: [Int32], _ prediction: [Int32], _ counts: inout CountTable) -> Double {
        guard target.count >= 2 || prediction.count >= 2 else { return 0 }
        counts.reset(expecting: prediction.count)
        if prediction.count >= 2 {
            for i in 0..<(prediction.count - 1) {
                counts.increment(UInt64(UInt32(prediction[i])) << 32 | UInt64(UInt32(prediction[i + 1])))
            }
        }
        var overlap = 0
        if target.count >= 2 {
            for i in 0..<(target.count - 1)
            where counts.take(UInt64(UInt32(target[i])) << 32 | UInt64(UInt32(target[i + 1]))) {
                overlap += 1
            }
        }
        return ngramScore(
            overlap: overlap, targetCount: max(target.count - 1, 0), predictionCount: max(prediction.count - 1, 0))
    }

    private static func ngramScore(overlap: Int, targetCount: Int, predictionCount: Int) -> Double {
        let precision = Double(overlap) / Double(max(predictionCount, 1))
        let recall = Double(overlap) / Double(max(targetCount, 1))
        return fmeasure(precision, recall)
    }

    static func lcsScore(_ target: [Int32], _ prediction: [Int32], _ row: inout [Int32]) -> Double {
        guard !target.isEmpty, !prediction.isEmpty else { return 0 }
        let lcs = Double(lcsLength(target, prediction, &row))
        return fmeasure(lcs / Double(prediction.count), lcs / Double(target.count))
    }

    /// Length of the longest common subsequence: bit-parallel when either side has at most 64 tokens
    /// (the sentences of most answers), else in two rows of memory.
    static func lcsLength(_ a: [Int32], _ b: [Int32], _ row: inout [Int32]) -> Int {
        if let length = bitParallelLCSLength(a, b) ?? bitParallelLCSLength(b, a) { return length }
        return tableLCSLength(a, b, &row)
    }

    /// Hyyrö's bit-parallel LCS length with one 64-bit word for `a`'s positions: for each token of `b`,
    /// V = (V + (V & M)) | (V & ~M), where M marks where `a` has that token; the LCS is the number of
    /// zero bits among the first `a.count`. Nil when `a` is empty or longer than 64 tokens.
    static func bitParallelLCSLength(_ a: [Int32], _ b: [Int32]) -> Int? {
        guard !a.isEmpty, a.count <= 64 else { return nil }
        // Each distinct token of `a` with its positions, in a 128-slot table keyed by the token.
        return withUnsafeTemporaryAllocation(of: (token: Int32, mask: UInt64).self, capacity: 128) { table in
            table.initialize(repeating: (-1, 0))
            func slot(_ token: Int32) -> Int {
                var k = Int((UInt32(bitPattern: token) &* 0x9E37_79B1) >> 25)
                while table[k].token != -1 && table[k].token != token { k = (k + 1) & 127 }
                return k
            }
            for (i, token) in a.enumerated() {
                // -1 marks an empty slot; such a token (never made by the interner) takes the table path.
                guard token != -1 else { return nil }
                let k = slot(token)
                table[k].token = token
                table[k].mask |= 1 << UInt64(i)
            }
            var v = UInt64.max
            for token in b {
                let k = slot(token)
                let m = table[k].token == token ? table[k].mask : 0
                v = (v &+ (v & m)) | (v & ~m)
            }
            let used = a.count == 64 ? UInt64.max : (1 << UInt64(a.count)) - 1
            return a.count - (v & used).nonzeroBitCount
        }
    }

    /// Length of the longest common subsequence by the dynamic-programming table, in two rows of memory.
    static func tableLCSLength(_ a: [Int32], _ b: [Int32], _ row: inout [Int32]) -> Int {
        let cols = b.count + 1
        row.removeAll(keepingCapacity: true)
        row.append(contentsOf: repeatElement(0, count: cols * 2))
        return row.withUnsafeMutableBufferPointer { rows -> Int in
            b.withUnsafeBufferPointer { b -> Int in
                var previous = 0
                var current = cols
                for x in a {
                    rows[current] = 0
                    for j in 0..<b.count {
                        rows[current + j + 1] =
                            x == b[j] ? rows[previous + j] + 1 : max(rows[previous + j + 1], rows[current + j])
                    }
                    swap(&previous, &current)
                }
                return Int(rows[previous + b.count])
            }
        }
    }

    /// rougeLsum: summary-level LCS over newline-separated sentences, counting each token once.
    private static func summaryLevel(
        target: String, prediction: String, tokenizer: RougeTokenizer, scratch: inout TextScratch
    ) -> Double {
        scratch.interner.reset()
        let refSentences = target.split(separator: "\n", omittingEmptySubsequences: true)
            .map { tokenizer.tokenIDs(String($0), scratch: &scratch) }
        let candSentences = prediction.split(separator: "\n", omittingEmptySubsequences: true)
            .map { tokenizer.tokenIDs(String($0), scratch: &scratch) }
        guard !refSentences.isEmpty, !candSentences.isEmpty else { return 0 }
        let m = refSentences.reduce(0) { $0 + $1.count }
        let n = candSentences.reduce(0) { $0 + $1.count }
        guard m > 0, n > 0 else { return 0 }
        var refCounts: [Int32: Int] = [:]
        var candCounts: [Int32: Int] = [:]
        for s in refSentences { for t in s { refCounts[t, default: 0] += 1 } }
        for s in candSentences { for t in s { candCounts[t, default: 0] += 1 } }
        var hits = 0
        for ref in refSentences {
            var union = Set<Int>()
            for cand in candSentences { union.formUnion(lcsPositions(ref, cand)) }
            for position in union.sorted() {
                let token = ref[position]
                if let c = candCounts[token], c > 0, let r = refCounts[token], r > 0 {
                    hits += 1
                    candCounts[token] = c - 1
                    refCounts[token] = r - 1
                }
            }
        }
        return fmeasure(Double(hits) / Double(n), Double(hits) / Double(m))
    }

    /// Positions in `ref` of one longest common subsequence, read back exactly as rouge_score does.
    static func lcsPositions(_ ref: [Int32], _ can: [Int32]) -> [Int] {
        let rows = ref.count
        let cols = can.count
        guard rows > 0, cols > 0 else { return [] }
        let width = cols + 1
        var table = [Int32](repeating: 0, count: (rows + 1) * width)
        for i in 1...rows {
            for j in 1...cols {
                table[i * width + j] =
                    ref[i - 1] == can[j - 1]
                    ? table[(i - 1) * width + j - 1] + 1
                    : max(table[(i - 1) * width + j], table[i * width + j - 1])
            }
        }
        var positions: [Int] = []
        var i = rows
        var j = cols
        while i > 0 && j > 0 {
            if ref[i - 1] == can[j - 1] {
                positions.append(i - 1)
                i -= 1
                j -= 1
            } else if table[i * width + j - 1] > table[(i - 1) * width + j] {
                j -= 1
            } else {
                i -= 1
            }
        }
        return positions
    }
}

/// How ROUGE splits text into tokens.
public enum RougeTokenizer: String, Sendable, CaseIterable {
    /// rouge_score's tokenizer, which MLflow uses: lower-case, then runs of `a-z` and `0-9`. Every other
    /// character separates tokens, so "café" becomes "caf" and text with no ASCII letters has no tokens.
    case mlflow
    /// Unicode-aware: runs of letters, digits and combining marks in any script are tokens, and each
    /// Chinese or Japanese character is a token of its own (those scripts do not separate words by spaces).
    case unicode

    /// The token ids of a text, interned in the scratch space's interner.
    func tokenIDs(_ text: String, scratch: inout TextScratch) -> [Int32] {
        var ids: [Int32] = []
        scratch.token.removeAll(keepingCapacity: true)
        func flush(_ scratch: inout TextScratch) {
            guard !scratch.token.isEmpty else { return }
            ids.append(scratch.token.withUnsafeBufferPointer { scratch.interner.id($0) })
            scratch.token.removeAll(keepingCapacity: true)
        }
        switch self {
        case .mlflow:
            // Python lower-cases the whole text first. ASCII upper-case letters are lowered token by token
            // below; a text with any other byte is lower-cased whole and tokenized again (rare).
            var source = text
            if !Self.appendASCIITokens(of: &source, to: &ids, scratch: &scratch, lowered: false) {
                ids.removeAll(keepingCapacity: true)
                var lowered = text.lowercased()
                _ = Self.appendASCIITokens(of: &lowered, to: &ids, scratch: &scratch, lowered: true)
            }
            return ids
        case .unicode:
            for scalar in text.lowercased().unicodeScalars {
                if Self.isIdeographic(scalar) {
                    flush(&scratch)
                    scratch.token.append(contentsOf: String(scalar).utf8)
                    flush(&scratch)
                } else if Self.isWordPart(scalar) {
                    scratch.token.append(contentsOf: String(scalar).utf8)
                } else {
                    flush(&scratch)
                }
            }
        }
        flush(&scratch)
        return ids
    }

    /// Appends the ids of the text's runs of `a-z`, `A-Z` and `0-9`, lower-cased, interned in place
    /// unless they need lowering. Returns false, part-way, at a byte past ASCII in a text not yet
    /// lower-cased (`lowered`), which Python's whole-text lowering could change.
    private static func appendASCIITokens(
        of text: inout String, to ids: inout [Int32], scratch: inout TextScratch, lowered: Bool
    ) -> Bool {
        text.withUTF8 { bytes in
            let n = bytes.count
            var i = 0
            while i < n {
                while i < n && !isASCIIWordByte(bytes[i]) {
                    if bytes[i] >= 0x80 && !lowered { return false }
                    i += 1
                }
                let start = i
                var upper = false
                while i < n && isASCIIWordByte(bytes[i]) {
                    if bytes[i] <= 0x5A && bytes[i] >= 0x41 { upper = true }
                    i += 1
                }
                guard i > start else { break }
                let token = UnsafeBufferPointer(rebasing: bytes[start..<i])
                if upper {
                    scratch.token.removeAll(keepingCapacity: true)
                    scratch.token.append(contentsOf: token.lazy.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 })
                    ids.append(scratch.token.withUnsafeBufferPointer { scratch.interner.id($0) })
                } else {
                    ids.append(scratch.interner.id(token))
                }
            }
            return true
        }
    }

    /// `a-z`, `A-Z` or `0-9`.
    @inline(__always)
    private static func isASCIIWordByte(_ b: UInt8) -> Bool {
        let c = b | 0x20
        return (c >= 0x61 && c <= 0x7A) || (b >= 0x30 && b <= 0x39)
    }

    private static func isWordPart(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII {
            let v = s.value
            return (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A) || (v >= 0x30 && v <= 0x39)
        }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark:
            return true
        default:
            return false
        }
    }

    private static func isIdeographic(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x3040...0x30FF,  // Hiragana, Katakana
            0x31F0...0x31FF,  // Katakana phonetic extensions
            0x3400...0x4DBF,  // CJK extension A
            0x4E00...0x9FFF,  // CJK unified ideographs
            0xF900...0xFAFF,  // CJK compatibility ideographs
            0xFF66...0xFF9F,  // half-width Katakana
            0x20000...0x3134F:  // CJK extensions B-G
            return true
        default:
            return false
        }
    }
}

extension TextScratch {
    /// The ROUGE tokens of a row's target and prediction, computed once per row and tokenizer.
    mutating func rougeTokens(target: String, prediction: String, tokenizer: RougeTokenizer) -> ([Int32], [Int32]) {
        if let cached = rougeCache, cached.target == target, cached.prediction == prediction,
            cached.tokenizer == tokenizer
        {
            return (cached.targetTokens, cached.predictionTokens)
        }
        interner.reset()
        let t = tokenizer.tokenIDs(target, scratch: &self)
        let p = tokenizer.tokenIDs(prediction, scratch: &self)
        rougeCache = RougeCacheEntry(
            target: target, prediction: prediction, tokenizer: tokenizer, targetTokens: t, predictionTokens: p)
        return (t, p)
    }

    /// rougeL of a row, computed once (rougeLsum of single-line texts reuses it).
    mutating func rougeLScore(target: String, prediction: String, tokenizer: RougeTokenizer) -> Double {
        let (t, p) = rougeTokens(target: target, prediction: prediction, tokenizer: tokenizer)
        if let score = rougeCache?.rougeL { return score }
        let score = Rouge.lcsScore(t, p, &row)
        rougeCache?.rougeL = score
        return score
    }
}

struct RougeCacheEntry {
    var target: String
    var prediction: String
    var tokenizer: RougeTokenizer
    var targetTokens: [Int32]
    var predictionTokens: [Int32]
    var rougeL: Double?
}
