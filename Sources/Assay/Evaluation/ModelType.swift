/// The kind of model under evaluation, which selects the default metrics (MLflow's `model_type`).
public enum ModelType: String, Sendable, CaseIterable {
    /// token_count, toxicity, flesch_kincaid_grade_level, ari_grade_level, exact_match.
    case questionAnswering = "question-answering"
    /// token_count, toxicity, the two readability grades, rouge1, rouge2, rougeL, rougeLsum.
    case textSummarization = "text-summarization"
    /// token_count, toxicity and the two readability grades.
    case text
    /// precision_at_k, recall_at_k and ndcg_at_k with k = `retrieverK` (default 3).
    case retriever

    /// The built-in metrics of this model type, in MLflow's order.
    public func defaultMetrics(configuration: EvaluationConfiguration) -> [Metric] {
        let toxicity = Metric.builtinJudge(BuiltinJudges.toxicity, configuration: configuration)
        let readability: [Metric] = [.tokenCount, toxicity, .fleschKincaidGradeLevel, .ariGradeLevel]
        switch self {
        case .questionAnswering:
            return readability + [.exactMatch]
        case .textSummarization:
            return readability
                + Rouge.Variant.allCases.compactMap { Metric.rouge($0.rawValue, tokenizer: configuration.rougeTokenizer) }
        case .text:
            return readability
        case .retriever:
            let k = configuration.retrieverK
            return [.precisionAtK(k), .recallAtK(k), .ndcgAtK(k)]
        }
    }
}
