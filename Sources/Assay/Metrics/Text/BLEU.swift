import Foundation

/// Sentence BLEU in two definitions: MLflow's `bleu/v1` (unsmoothed, 0..1) and sacrebleu 2.6's
/// `sentence_bleu` defaults (exponential smoothing, effective order, 0..100). Both use 13a tokens.
enum BLEU {
    /// n-gram statistics of a prediction against one reference.
    struct Statistics {
        var predictionLength = 0
        var referenceLength = 0
        var matches = [Int](repeating: 0, count: 4)
        var possible = [Int](repeating: 0, count: 4)
    }

    /// Counts clipped n-gram matches (n = 1...4) between token-id sequences.
    static func statistics(
        prediction: [Int32], reference: [Int32], _ distinct: Int, _ grams: inout CountTable
    )
        -> Statistics
    {
        var stats = Statistics(predictionLength: prediction.count, referenceLength: reference.count)
        // With fewer than 2^15 distinct tokens an n-gram of up to four ids packs into one word.
        guard distinct < 1 << 15 else { return wideStatistics(prediction: prediction, reference: reference) }
        grams.reset(expecting: reference.count * 4)
        for n in 1...4 where reference.count >= n {
            for i in 0...(reference.count - n) { grams.increment(pack(reference, i, n)) }
        }
        for n in 1...4 where prediction.count >= n {
            stats.possible[n - 1] = prediction.count - n + 1
            for i in 0...(prediction.count - n) {
                if grams.take(pack(prediction, i, n)) { stats.matches[n - 1] += 1 }
            }
        }
        return stats
    }

    @inline(__always)
    private static func pack(_ tokens: [Int32], _ start: Int, _ n: Int) -> UInt64 {
        var key: UInt64 = 0
        for k in 0..<4 {
            let id: UInt64 = k < n ? UInt64(tokens[start + k]) + 1 : 0
            key = key << 16 | id
        }
        return key
    }

    private static func wideStatistics(prediction: [Int32], reference: [Int32]) -> Statistics {
        var stats = Statistics(predictionLength: prediction.count, referenceLength: reference.count)
        var counts: [NGram: Int32] = [:]
        for n in 1...4 where reference.count >= n {
            for i in 0...(reference.count - n) { counts[NGram(reference, i, n), default: 0] += 1 }
        }
        for n in 1...4 where prediction.count >= n {
            stats.possible[n - 1] = prediction.count - n + 1
            for i in 0...(prediction.count - n) {
                let gram = NGram(prediction, i, n)
                if let c = counts[gram], c > 0 {
                    counts[gram] = c - 1
                    stats.matches[n - 1] += 1
                }
            }
        }
        return stats
    }

    /// MLflow's `bleu/v1`: 0 when either side has no tokens or any n-gram order has no match.
    static func mlflow(_ s: Statistics) -> Double {
        guard s.predictionLength > 0, s.referenceLength > 0 else { return 0 }
        var logSum = 0.0
        for n in 0..<4 {
            guard s.possible[n] > 0, s.matches[n] > 0 else { return 0 }
            let precision = Double(s.matches[n]) / Double(s.possible[n])
            logSum += (1.0 / 4.0) * log(precision)
        }
        let geometricMean = exp(logSum)
        let ratio = Double(s.predictionLength) / Double(s.referenceLength)
        let brevity = ratio > 1.0 ? 1.0 : exp(1 - 1.0 / ratio)
        return geometricMean * brevity
    }

    /// sacrebleu 2.6 `sentence_bleu` with its defaults, 0..100.
    static func sacre(_ s: Statistics) -> Double {
        var brevity = 1.0
        if s.predictionLength < s.referenceLength {
            brevity = s.predictionLength > 0 ? exp(1 - Double(s.referenceLength) / Double(s.predictionLength)) : 0
        }
        guard s.matches.contains(where: { $0 > 0 }) else { return 0 }
        var precisions = [Double](repeating: 0, count: 4)
        var smooth = 1.0
        var effectiveOrder = 4
        for n in 1...4 {
            if s.possible[n - 1] == 0 { break }
            effectiveOrder = n
            if s.matches[n - 1] == 0 {
                smooth *= 2
                precisions[n - 1] = 100.0 / (smooth * Double(s.possible[n - 1]))
            } else {
                precisions[n - 1] = 100.0 * Double(s.matches[n - 1]) / Double(s.possible[n - 1])
            }
        }
        var sum = 0.0
        for p in precisions[..<effectiveOrder] { sum += p == 0 ? -9_999_999_999 : log(p) }
        return brevity * exp(sum / Double(effectiveOrder))
    }
}

/// Up to four token ids, as a dictionary key.
struct NGram: Hashable {
    var a: Int32, b: Int32, c: Int32, d: Int32

    @inline(__always)
    init(_ tokens: [Int32], _ start: Int, _ n: Int) {
        a = tokens[start]
        b = n > 1 ? tokens[start + 1] : -1
        c = n > 2 ? tokens[start + 2] : -1
        d = n > 3 ? tokens[start + 3] : -1
    }
}

struct BLEUCacheEntry {
    var target: String
    var prediction: String
    var statistics: BLEU.Statistics
}

extension TextScratch {
    /// The BLEU statistics of a row, computed once for both BLEU metrics.
    mutating func bleuStatistics(target: String, prediction: String) -> BLEU.Statistics {
        if let cached = bleuCache, cached.target == target, cached.prediction == prediction {
            return cached.statistics
        }
        interner.reset()
        let t = tokenizer13a.tokenIDs(target, interner: &interner)
        let p = tokenizer13a.tokenIDs(prediction, interner: &interner)
        let stats = BLEU.statistics(prediction: p, reference: t, interner.count, &grams)
        bleuCache = BLEUCacheEntry(target: target, prediction: prediction, statistics: stats)
        return stats
    }
}
