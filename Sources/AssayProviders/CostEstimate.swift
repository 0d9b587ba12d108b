public import Assay

/// What a run would send, counted without sending: prompt tokens by the `cl100k_base` tokenizer
/// (OpenAI's chat overhead of 3 tokens per message and 3 per reply included) and the cost they imply.
public struct CostEstimate: Sendable {
    /// Requests the run would send (rows × samples).
    public var requests = 0
    /// Prompt tokens over all requests.
    public var promptTokens = 0
    /// Dollars for the prompt tokens, when the model's price is known.
    public var promptCost: Double?
    /// Completion tokens at most, when `max_tokens` is set.
    public var maxCompletionTokens: Int?
    /// Dollars at most (prompt plus `max_tokens` completions), when both are known.
    public var maxCost: Double?
}

extension ChatModel {
    /// Counts what evaluating `dataset` would send, reading it row by row.
    public func estimate(_ dataset: Dataset, repeats: Int = 1) throws(AssayError) -> CostEstimate {
        var estimate = CostEstimate()
        var checkedColumns = false
        try dataset.forEachRow { row throws(AssayError) in
            if !checkedColumns {
                try validate(columns: row.columns.names)
                checkedColumns = true
            }
            let tokens = try promptTokens(for: row)
            estimate.requests += repeats
            estimate.promptTokens += tokens * repeats
        }
        estimate.maxCompletionTokens = maxCompletionTokens.map { $0 * estimate.requests }
        if let price = prices.price(for: spec.model.model) {
            let prompt = Double(estimate.promptTokens) * price.input / 1_000_000
            estimate.promptCost = prompt
            if let completion = estimate.maxCompletionTokens {
                estimate.maxCost = prompt + Double(completion) * price.output / 1_000_000
            }
        }
        return estimate
    }
}
