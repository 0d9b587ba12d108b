public import Assay
import Foundation
import Yams

/// Model prices in US dollars per million tokens, for the cost of a run.
///
/// Built in for common OpenAI and Anthropic models (list prices; a dated model name such as
/// `gpt-4o-mini-2024-07-18` takes the price of its longest listed prefix). A prices file replaces or
/// adds entries:
///
/// ```yaml
/// gemma-3-270m: {input: 0, output: 0}
/// gpt-4o-mini: {input: 0.15, output: 0.60}
/// ```
public struct PriceTable: Sendable {
    /// The price of one model.
    public struct Price: Sendable, Equatable {
        /// Dollars per million prompt tokens.
        public var input: Double
        /// Dollars per million completion tokens.
        public var output: Double

        public init(input: Double, output: Double) {
            self.input = input
            self.output = output
        }
    }

    /// Prices by model name.
    public var prices: [String: Price]

    /// The built-in table.
    public static let builtIn = PriceTable(prices: [
        "gpt-4o-mini": Price(input: 0.15, output: 0.60),
        "gpt-4o": Price(input: 2.50, output: 10.00),
        "gpt-4.1": Price(input: 2.00, output: 8.00),
        "gpt-4.1-mini": Price(input: 0.40, output: 1.60),
        "gpt-4.1-nano": Price(input: 0.10, output: 0.40),
        "gpt-4-turbo": Price(input: 10.00, output: 30.00),
        "gpt-4": Price(input: 30.00, output: 60.00),
        "gpt-3.5-turbo": Price(input: 0.50, output: 1.50),
        "o3-mini": Price(input: 1.10, output: 4.40),
        "o4-mini": Price(input: 1.10, output: 4.40),
        "claude-3-5-haiku": Price(input: 0.80, output: 4.00),
        "claude-3-5-sonnet": Price(input: 3.00, output: 15.00),
        "claude-3-7-sonnet": Price(input: 3.00, output: 15.00),
        "claude-3-haiku": Price(input: 0.25, output: 1.25),
        "claude-3-opus": Price(input: 15.00, output: 75.00),
        "claude-sonnet-4": Price(input: 3.00, output: 15.00),
        "claude-opus-4": Price(input: 15.00, output: 75.00),
    ])

    /// A table of the given prices.
    public init(prices: [String: Price]) {
        self.prices = prices
    }

    /// The built-in table with a prices file (YAML or JSON) laid over it.
    public static func loading(_ path: String) throws(AssayError) -> PriceTable {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .invalidInput("\(path): cannot read the prices file")
        }
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw .invalidInput("\(path): not valid YAML or JSON: \(error)")
        }
        guard let entries = loaded as? [String: Any] else {
            throw .invalidInput("\(path): expected a mapping of model name to {input, output} dollars per million tokens")
        }
        var table = builtIn
        for (model, value) in entries {
            guard let fields = value as? [String: Any], let input = number(fields["input"]), let output = number(fields["output"]) else {
                throw .invalidInput("\(path): model '\(model)' needs numeric 'input' and 'output' (dollars per million tokens)")
            }
            table.prices[model] = Price(input: input, output: output)
        }
        return table
    }

    private static func number(_ value: Any?) -> Double? {
        if let d = value as? Double { return d }
        if let i = value as? Int { return Double(i) }
        return nil
    }

    /// The price of a model: an exact entry, else the longest listed prefix.
    public func price(for model: String) -> Price? {
        if let exact = prices[model] { return exact }
        let name = model.split(separator: "/").last.map(String.init) ?? model
        if let exact = prices[name] { return exact }
        return prices.keys.filter { name.hasPrefix($0) }.max { $0.count < $1.count }.flatMap { prices[$0] }
    }

    /// Dollars for a call's usage, when the model's price is known.
    public func cost(model: String, usage: TokenUsage) -> Double? {
        guard let price = price(for: model) else { return nil }
        return (Double(usage.promptTokens) * price.input + Double(usage.completionTokens) * price.output) / 1_000_000
    }
}

/// A spending limit shared by every call of a run.
///
/// Before a call is sent its cost is estimated and reserved: the prompt's tokens (counted with
/// `cl100k_base`) at the input price, plus `max_tokens` (or, without it, the largest completion seen so
/// far) at the output price. A call whose estimate does not fit in what is left is not sent, so calls
/// in flight at once cannot together overrun the limit; only a completion longer than any seen before
/// (with no `max_tokens`) can.
public actor CostBudget {
    /// The limit in dollars.
    public let limit: Double
    /// Dollars spent so far.
    public private(set) var spent = 0.0
    private var reserved = 0.0
    private var largestCompletion = 0

    /// A budget of `limit` dollars.
    public init(limit: Double) {
        self.limit = limit
    }

    /// Reserves the estimated cost of a call, or throws when it does not fit.
    func reserve(promptTokens: Int, maxCompletionTokens: Int?, price: PriceTable.Price) throws(AssayError) -> Double {
        let completion = maxCompletionTokens ?? largestCompletion
        let estimate = (Double(promptTokens) * price.input + Double(completion) * price.output) / 1_000_000
        guard spent + reserved + estimate <= limit else {
            throw AssayError(
                .budgetExhausted,
                String(format: "not sent: the budget of $%.4f was reached ($%.4f spent, $%.4f under way)", limit, spent, reserved))
        }
        reserved += estimate
        return estimate
    }

    /// Lets a call whose cost is known only afterwards (an application that reports its own) go ahead
    /// while anything is left, or throws when the budget is spent.
    func admit() throws(AssayError) {
        guard spent + reserved < limit else {
            throw AssayError(
                .budgetExhausted, String(format: "not sent: the budget of $%.4f was reached ($%.4f spent)", limit, spent))
        }
    }

    /// Replaces a reservation by what the call cost (zero when it failed).
    func settle(reservation: Double, cost: Double, usage: TokenUsage?) {
        reserved = max(0, reserved - reservation)
        spent += cost
        if let usage { largestCompletion = max(largestCompletion, usage.completionTokens) }
    }
}
