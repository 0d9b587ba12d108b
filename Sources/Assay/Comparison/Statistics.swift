import Foundation

/// The statistics behind ``RunComparison``: resampling tests on score differences, an exact McNemar
/// test, Holm's correction, and the normal distribution they need. They follow SciPy's definitions
/// (`scipy.stats.bootstrap` with BCa intervals, `scipy.stats.permutation_test`, statsmodels' exact
/// McNemar) so that the figures can be checked against them.
public enum Statistics {
    /// Score differences grouped by the row they belong to: one per row, or several when a run
    /// answered each row more than once. Resampling keeps a row's differences together.
    public struct Clusters: Sendable {
        /// Per row, the sum of its differences and how many there are.
        public private(set) var sums: [Double] = []
        public private(set) var counts: [Int] = []
        /// All differences, in order.
        public private(set) var count = 0

        public init() {}

        /// One difference per row.
        public init(_ differences: [Double]) {
            sums = differences
            counts = [Int](repeating: 1, count: differences.count)
            count = differences.count
        }

        /// Adds the differences of one row.
        public mutating func append(sum: Double, count n: Int) {
            sums.append(sum)
            counts.append(n)
            count += n
        }

        /// The mean difference (the statistic every test here is about).
        public var mean: Double { count == 0 ? .nan : sums.reduce(0, +) / Double(count) }

        /// Whether some row holds more than one difference.
        public var isClustered: Bool { count > sums.count }

        /// The standard error of the mean difference, robust to clustering (the sandwich estimate
        /// with the usual small-sample factor C/(C-1)); nil with fewer than two rows.
        public var standardError: Double? {
            let c = sums.count
            guard c >= 2 else { return nil }
            let m = mean
            var squares = 0.0
            for (s, n) in zip(sums, counts) {
                let r = s - Double(n) * m
                squares += r * r
            }
            return (Double(c) / Double(c - 1) * squares).squareRoot() / Double(count)
        }
    }

    // MARK: - Resampling

    /// A paired bootstrap confidence interval for the mean difference, bias-corrected and accelerated
    /// (BCa, as SciPy's default): rows are drawn with replacement, each with all its differences.
    /// Nil with fewer than two rows.
    public static func bootstrapInterval(
        _ clusters: Clusters, confidence: Double = 0.95, resamples: Int = 10_000, random: inout SeededRandom
    ) -> ClosedRange<Double>? {
        let c = clusters.sums.count
        guard c >= 2, resamples >= 2 else { return nil }
        let observed = clusters.mean
        var draws = [Double](repeating: 0, count: resamples)
        clusters.sums.withUnsafeBufferPointer { sums in
            clusters.counts.withUnsafeBufferPointer { counts in
                for r in 0..<resamples {
                    var s = 0.0
                    var n = 0
                    for _ in 0..<c {
                        let i = random.index(below: c)
                        s += sums[i]
                        n += counts[i]
                    }
                    draws[r] = s / Double(n)
                }
            }
        }
        // Scores near ±Double.greatestFiniteMagnitude overflow their sums: no interval to give.
        guard observed.isFinite, draws.allSatisfy(\.isFinite) else { return nil }
        draws.sort()
        guard draws[0] < draws[resamples - 1] else { return observed...observed }
        // Bias correction: where the observed mean falls among the resampled ones.
        let below = draws.partitioningIndex { $0 >= observed }
        let fraction = min(max(Double(below) / Double(resamples), 0.5 / Double(resamples)), 1 - 0.5 / Double(resamples))
        let z0 = normalQuantile(fraction)
        // Acceleration, from the leave-one-row-out means.
        let total = clusters.sums.reduce(0, +)
        var jackknife = [Double](repeating: 0, count: c)
        for i in 0..<c {
            let rest = clusters.count - clusters.counts[i]
            jackknife[i] = rest > 0 ? (total - clusters.sums[i]) / Double(rest) : observed
        }
        let jackMean = jackknife.reduce(0, +) / Double(c)
        var cubes = 0.0
        var squares = 0.0
        for value in jackknife {
            let d = jackMean - value
            cubes += d * d * d
            squares += d * d
        }
        let ratio = cubes / (6 * pow(squares, 1.5))
        let acceleration = squares > 0 && ratio.isFinite ? ratio : 0
        func adjusted(_ alpha: Double) -> Double {
            let z = normalQuantile(alpha)
            let corrected = normalCDF(z0 + (z0 + z) / (1 - acceleration * (z0 + z)))
            // An acceleration too large for the formula: the plain percentile.
            return corrected.isFinite ? corrected : alpha
        }
        let tail = (1 - confidence) / 2
        let low = percentile(draws, adjusted(tail))
        let high = percentile(draws, adjusted(1 - tail))
        return min(low, high)...max(low, high)
    }

    /// The two-sided p-value of a paired sign-flip permutation test of "the mean difference is zero":
    /// each row's differences keep or flip their sign together. Exact (every sign pattern) when there
    /// are no more patterns than `resamples`, as SciPy does; otherwise from `resamples` random ones.
    public static func signFlipPValue(_ clusters: Clusters, resamples: Int = 10_000, random: inout SeededRandom) -> Double {
        let c = clusters.sums.count
        guard c > 0, clusters.count > 0 else { return 1 }
        let n = Double(clusters.count)
        let observed = clusters.mean
        // SciPy's tolerance, so that a pattern equal to the observed one up to rounding counts as equal.
        let gamma = abs(Double.ulpOfOne * 100 * observed)
        var atMost = 0
        var atLeast = 0
        let exact = c < 63 && (1 << c) <= resamples
        let patterns = exact ? 1 << c : resamples
        clusters.sums.withUnsafeBufferPointer { sums in
            for pattern in 0..<patterns {
                var s = 0.0
                if exact {
                    for i in 0..<c { s += (pattern >> i) & 1 == 1 ? -sums[i] : sums[i] }
                } else {
                    var bits: UInt64 = 0
                    for i in 0..<c {
                        if i & 63 == 0 { bits = random.next() }
                        s += bits & 1 == 1 ? -sums[i] : sums[i]
                        bits >>= 1
                    }
                }
                let t = s / n
                if t <= observed + gamma { atMost += 1 }
                if t >= observed - gamma { atLeast += 1 }
            }
        }
        let adjustment = exact ? 0.0 : 1.0
        let less = (Double(atMost) + adjustment) / (Double(patterns) + adjustment)
        let greater = (Double(atLeast) + adjustment) / (Double(patterns) + adjustment)
        return min(1, 2 * min(less, greater))
    }

    /// A percentile bootstrap interval for `mean(b) - mean(a)` of two independent samples.
    public static func unpairedBootstrapInterval(
        _ a: [Double], _ b: [Double], confidence: Double = 0.95, resamples: Int = 10_000, random: inout SeededRandom
    ) -> ClosedRange<Double>? {
        guard a.count >= 2, b.count >= 2, resamples >= 2 else { return nil }
        func resampledMean(_ values: [Double]) -> Double {
            var s = 0.0
            for _ in values.indices { s += values[random.index(below: values.count)] }
            return s / Double(values.count)
        }
        var draws = (0..<resamples).map { _ in resampledMean(b) - resampledMean(a) }
        guard draws.allSatisfy(\.isFinite) else { return nil }
        draws.sort()
        let tail = (1 - confidence) / 2
        return percentile(draws, tail)...percentile(draws, 1 - tail)
    }

    /// The two-sided p-value of a permutation test of equal means for two independent samples (the
    /// labels shuffled `resamples` times).
    public static func unpairedPermutationPValue(
        _ a: [Double], _ b: [Double], resamples: Int = 10_000, random: inout SeededRandom
    )
        -> Double
    {
        guard !a.isEmpty, !b.isEmpty else { return 1 }
        var pooled = a + b
        let observed = mean(b) - mean(a)
        let gamma = abs(Double.ulpOfOne * 100 * observed)
        let total = pooled.reduce(0, +)
        var atMost = 0
        var atLeast = 0
        for _ in 0..<resamples {
            // A random choice of b.count values for the second group (a partial shuffle).
            var s = 0.0
            for i in 0..<b.count {
                let j = i + random.index(below: pooled.count - i)
                pooled.swapAt(i, j)
                s += pooled[i]
            }
            let t = s / Double(b.count) - (total - s) / Double(a.count)
            if t <= observed + gamma { atMost += 1 }
            if t >= observed - gamma { atLeast += 1 }
        }
        let less = Double(atMost + 1) / Double(resamples + 1)
        let greater = Double(atLeast + 1) / Double(resamples + 1)
        return min(1, 2 * min(less, greater))
    }

    // MARK: - Exact tests and corrections

    /// The exact McNemar test for paired 0/1 outcomes: `onlyBaseline` rows passed only in the
    /// baseline, `onlyCandidate` only in the candidate. Two-sided, as statsmodels' `mcnemar(exact=True)`.
    public static func mcNemarPValue(onlyBaseline b: Int, onlyCandidate c: Int) -> Double {
        let n = b + c
        guard n > 0 else { return 1 }
        return min(1, 2 * binomialCDF(min(b, c), trials: n))
    }

    /// P(X ≤ k) for X ~ Binomial(trials, 1/2), summed in log space (exact for any number of trials).
    static func binomialCDF(_ k: Int, trials n: Int) -> Double {
        guard k < n else { return 1 }
        let logHalf = -Double(n) * log(2.0)
        // log C(n, i), built up term by term.
        var logChoose = 0.0
        var largest = -Double.infinity
        var terms: [Double] = []
        terms.reserveCapacity(k + 1)
        for i in 0...k {
            if i > 0 { logChoose += log(Double(n - i + 1)) - log(Double(i)) }
            let term = logChoose + logHalf
            terms.append(term)
            largest = max(largest, term)
        }
        return exp(largest) * terms.reduce(0) { $0 + exp($1 - largest) }
    }

    /// Holm's step-down adjustment of p-values for several tests at once (in the given order).
    public static func holm(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var adjusted = [Double](repeating: 1, count: m)
        var running = 0.0
        for (rank, index) in order.enumerated() {
            running = max(running, min(1, Double(m - rank) * pValues[index]))
            adjusted[index] = running
        }
        return adjusted
    }

    /// The smallest true difference a two-sided test at `alpha` detects with probability `power`,
    /// given the standard error of the mean difference (the normal approximation).
    public static func minimumDetectableDifference(standardError: Double, alpha: Double = 0.05, power: Double = 0.8) -> Double {
        (normalQuantile(1 - alpha / 2) + normalQuantile(power)) * standardError
    }

    // MARK: - The normal distribution

    /// Φ(x), the standard normal distribution function.
    public static func normalCDF(_ x: Double) -> Double {
        0.5 * erfc(-x / 2.0.squareRoot())
    }

    /// Φ⁻¹(p): Acklam's rational approximation, refined by one Halley step to full double precision.
    public static func normalQuantile(_ p: Double) -> Double {
        guard p > 0 else { return -.infinity }
        guard p < 1 else { return .infinity }
        let a = [
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01,
            2.506628277459239e+00,
        ]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00,
            2.938163982698783e+00,
        ]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low || p > 1 - low {
            let q = (-2 * log(p < low ? p : 1 - p)).squareRoot()
            x =
                (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
            if p > 1 - low { x = -x }
        } else {
            let q = p - 0.5
            let r = q * q
            x =
                (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        }
        let e = normalCDF(x) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        return x - u / (1 + x * u / 2)
    }

    // MARK: - Helpers

    /// A p-value for people: four decimals, or "<0.0001".
    public static func format(pValue p: Double) -> String {
        p < 0.0001 ? "<0.0001" : String(format: "%.4f", p)
    }

    /// The `p` quantile of sorted values, interpolating linearly between neighbours (NumPy's default).
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty, p.isFinite else { return .nan }
        let position = min(max(p, 0), 1) * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + fraction * (sorted[upper] - sorted[lower])
    }

    static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
    }
}

extension Array where Element == Double {
    /// The first index whose element satisfies `belongs`, for a predicate false then true along the array.
    fileprivate func partitioningIndex(where belongs: (Double) -> Bool) -> Int {
        var (low, high) = (0, count)
        while low < high {
            let middle = (low + high) / 2
            if belongs(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
