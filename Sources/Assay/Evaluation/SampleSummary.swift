/// How a metric's scores vary across the samples of each row, when the model answered every row
/// several times: the mean spread, and for pass/fail metrics pass@k (at least one of k samples passes)
/// and pass^k (all k pass), with the unbiased estimators over each row's n valid samples.
struct SampleSummary {
    let k: Int
    /// The mean over rows of the population standard deviation of their samples' scores.
    let meanSpread: Double?
    let passAtK: Double?
    let passAllK: Double?

    /// `values` in table order (NaN where unscored), `rows` the dataset row of each value; a row's
    /// samples are consecutive.
    init(_ values: [Double], rows: [Int], k: Int) {
        self.k = max(1, k)
        var spreads: [Double] = []
        var passAt: [Double] = []
        var passAll: [Double] = []
        var start = 0
        while start < values.count {
            var end = start + 1
            while end < values.count, rows[end] == rows[start] { end += 1 }
            let scores = values[start..<end].filter { !$0.isNaN }
            if scores.count >= 2 {
                let mean = scores.reduce(0, +) / Double(scores.count)
                spreads.append((scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(scores.count)).squareRoot())
            }
            // Rows with fewer valid samples than k say nothing about k samples.
            if scores.count >= self.k {
                let n = scores.count
                let passed = scores.count { $0 == 1 }
                passAt.append(1 - Self.chooseRatio(n - passed, n, self.k))
                passAll.append(Self.chooseRatio(passed, n, self.k))
            }
            start = end
        }
        func mean(_ v: [Double]) -> Double? { v.isEmpty ? nil : v.reduce(0, +) / Double(v.count) }
        meanSpread = mean(spreads)
        passAtK = mean(passAt)
        passAllK = mean(passAll)
    }

    /// C(m, k) / C(n, k), as a product that neither overflows nor loses precision.
    static func chooseRatio(_ m: Int, _ n: Int, _ k: Int) -> Double {
        guard m >= k else { return 0 }
        var ratio = 1.0
        for i in 0..<k { ratio *= Double(m - i) / Double(n - i) }
        return ratio
    }
}
