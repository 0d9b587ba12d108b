import Assay
import Foundation

/// A temporary folder for one test, removed when the value goes away.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("assay-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `contents` to a file in the folder and returns its path.
    func file(_ name: String, _ contents: String) throws -> String {
        try file(name, bytes: Array(contents.utf8))
    }

    func file(_ name: String, bytes: [UInt8]) throws -> String {
        let path = url.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The error message a throwing call produces, or nil when it does not throw.
func errorMessage(_ body: () async throws -> Void) async -> String? {
    do {
        try await body()
        return nil
    } catch {
        return "\(error)"
    }
}

/// A static evaluation of prediction/target pairs with the given metrics.
func evaluatePairs(_ pairs: [(String, String)], metrics: [Metric]) async throws -> EvaluationResult {
    let data = Dataset(columns: ["inputs", "targets", "predictions"], rows: pairs.enumerated().map { i, pair in
        [.string("q\(i)"), .string(pair.1), .string(pair.0)]
    })
    return try await evaluate(data, targets: "targets", predictions: "predictions", extraMetrics: metrics)
}

extension EvaluationResult {
    /// A metric's per-row scores from the table.
    func scores(_ column: String) throws -> [Double?] {
        guard let values = try table.column(column) else { throw AssayError.invalidInput("no column \(column) in \(table.columns)") }
        return values.map(\.doubleValue)
    }
}
