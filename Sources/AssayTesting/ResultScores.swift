public import Assay

extension EvaluationResult {
    /// A metric's per-row scores from the results table (`"rouge1/v1/score"`, `"token_count"`).
    ///
    /// ```swift
    /// #expect(try result.scores("exact_match/v1/score") == [1, 0])
    /// ```
    public func scores(_ column: String) throws -> [Double?] {
        guard let values = try table.column(column) else { throw AssayError.invalidInput("no column \(column) in \(table.columns)") }
        return values.map(\.doubleValue)
    }
}
