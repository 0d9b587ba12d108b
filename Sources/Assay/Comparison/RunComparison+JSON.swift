extension RunComparison {
    /// The comparison as JSON (what `assay compare --output-json` writes): the runs, the pairing, the
    /// warnings, the options, and per metric the means, difference, interval, p-values and verdict.
    public var json: DataValue {
        func number(_ value: Double?) -> DataValue { value.map { $0.isFinite ? DataValue.double($0) : .null } ?? .null }
        let metricValues = metrics.map { m -> DataValue in
            var fields: [String: DataValue] = [
                "metric": .string(m.name),
                "direction": m.greaterIsBetter.map { .string($0 ? "higher is better" : "lower is better") } ?? .null,
                "test": .string(m.test.rawValue),
                "baseline_mean": number(m.baselineMean), "candidate_mean": number(m.candidateMean),
                "baseline_count": .int(m.baselineCount), "candidate_count": .int(m.candidateCount),
                "difference": number(m.difference),
                "interval": m.interval.map { .list([number($0.lowerBound), number($0.upperBound)]) } ?? .null,
                "p_value": number(m.pValue), "p_value_holm": number(m.adjustedPValue),
                "verdict": .string(m.verdict.rawValue),
                "minimum_detectable_difference": number(m.minimumDetectableDifference),
                "left_out": .object([
                    "errors": .int(m.leftOutErrors), "invalid": .int(m.leftOutInvalid), "missing": .int(m.leftOutMissing),
                ]),
            ]
            if let d = m.discordant {
                fields["discordant"] = .object(["only_baseline": .int(d.onlyBaseline), "only_candidate": .int(d.onlyCandidate)])
            }
            return .object(fields)
        }
        return .object([
            "baseline": .object(["run_id": .string(baseline.id), "run_name": .string(baseline.name)]),
            "candidate": .object(["run_id": .string(candidate.id), "run_name": .string(candidate.name)]),
            "paired": .bool(paired), "paired_rows": .int(pairedRows),
            "only_in_baseline": .int(onlyInBaseline), "only_in_candidate": .int(onlyInCandidate),
            "warnings": .list(warnings.map(DataValue.string)),
            "options": .object([
                "resamples": .int(options.resamples), "seed": .int(Int(truncatingIfNeeded: options.seed)),
                "confidence": .double(options.confidence), "alpha": .double(options.alpha), "power": .double(options.power),
            ]),
            "metrics": .list(metricValues),
        ])
    }
}

extension RunComparison {
    /// Writes comparisons as `{"comparisons": [...], "pairwise": [...]}` (each as its `json`), replacing
    /// the file at once.
    public static func write(_ comparisons: [RunComparison], pairwise: [PairwiseResult] = [], to path: String) throws {
        var fields: [String: DataValue] = ["comparisons": .list(comparisons.map(\.json))]
        if !pairwise.isEmpty { fields["pairwise"] = .list(pairwise.map(\.json)) }
        let document: DataValue = .object(fields)
        try FileSink.write(to: path) { emit in try emit(JSONWriter.string(document) + "\n") }
    }
}
