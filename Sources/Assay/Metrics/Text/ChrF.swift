/// chrF as sacrebleu 2.6 `sentence_chrf` computes it with its defaults: character n-grams of order 1 to
/// 6 over the text with whitespace removed, beta 2, no word n-grams, averaged over the effective orders.
enum ChrF {
    static let order = 6
    static let beta = 2.0

    /// The chrF score (0..100) of a prediction against one reference.
    static func score(prediction: String, reference: String) -> Double {
        let hyp = characters(prediction)
        let ref = characters(reference)
        let factor = beta * beta
        var averagePrecision = 0.0
        var averageRecall = 0.0
        var effectiveOrder = 0
        for n in 1...order {
            let refCount = max(ref.count - n + 1, 0)
            let hypCount = refCount > 0 ? max(hyp.count - n + 1, 0) : 0
            guard hypCount > 0, refCount > 0 else { continue }
            var counts: [CharGram: Int32] = [:]
            counts.reserveCapacity(refCount)
            for i in 0...(ref.count - n) { counts[CharGram(ref, i, n), default: 0] += 1 }
            var matches = 0
            for i in 0...(hyp.count - n) {
                let gram = CharGram(hyp, i, n)
                if let c = counts[gram], c > 0 {
                    counts[gram] = c - 1
                    matches += 1
                }
            }
            averagePrecision += Double(matches) / Double(hypCount)
            averageRecall += Double(matches) / Double(refCount)
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
    private static func characters(_ text: String) -> [UInt32] {
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
