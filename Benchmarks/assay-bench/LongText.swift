import ArgumentParser
import Assay
import Foundation

/// Seconds per metric on one long field, at growing sizes, so that a cost that grows faster than the
/// text shows (10× the text should take about 10× the time).
///
///     swift run -c release assay-bench long-text --sizes 100000,1000000,10000000
struct LongText: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "long-text", abstract: "Seconds per metric on one long prediction, by size and kind of text.")

    @Option(help: "Field sizes in bytes, comma-separated.") var sizes = "100000,1000000,10000000"
    @Option(help: "Kinds of text: prose (English words), cjk (no spaces), run (one letter repeated), comma-separated.")
    var kinds = "prose,cjk,run"
    @Option(help: "Metrics, comma-separated.")
    var metrics = "token_count,flesch_kincaid_grade_level,ari_grade_level,exact_match,rougeL,bleu,chrf"

    static func text(_ kind: String, bytes: Int) -> String {
        switch kind {
        case "cjk":
            var view = String.UnicodeScalarView()
            for i in 0..<(bytes / 3) { view.append(Unicode.Scalar(UInt32(0x4E00 + (i * 7919) % 20000))!) }
            return String(view)
        case "run":
            return String(repeating: "x", count: bytes)
        default:
            let words = ["the", "model", "answered", "question", "about", "evaluation", "quickly.", "Readability", "matters", "a", "lot,"]
            var text = ""
            text.reserveCapacity(bytes + 16)
            var i = 0
            while text.utf8.count < bytes {
                text += words[(i * 7 + i / 3) % words.count]
                text += i % 13 == 12 ? ". " : " "
                i += 1
            }
            return text
        }
    }

    func run() async throws {
        let chosen = try metrics.split(separator: ",").map { try Metric.named(String($0)) }
        // Warm up resources (tokenizer ranks, syllable tables) outside the timed runs.
        _ = try await evaluate(
            Dataset(columns: ["inputs", "ground_truth", "predictions"], rows: [["q", "a b c d", "a b c e"]]),
            targets: "ground_truth", predictions: "predictions", extraMetrics: chosen)
        print("kind   bytes       metric                        seconds   MB/s")
        for kind in kinds.split(separator: ",").map(String.init) {
            for size in sizes.split(separator: ",").compactMap({ Int($0) }) {
                let text = Self.text(kind, bytes: size)
                let data = Dataset(columns: ["inputs", "ground_truth", "predictions"], rows: [["q", .string(text), .string(text)]])
                for metric in chosen {
                    let clock = ContinuousClock()
                    let start = clock.now
                    _ = try await evaluate(data, targets: "ground_truth", predictions: "predictions", extraMetrics: [metric])
                    let elapsed = clock.now - start
                    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                    print(
                        kind.padding(toLength: 7, withPad: " ", startingAt: 0)
                            + String(size).padding(toLength: 12, withPad: " ", startingAt: 0)
                            + metric.info.name.padding(toLength: 30, withPad: " ", startingAt: 0)
                            + String(format: "%7.3f  %6.1f", seconds, Double(text.utf8.count) / 1e6 / seconds))
                }
            }
        }
    }
}
