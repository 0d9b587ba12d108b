import Foundation

/// The built-in metrics: MLflow's heuristic metrics with their names, versions and keys, plus Assay's own.
extension Metric {
    /// Exact string equality of prediction and target, reported as the share of rows that match
    /// (`exact_match/v1`, no table column). Raw equality, as MLflow's: case and whitespace count.
    public static let exactMatch = Metric(
        info: MetricInfo(
            name: "exact_match", version: "v1", greaterIsBetter: true, scale: .unitInterval, needs: .targets,
            aggregations: [Aggregation(name: "exact_match", statistic: .mean)], column: .none,
            summary: "share of rows whose prediction equals the target exactly", passFail: true),
        kind: .perRow { row, _ in RowScore(row.prediction == row.target ? 1 : 0) })

    /// The number of `cl100k_base` tokens in a string prediction (null otherwise); a table column only.
    public static let tokenCount = Metric(
        info: MetricInfo(
            name: "token_count", greaterIsBetter: nil, scale: .count("tokens"), aggregations: [], column: .bare,
            integerScores: true, summary: "cl100k_base tokens in the prediction, token-exact with tiktoken"),
        kind: .perRow { row, scratch in
            guard let text = row.prediction.stringValue else { return RowScore(nil) }
            return RowScore(Double(try BPETokenizer.cl100kBase().count(text, memo: &scratch.pieces)))
        }, prepare: { _ = try? BPETokenizer.cl100kBase() })

    /// Flesch-Kincaid grade level of the prediction (textstat 0.7.13 rules).
    public static let fleschKincaidGradeLevel = Metric(
        info: MetricInfo(
            name: "flesch_kincaid_grade_level", version: "v1", greaterIsBetter: false, scale: .gradeLevel,
            summary: "US school grade needed to read the prediction, from words per sentence and syllables per word"),
        kind: .perRow { row, scratch in
            guard let text = row.prediction.stringValue else { return RowScore(nil) }
            return RowScore(
                Readability.counts(text, syllables: try SyllableCounter.shared.get(), scratch: &scratch).fleschKincaidGrade)
        }, prepare: { _ = try? SyllableCounter.shared.get() })

    /// Automated Readability Index of the prediction (textstat 0.7.13 rules).
    public static let ariGradeLevel = Metric(
        info: MetricInfo(
            name: "ari_grade_level", version: "v1", greaterIsBetter: false, scale: .gradeLevel,
            summary: "US school grade needed to read the prediction, from characters per word and words per sentence"),
        kind: .perRow { row, scratch in
            guard let text = row.prediction.stringValue else { return RowScore(nil) }
            return RowScore(Readability.counts(text, syllables: nil, scratch: &scratch).automatedReadabilityIndex)
        })

    /// Wall-clock seconds per row of the model call; 0 for static evaluations.
    public static let latency = Metric(
        info: MetricInfo(
            name: "latency", greaterIsBetter: false, scale: .seconds, needs: .model, column: .bare,
            summary: "seconds the model took to answer the row (0 when predictions are given)"),
        kind: .latency)

    /// A ROUGE F-measure (`rouge1`, `rouge2`, `rougeL`, `rougeLsum`) as rouge_score 0.1.2 computes it.
    public static func rouge(_ variant: String, tokenizer: RougeTokenizer = .mlflow) -> Metric? {
        guard let v = Rouge.Variant(rawValue: variant) else { return nil }
        let what =
            switch v {
            case .rouge1: "unigram"
            case .rouge2: "bigram"
            case .rougeL: "longest-common-subsequence"
            case .rougeLsum: "summary-level (per line) longest-common-subsequence"
            }
        return Metric(
            info: MetricInfo(
                name: v.rawValue, version: "v1", greaterIsBetter: true, scale: .unitInterval, needs: .targets,
                summary: "\(what) overlap F-measure with the target"
                    + (tokenizer == .unicode ? " (Unicode tokenizer)" : "")),
            kind: .perRow { row, scratch in
                guard let p = row.prediction.stringValue, let t = row.target?.stringValue else { return RowScore(nil) }
                return RowScore(Rouge.score(v, prediction: p, target: t, tokenizer: tokenizer, scratch: &scratch))
            })
    }

    /// MLflow's `bleu/v1`: sentence BLEU, 4-grams, no smoothing, 13a tokens, 0..1.
    public static let bleu = Metric(
        info: MetricInfo(
            name: "bleu", version: "v1", greaterIsBetter: true, scale: .unitInterval, needs: .targets,
            summary: "MLflow's sentence BLEU: 4-gram precision with brevity penalty, unsmoothed (0 under 4 tokens)"),
        kind: .perRow { row, scratch in
            guard let p = row.prediction.stringValue, let t = row.target?.stringValue else { return RowScore(nil) }
            if p.isEmpty || t.isEmpty { return RowScore(0) }
            return RowScore(BLEU.mlflow(scratch.bleuStatistics(target: t, prediction: p)))
        })

    /// sacrebleu 2.6 `sentence_bleu` with its defaults (exponential smoothing, effective order), 0..100.
    public static let sacrebleu = Metric(
        info: MetricInfo(
            name: "sacrebleu", version: "v1", greaterIsBetter: true, scale: .percentage, needs: .targets,
            summary: "sacrebleu's smoothed sentence BLEU, comparable with published sacrebleu numbers"),
        kind: .perRow { row, scratch in
            guard let p = row.prediction.stringValue, let t = row.target?.stringValue else { return RowScore(nil) }
            let stats = scratch.bleuStatistics(target: pythonRightStrip(t), prediction: pythonRightStrip(p))
            return RowScore(BLEU.sacre(stats))
        })

    /// sacrebleu 2.6 `sentence_chrf` with its defaults (character 6-grams, beta 2), 0..100.
    public static let chrf = Metric(
        info: MetricInfo(
            name: "chrf", version: "v1", greaterIsBetter: true, scale: .percentage, needs: .targets,
            summary: "character n-gram F-score with the target; robust to inflection and word order"),
        kind: .perRow { row, scratch in
            guard let p = row.prediction.stringValue, let t = row.target?.stringValue else { return RowScore(nil) }
            return RowScore(ChrF.score(prediction: p, reference: t, grams: &scratch.grams))
        })

    /// 1 when the prediction is valid JSON, else 0.
    public static let jsonValidity = Metric(
        info: MetricInfo(
            name: "json_validity", version: "v1", greaterIsBetter: true, scale: .unitInterval,
            summary: "1 when the prediction parses as JSON (strict, no code fences), else 0", passFail: true),
        kind: .perRow { row, _ in
            guard let text = row.prediction.stringValue else { return RowScore(nil) }
            do throws(JSONParser.SyntaxError) {
                _ = try JSONParser.parse(text)
                return RowScore(1)
            } catch {
                return RowScore(0, justification: "offset \(error.offset): \(error.message)")
            }
        })

    /// 1 when the prediction matches a regular expression anywhere, else 0.
    public static func regexMatch(pattern: String) throws(AssayError) -> Metric {
        let regex: Regex<AnyRegexOutput>
        do {
            regex = try Regex(pattern)
        } catch {
            throw .invalidInput("regex_match: the pattern '\(pattern)' is not a valid regular expression: \(error)")
        }
        let box = Locked(regex)
        return Metric(
            info: MetricInfo(
                name: "regex_match", version: "v1", greaterIsBetter: true, scale: .unitInterval,
                needs: .configuration, summary: "1 when the prediction matches the pattern, else 0", passFail: true),
            kind: .perRow { row, _ in
                guard let text = row.prediction.stringValue else { return RowScore(nil) }
                return RowScore(box.withValue { text.contains($0) } ? 1 : 0)
            })
    }

    /// 1 when the prediction contains every keyword (ignoring case), else 0.
    public static func contains(keywords: [String]) throws(AssayError) -> Metric {
        let lowered = keywords.map { $0.lowercased() }.filter { !$0.isEmpty }
        guard !lowered.isEmpty else { throw .invalidInput("contains: give at least one keyword") }
        return Metric(
            info: MetricInfo(
                name: "contains", version: "v1", greaterIsBetter: true, scale: .unitInterval, needs: .configuration,
                summary: "1 when the prediction contains every keyword, ignoring case, else 0", passFail: true),
            kind: .perRow { row, _ in
                guard let text = row.prediction.stringValue?.lowercased() else { return RowScore(nil) }
                let missing = lowered.filter { !text.contains($0) }
                return RowScore(
                    missing.isEmpty ? 1 : 0, justification: missing.isEmpty ? nil : "missing: \(missing.joined(separator: ", "))")
            })
    }

    /// MLflow's `precision_at_k`: the share of the first k retrieved ids that are relevant.
    public static func precisionAtK(_ k: Int) -> Metric {
        retrieval("precision", k, summary: "share of the first \(k) retrieved documents that are relevant", Retrieval.precision)
    }

    /// MLflow's `recall_at_k`: the share of relevant ids found among the first k retrieved.
    public static func recallAtK(_ k: Int) -> Metric {
        retrieval("recall", k, summary: "share of the relevant documents found in the first \(k) retrieved", Retrieval.recall)
    }

    /// MLflow's `ndcg_at_k`, with its cutoff at the number retrieved.
    public static func ndcgAtK(_ k: Int) -> Metric {
        retrieval("ndcg", k, summary: "rank-discounted gain of the first \(k) retrieved documents (MLflow's NDCG)", Retrieval.ndcg)
    }

    private static func retrieval(
        _ name: String, _ k: Int, summary: String,
        _ compute: @escaping @Sendable ([String], Set<String>, Int) -> Double
    ) -> Metric {
        Metric(
            info: MetricInfo(
                name: "\(name)_at_\(k)", greaterIsBetter: true, scale: .unitInterval, needs: [.targets, .documentLists],
                summary: summary),
            kind: .perRow { row, _ in
                let retrieved = try Retrieval.ids(row.prediction, role: "predictions", row: row.row, column: row.predictionColumn)
                let relevant = try Retrieval.ids(row.target ?? .null, role: "targets", row: row.row, column: row.targetColumn)
                return RowScore(compute(retrieved, Set(relevant), k))
            })
    }
}

/// Python's `str.rstrip()`.
func pythonRightStrip(_ text: String) -> String {
    var scalars = Substring(text).unicodeScalars
    while let last = scalars.last, PythonText.isSpace(last.value) { scalars.removeLast() }
    return String(scalars)
}

/// A value that is not Sendable (a compiled `Regex`, which caches state as it runs), used by one task
/// at a time.
final class Locked<Value>: @unchecked Sendable {
    // `value` is touched only while `lock` is held.
    private let lock = NSLock()
    private let value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withValue<T>(_ body: (Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(value)
    }
}
