import Assay
@_exported import AssayTesting
import Foundation

/// A static evaluation of prediction/target pairs with the given metrics.
func evaluatePairs(_ pairs: [(String, String)], metrics: [Metric]) async throws -> EvaluationResult {
    let data = Dataset(
        columns: ["inputs", "targets", "predictions"],
        rows: pairs.enumerated().map { i, pair in
            [.string("q\(i)"), .string(pair.1), .string(pair.0)]
        })
    return try await evaluate(data, targets: "targets", predictions: "predictions", extraMetrics: metrics)
}

/// The library error `body` throws, or nil.
func assayError(_ body: () async throws -> Void) async -> AssayError? {
    do {
        try await body()
        return nil
    } catch let error as AssayError {
        return error
    } catch {
        return AssayError.internal("\(error)")
    }
}
