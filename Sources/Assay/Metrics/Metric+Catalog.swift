import Foundation

/// Finding built-in metrics by name.
extension Metric {
    /// Every built-in metric, configured by `configuration` (k, ROUGE tokenizer); metrics that need a
    /// setting the configuration lacks are shown with a placeholder one.
    public static func catalog(configuration: EvaluationConfiguration = .init()) -> [Metric] {
        let k = configuration.retrieverK
        var metrics: [Metric] = [.exactMatch, .tokenCount, .fleschKincaidGradeLevel, .ariGradeLevel, .latency]
        metrics += Rouge.Variant.allCases.compactMap { Metric.rouge($0.rawValue, tokenizer: configuration.rougeTokenizer) }
        metrics += [.bleu, .sacrebleu, .chrf, .jsonValidity]
        // The catalog describes the metrics; a missing or invalid setting gets a placeholder here and
        // an error only when the metric is asked for by name.
        if let regex = (try? Metric.regexMatch(pattern: configuration.regexPattern ?? ".")) ?? (try? Metric.regexMatch(pattern: ".")) {
            metrics.append(regex)
        }
        if let contains = (try? Metric.contains(keywords: configuration.containsKeywords)) ?? (try? Metric.contains(keywords: ["keyword"]))
        {
            metrics.append(contains)
        }
        metrics += [.precisionAtK(k), .recallAtK(k), .ndcgAtK(k)]
        metrics += agentMetrics
        metrics += BuiltinJudges.all.map { Metric.builtinJudge($0, configuration: configuration) }
        return metrics
    }

    /// The built-in metric with this name (`rouge1`, `bleu/v1`, `precision_at_5`, `precision_at_k`).
    ///
    /// Throws with the list of known names when there is none, or when the metric needs a setting the
    /// configuration lacks (a pattern for `regex_match`, keywords for `contains`).
    public static func named(
        _ rawName: String, configuration: EvaluationConfiguration = .init()
    ) throws(AssayError)
        -> Metric
    {
        let name = rawName.hasSuffix("/v1") ? String(rawName.dropLast(3)) : rawName
        switch name {
        case "exact_match": return .exactMatch
        case "token_count": return .tokenCount
        case "flesch_kincaid_grade_level": return .fleschKincaidGradeLevel
        case "ari_grade_level": return .ariGradeLevel
        case "latency": return .latency
        case "bleu": return .bleu
        case "sacrebleu": return .sacrebleu
        case "chrf": return .chrf
        case "json_validity": return .jsonValidity
        case "regex_match":
            guard let pattern = configuration.regexPattern else {
                throw .needs(.regexPattern, "metric regex_match needs a pattern")
            }
            return try .regexMatch(pattern: pattern)
        case "contains":
            guard !configuration.containsKeywords.isEmpty else {
                throw .needs(.containsKeywords, "metric contains needs keywords")
            }
            return try .contains(keywords: configuration.containsKeywords)
        default:
            break
        }
        if let rouge = Metric.rouge(name, tokenizer: configuration.rougeTokenizer) { return rouge }
        if let agent = agentMetrics.first(where: { $0.info.name == name }) { return agent }
        if let judge = BuiltinJudges.named(name) {
            guard configuration.judge != nil else {
                throw .needs(.judgeModel, "metric \(judge.key) is an LLM judge and needs a judge model")
            }
            return .builtinJudge(judge, configuration: configuration)
        }
        for (prefix, make) in [("precision_at_", Metric.precisionAtK), ("recall_at_", Metric.recallAtK), ("ndcg_at_", Metric.ndcgAtK)]
        where name.hasPrefix(prefix) {
            let suffix = name.dropFirst(prefix.count)
            if suffix == "k" { return make(configuration.retrieverK) }
            guard let k = Int(suffix), k > 0 else {
                throw .invalidInput("metric '\(rawName)': k must be a positive whole number, as in \(prefix)5")
            }
            return make(k)
        }
        let known = catalog(configuration: configuration).map(\.info.name).map {
            $0.replacingOccurrences(of: "_at_\(configuration.retrieverK)", with: "_at_k")
        }
        throw .invalidInput("unknown metric '\(rawName)'; known metrics: \(known.joined(separator: ", "))")
    }
}
