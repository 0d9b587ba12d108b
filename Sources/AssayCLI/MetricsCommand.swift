import ArgumentParser
import Assay
import Foundation

/// `assay metrics`: every built-in metric with its scale, direction and needs.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "List the built-in metrics with their scales, directions and needs.")

    func run() throws {
        var rows: [[String]] = [["metric", "key", "scale", "direction", "needs"]]
        var notes: [String] = []
        for metric in Metric.catalog() {
            let info = metric.info
            var name = info.name
            for family in ["precision", "recall", "ndcg"] where name == "\(family)_at_3" { name = "\(family)_at_k" }
            let key = info.key.replacingOccurrences(of: "_at_3", with: "_at_k")
            rows.append([name, key, info.scale.label, info.directionLabel, info.needs.labels.joined(separator: ", ")])
            let note = info.needs.contains(.judge) ? " [an LLM judge: run with --judge URI]" : ""
            notes.append("  \(name): \(info.summary)\(note)")
        }
        print(TextTable.render(rows))
        print("\nWhat they measure:")
        for note in notes { print(note) }
        print("\nRetrieval metrics take k from --retriever-k (default 3), or by name: precision_at_5.")
        print("Judges score on the scale shown; answers off the scale count as invalid (<metric>/v1/invalid_count).")
    }
}
