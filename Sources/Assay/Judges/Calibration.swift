import Foundation

/// How far a judge agrees with human scores on the same rows: the numbers to look at before letting a
/// judge gate a release.
///
/// ```swift
/// let report = CalibrationReport(human: [1, 4, 5], judge: [2, 4, 5], scale: .integers(1...5))
/// report.exactAgreement   // 0.667
/// ```
public struct CalibrationReport: Sendable, Equatable {
    /// Rows with both a human score and a valid judge score.
    public var pairs: Int
    /// Share of pairs where the judge gave exactly the human score.
    public var exactAgreement: Double
    /// Cohen's kappa with quadratic weights, on integer scales (1 perfect, 0 chance, negative worse).
    public var weightedKappa: Double?
    /// Spearman's rank correlation (nil when either side is constant).
    public var spearman: Double?
    /// Mean absolute difference between judge and human scores.
    public var meanAbsoluteError: Double
    /// The scale's levels (integer scales), the rows and columns of ``confusion``.
    public var levels: [Int]
    /// Counts by human score (rows) and judge score (columns), on integer scales.
    public var confusion: [[Int]]

    /// Compares paired scores.
    public init(human: [Double], judge: [Double], scale: JudgeScale) {
        precondition(human.count == judge.count, "paired scores")
        let n = human.count
        pairs = n
        exactAgreement = n == 0 ? 0 : Double(zip(human, judge).count { $0 == $1 }) / Double(n)
        meanAbsoluteError = n == 0 ? 0 : zip(human, judge).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(n)
        spearman = Self.spearman(human, judge)
        if case .integers(let range) = scale, n > 0 {
            levels = Array(range)
            var counts = Array(repeating: Array(repeating: 0, count: levels.count), count: levels.count)
            for (h, j) in zip(human, judge) {
                let row = Int(h) - range.lowerBound
                let column = Int(j) - range.lowerBound
                if counts.indices.contains(row), counts[row].indices.contains(column) { counts[row][column] += 1 }
            }
            confusion = counts
            weightedKappa = Self.quadraticKappa(counts)
        } else {
            levels = []
            confusion = []
            weightedKappa = nil
        }
    }

    static func quadraticKappa(_ counts: [[Int]]) -> Double? {
        let k = counts.count
        guard k > 1 else { return nil }
        let total = Double(counts.joined().reduce(0, +))
        guard total > 0 else { return nil }
        let rowSums = counts.map { Double($0.reduce(0, +)) }
        let columnSums = (0..<k).map { c in Double(counts.reduce(0) { $0 + $1[c] }) }
        var observed = 0.0
        var expected = 0.0
        for i in 0..<k {
            for j in 0..<k {
                let weight = Double((i - j) * (i - j)) / Double((k - 1) * (k - 1))
                observed += weight * Double(counts[i][j]) / total
                expected += weight * rowSums[i] * columnSums[j] / (total * total)
            }
        }
        return expected == 0 ? nil : 1 - observed / expected
    }

    static func spearman(_ a: [Double], _ b: [Double]) -> Double? {
        guard a.count > 1 else { return nil }
        let ra = ranks(a)
        let rb = ranks(b)
        let ma = ra.reduce(0, +) / Double(ra.count)
        let mb = rb.reduce(0, +) / Double(rb.count)
        var covariance = 0.0
        var va = 0.0
        var vb = 0.0
        for (x, y) in zip(ra, rb) {
            covariance += (x - ma) * (y - mb)
            va += (x - ma) * (x - ma)
            vb += (y - mb) * (y - mb)
        }
        guard va > 0, vb > 0 else { return nil }
        return covariance / (va * vb).squareRoot()
    }

    /// Ranks from 1, ties sharing their average rank.
    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, values[order[j + 1]] == values[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = rank }
            i = j + 1
        }
        return ranks
    }
}
