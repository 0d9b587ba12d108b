import Assay

/// Whether a higher value of a metric key is better, from the built-in metrics and judges: `nil` when
/// the key has no direction (a variance, a count of rows) or the metric is unknown.
enum MetricDirection {
    static func greaterIsBetter(_ key: String) -> Bool? {
        let parts = key.split(separator: "/").map(String.init)
        guard let base = parts.first else { return nil }
        switch parts.last {
        case "variance", "repeat_std_mean": return nil
        case "invalid_count": return false
        case "repeat_agreement": return true
        default: break
        }
        if let metric = try? Metric.named(base) { return metric.info.greaterIsBetter }
        if let judge = BuiltinJudges.named(base) { return judge.greaterIsBetter }
        return nil
    }
}
