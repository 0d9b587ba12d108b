/// Whether a higher value of a metric key is better, from the built-in metrics and judges.
///
/// ```swift
/// MetricDirection.greaterIsBetter("rouge1/v1/mean")                   // true
/// MetricDirection.greaterIsBetter("flesch_kincaid_grade_level/v1")    // false
/// MetricDirection.greaterIsBetter("token_count")                      // nil: no direction
/// ```
public enum MetricDirection {
    /// `nil` when the key has no direction (a variance, a count of rows) or the metric is unknown.
    public static func greaterIsBetter(_ key: String) -> Bool? {
        let parts = key.split(separator: "/").map(String.init)
        guard let base = parts.first else { return nil }
        switch parts.last {
        case "variance", "repeat_std_mean", "sample_std_mean": return nil
        case "invalid_count": return false
        case "repeat_agreement": return true
        default: break
        }
        if let metric = try? Metric.named(base) { return metric.info.greaterIsBetter }
        if let judge = BuiltinJudges.named(base) { return judge.greaterIsBetter }
        return nil
    }
}
