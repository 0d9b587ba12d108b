/// chrF as sacrebleu 2.6 `sentence_chrf` computes it with its defaults: character n-grams of order 1 to
/// 6 over the text with whitespace removed, beta 2, no word n-grams, averaged over the effective orders.
enum ChrF {
    static let order = 6
    static let beta = 2.0

    /// The chrF score (0..100) of a prediction against one reference.
    static func score(prediction: String, reference: String) -> Double {
        var grams = CountTable()
        return score(prediction: prediction, reference: reference, grams: &grams)
    }

    /// The same, counting n-grams in a table reused from row to row: each character becomes a small id
    /// for the row, so that a 6-gram packs into one 64-bit key (with its order) and one open-addressing
    /// table holds every order. Rows with more than 1,023 distinct characters use a dictionary instead.
    static func score(prediction: String, reference: String, grams: inout CountTable) -> Double {
        let hyp = characters(prediction)
        let ref = characters(reference)
        var ascii = [Int32](repeating: 0, count: 128)
        var others: [UInt32: Int32] = [:]
        var next: Int32 = 1
        func id(_ c: UInt32) -> Int32 {
            if c < 128 {
                if ascii[Int(c)] == 0 {
                    ascii[Int(c)] = next
                    next += 1
                }
                return ascii[Int(c)]
            }
            if let known = others[c] { return known }
            others[c] = next
            next += 1
            return next - 1
        }
        let refIDs = ref.map(id)
        let hypIDs = hyp.map(id)
        guard next <= 1024 else { return dictionaryScore(hyp: hyp, ref: ref) }
        grams.reset(expecting: refIDs.count * order)
        @inline(__always)
        func key(_ ids: [Int32], _ start: Int, _ n: Int) -> UInt64 {
            var k = UInt64(n) << 60
            for j in 0..<n { k |= UInt64(ids[start + j]) << (10 * UInt64(j)) }
            return k
        }
        for n in 1...order where refIDs.count >= n {
            for i in 0...(refIDs.count - n) { grams.increment(key(refIDs, i, n)) }
        }
        var matches = [Int](repeating: 0, count: order + 1)
        for n in 1...order where hypIDs.count >= n && refIDs.count >= n {
            for i in 0...(hypIDs.count - n) where grams.take(key(hypIDs, i, n)) { matches[n] += 1 }
        }
        return combine(hypCount: hyp.count, refCount: ref.count) { matches[$0] }
    }

    /// chrF over code points with a dictionary per order (any number of distinct characters).
    static func dictionaryScore(hyp: [UInt32], ref: [UInt32]) -> Double {
        var matches = [Int](repeating: 0, count: order + 1)
        for n in 1...order where ref.count >= n && hyp.count >= n {
            var counts: [CharGram: Int32] = [:]
            counts.reserveCapacity(ref.count - n + 1)
            for i in 0...(ref.count - n) { counts[CharGram(ref, i, n), default: 0] += 1 }
            for i in 0...(hyp.count - n) {
                let gram = CharGram(hyp, i, n)
                if let c = counts[gram], c > 0 {
                    counts[gram] = c - 1
                    matches[n] += 1
                }
            }
        }
        return combine(hypCount: hyp.count, refCount: ref.count) { matches[$0] }
    }

    /// The F-score from the matches per order: precision and recall averaged over the effective orders.
    private static func combine(hypCount: Int, refCount: Int, matches: (Int) -> Int) -> Double {
        let factor = beta * beta
        var averagePrecision = 0.0
        var averageRecall = 0.0
        var effectiveOrder = 0
        for n in 1...order {
            let refGrams = max(refCount - n + 1, 0)
            let hypGrams = refGrams > 0 ? max(hypCount - n + 1, 0) : 0
            guard hypGrams > 0, refGrams > 0 else { continue }
            averagePrecision += Double(matches(n)) / Double(hypGrams)
            averageRecall += Double(matches(n)) / Double(refGrams)
            effectiveOrder += 1
        }
        guard effectiveOrder > 0 else { return 0 }
        averagePrecision /= Double(effectiveOrder)
        averageRecall /= Double(effectiveOrder)
        guard averagePrecision + averageRecall != 0 else { return 0 }
        var score = (1 + factor) * averagePrecision * averageRecall
        score /= (factor * averagePrecision) + averageRecall
        return 100 * score
    }

    /// The text's code points with every (Python) whitespace character removed.
    static func characters(_ text: String) -> [UInt32] {
        var result: [UInt32] = []
        result.reserveCapacity(text.utf8.count)
        for s in text.unicodeScalars where !PythonText.isSpace(s.value) { result.append(s.value) }
        return result
    }
}

/// Up to six code points packed into three words, as a dictionary key.
struct CharGram: Hashable {
    var a: UInt64, b: UInt64, c: UInt64

    @inline(__always)
    init(_ chars: [UInt32], _ start: Int, _ n: Int) {
        // Code points need 21 bits; 0x1FFFFF (not a code point) marks unused slots.
        func at(_ k: Int) -> UInt64 { k < n ? UInt64(chars[start + k]) : 0x1FFFFF }
        a = at(0) << 21 | at(1)
        b = at(2) << 21 | at(3)
        c = at(4) << 21 | at(5)
    }
}
