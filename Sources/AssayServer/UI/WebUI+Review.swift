import Assay
import Foundation
import Hummingbird

/// Human review of a run's evaluation rows and of traces: a person scores a row (thumbs, a number on
/// the metric's scale, or a label) with a comment, stored as an assessment with source HUMAN (the
/// record MLflow 3's client reads and writes; a row that is a trace is reviewed on that trace, any
/// other row under the key `row:<run>:<number>`). A review queue puts first the rows where a judge's
/// answer was unreadable, judges disagreed, or a score sits near a gate's threshold; once a run has
/// human scores, each judge shows how far it agrees (the figures `assay judge calibrate` prints).
extension WebUI {
    /// The source type of a person's score.
    static let humanSource = "HUMAN"

    /// Where a row's reviews are kept: the row's trace when it is one, else a key of its own.
    static func reviewKey(_ table: EvaluationTable, run: String, row: Int) -> String {
        if let column = table.columns.firstIndex(of: "trace_id"), case .string(let id) = table.rows[row][column], !id.isEmpty {
            return MLflowAPI.storedTraceID(id)
        }
        return "row:\(run):\(row + 1)"
    }

    /// The people's scores of a run's rows, by row: the HUMAN assessments recorded with the run for rows
    /// of this table (one query on the run, however long the table).
    func humanReviews(run: String, file: String, table: EvaluationTable) async throws -> [Int: [TraceAssessment]] {
        guard let traceStore else { return [:] }
        var reviews: [Int: [TraceAssessment]] = [:]
        for a in try await traceStore.assessments(run: run, sourceType: Self.humanSource) where a.valid {
            guard a.metadata["assay.table"] == file, let number = a.metadata["assay.row"].flatMap({ Int($0) }),
                table.rows.indices.contains(number - 1), a.traceID == Self.reviewKey(table, run: run, row: number - 1)
            else { continue }
            reviews[number - 1, default: []].append(a)
        }
        return reviews
    }

    /// The judges' scales: from the run's `genai_custom_metrics.json`, else whole numbers between the
    /// smallest and largest score a judge gave.
    func judgeScales(_ run: Run, base: String, table: EvaluationTable) async -> [String: JudgeScale] {
        var scales: [String: JudgeScale] = [:]
        if let data = try? await artifacts.read(base + "/genai_custom_metrics.json", maxBytes: 16 << 20),
            let judges = try? EvaluationResult.judges(fromCustomMetrics: data, source: "genai_custom_metrics.json")
        {
            for judge in judges { scales[judge.key] = judge.scale }
        }
        for score in table.scores where score.justification != nil && scales[score.name] == nil {
            let values = score.values.compactMap { $0 }
            if let low = values.min(), let high = values.max(), values.allSatisfy({ $0 == $0.rounded() }), high - low <= 20 {
                scales[score.name] = .integers(Int(low)...max(Int(high), Int(low) + 1))
            } else if let low = values.min(), let high = values.max() {
                scales[score.name] = .numbers(low...max(high, low + 1))
            }
        }
        return scales
    }

    static func bounds(_ scale: JudgeScale?) -> ClosedRange<Double>? {
        switch scale {
        case .integers(let r): Double(r.lowerBound)...Double(r.upperBound)
        case .numbers(let r): r
        case .boolean: 0...1
        default: nil
        }
    }

    /// The rows to review, most in need first: an unreadable judge answer or a row error (3), judges that
    /// disagree by half their scale or more (2), a score near a gate's threshold or in the middle of its
    /// scale (1), then the rest; rows already reviewed go last.
    static func reviewQueue(
        _ table: EvaluationTable, scales: [String: JudgeScale], gates: [GateCondition], reviewed: Set<Int>
    ) -> [(row: Int, reason: String)] {
        let judges = table.scores.filter { $0.justification != nil }
        // Each gated score with its threshold and its scale (or, without one, the range of its values).
        var thresholds: [(score: EvaluationTable.Score, value: Double, range: ClosedRange<Double>)] = []
        for gate in gates {
            guard case .threshold(let key, _, let value) = gate.kind,
                let score = table.scores.first(where: { key == $0.name || key.hasPrefix($0.name + "/") })
            else { continue }
            let values = score.values.compactMap { $0 }
            guard let range = bounds(scales[score.name]) ?? values.min().flatMap({ low in values.max().map { low...$0 } }) else { continue }
            thresholds.append((score, value, range))
        }
        let ranked = table.rows.indices.map { i -> (row: Int, priority: Int, reason: String) in
            let problems = table.problems(i)
            if !problems.invalid.isEmpty {
                return (i, 3, "the judge's answer for \(problems.invalid.joined(separator: ", ")) could not be read")
            }
            if problems.error { return (i, 3, "the row failed") }
            let normalized = judges.compactMap { score -> Double? in
                guard let v = score.values[i], let r = bounds(scales[score.name]), r.upperBound > r.lowerBound else { return nil }
                return (v - r.lowerBound) / (r.upperBound - r.lowerBound)
            }
            if let low = normalized.min(), let high = normalized.max(), high - low >= 0.5 { return (i, 2, "the judges disagree") }
            for (score, threshold, r) in thresholds {
                guard let v = score.values[i] else { continue }
                if abs(v - threshold) <= 0.1 * max(r.upperBound - r.lowerBound, 1e-9) {
                    return (i, 1, "\(score.name) \(HTML.number(v)) is near the gate's \(HTML.number(threshold))")
                }
            }
            for score in judges {
                guard let v = score.values[i], let r = bounds(scales[score.name]), r.upperBound > r.lowerBound else { continue }
                if abs((v - r.lowerBound) / (r.upperBound - r.lowerBound) - 0.5) < 0.13 { return (i, 1, "\(score.name) is mid-scale") }
            }
            return (i, 0, "")
        }
        return ranked.sorted { a, b in
            let (ra, rb) = (reviewed.contains(a.row), reviewed.contains(b.row))
            if ra != rb { return !ra }
            return a.priority != b.priority ? a.priority > b.priority : a.row < b.row
        }.map { ($0.row, $0.reason) }
    }

    /// `GET /runs/{run}/review`: the next row of the queue (or `?row=N`), its outputs and scores, and
    /// the form; keys 1 to 9 score, u and d are thumbs, s skips.
    func reviewPage(_ page: Page, runID: String) async throws -> Response {
        let run = try await store.run(id: runID)
        let tables = ComparedRun.loggedTables(run)
        guard let base = artifactBase(run.info), let file = Self.defaultTable(tables) else {
            throw AssayError(.notFound, "run \(runID) has no evaluation table on this server to review")
        }
        let table = try await tableCache.table(base + "/" + file, in: artifacts)
        guard !table.rows.isEmpty else { throw AssayError(.notFound, "run \(runID)'s table has no rows") }
        let reviews = try await humanReviews(run: run.info.id, file: file, table: table)
        let scales = await judgeScales(run, base: base, table: table)
        let gates = (run.tags.first { $0.key == "assay.gate" }?.value ?? "").split(separator: ";").compactMap {
            try? GateCondition(String($0).trimmingCharacters(in: .whitespaces))
        }
        let queue = Self.reviewQueue(table, scales: scales, gates: gates, reviewed: Set(reviews.keys))
        let asked = Int(try page.query.string("row") ?? "").map { $0 - 1 }.flatMap { table.rows.indices.contains($0) ? $0 : nil }
        let row = asked ?? queue.first!.row
        let position = queue.firstIndex { $0.row == row } ?? 0
        let next = queue.dropFirst(position + 1).first { !reviews.keys.contains($0.row) }?.row ?? queue[(position + 1) % queue.count].row
        let runPath = "/runs/" + HTML.path([run.info.id])
        func cell(_ column: Int?) -> String { column.map { WebUI.outputText(table.rows[row][$0]) } ?? "" }
        let metricNames = table.scores.map(\.name)
        // The judges first, and selected the one most worth a person's score on this row: one whose answer
        // could not be read, else one on a whole-number scale.
        let judges = table.scores.filter { $0.justification != nil }.map(\.name)
        let unreadable = Set(table.problems(row).invalid)
        let focus =
            judges.first { unreadable.contains($0) } ?? judges.first { if case .integers = scales[$0] { true } else { false } }
            ?? judges.first
        let mine = reviews[row] ?? []
        var values: [String: Any] = [
            "runID": run.info.id, "runName": run.info.name, "runPath": runPath, "row": row + 1, "next": next + 1,
            "rows": table.rows.count, "reviewed": reviews.count, "reason": queue[position].reason,
            "input": cell(table.inputColumn), "output": cell(table.outputColumn), "target": cell(table.targetColumn),
            "scores": table.scores.map { score -> [String: Any] in
                let v = score.values[row]
                var item: [String: Any] = [
                    "name": score.name, "value": v.map { HTML.number($0) } ?? (score.justification != nil ? "invalid" : ""),
                ]
                if let j = score.justification { item["why"] = table.rows[row][j].text }
                if let r = Self.bounds(scales[score.name]) { item["scale"] = "\(HTML.number(r.lowerBound))–\(HTML.number(r.upperBound))" }
                if let human = mine.last(where: { $0.name == score.name }) { item["human"] = Self.assessmentValue(human) }
                return item
            },
            "metricOptions": (judges + ["overall"] + metricNames.filter { !judges.contains($0) }).map { name in
                ["name": name, "selected": name == (focus ?? "overall")]
            },
            "existing": mine.map {
                ["name": $0.name, "value": Self.assessmentValue($0), "comment": $0.rationale ?? "", "by": $0.source.id]
            },
            "csrf": csrfToken(page.session), "reviewer": try page.query.string("reviewer") ?? "",
        ]
        if let saved = try page.query.string("saved"), let number = Int(saved) { values["saved"] = "Saved your score of row \(number)." }
        return render(
            status: .ok, title: "Review \(run.info.name)", template: "review", values,
            crumbs: [(run.info.name, runPath), ("Review", "")], session: page.session)
    }

    /// A person's score from a form: `up`/`down` as thumbs (true/false), a number as a number, other
    /// text as a label; nil when there is none.
    static func humanValue(_ text: String?) -> DataValue? {
        guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        switch text.lowercased() {
        case "up", "yes", "thumbs up", "👍": return .bool(true)
        case "down", "no", "thumbs down", "👎": return .bool(false)
        default: break
        }
        if let number = Double(text), number.isFinite {
            return number == number.rounded() && abs(number) < 1e15 ? .int(Int(number)) : .double(number)
        }
        return .string(String(text.prefix(200)))
    }

    /// Records a person's score of a row (replacing the same reviewer's earlier score of that metric)
    /// and goes on to the next row of the queue.
    func saveReview(_ form: RequestFields, runID: String) async throws -> Response {
        guard let traceStore else { throw AssayError(.invalidInput, "This server's store keeps no assessments.") }
        let run = try await store.run(id: runID)
        let runPath = "/runs/" + HTML.path([run.info.id])
        let next = Int(try form.string("next") ?? "") ?? 1
        // The reviewer's name goes on to the next row's form.
        let named = try form.string("reviewer").map { String($0.trimmingCharacters(in: .whitespaces).prefix(100)) } ?? ""
        let carried: [(String, String)] = named.isEmpty ? [] : [("reviewer", named)]
        guard try form.string("action") != "skip" else {
            return Self.redirect(runPath + "/review" + HTML.query([("row", String(next))] + carried))
        }
        guard let base = artifactBase(run.info), let file = Self.defaultTable(ComparedRun.loggedTables(run)) else {
            throw AssayError(.notFound, "run \(runID) has no evaluation table on this server to review")
        }
        let table = try await tableCache.table(base + "/" + file, in: artifacts)
        guard let number = Int(try form.string("row") ?? ""), table.rows.indices.contains(number - 1) else {
            throw AssayError(.invalidInput, "The review names no row of the table.")
        }
        let metric = try form.string("metric").flatMap { $0.isEmpty ? nil : $0 } ?? "overall"
        let thumb = try form.string("thumb")
        let typed = try form.string("value")
        guard let value = Self.humanValue(thumb) ?? Self.humanValue(typed) else {
            throw AssayError(.invalidInput, "Give a score: a number, thumbs up or down, or a label.")
        }
        let reviewer = named.isEmpty ? "web UI" : named
        let key = Self.reviewKey(table, run: run.info.id, row: number - 1)
        let earlier = try await humanReviews(run: run.info.id, file: file, table: table)[number - 1]?.last {
            $0.name == metric && $0.source.id == reviewer
        }
        let comment = try form.string("comment").flatMap { $0.isEmpty ? nil : String($0.prefix(5000)) }
        try await traceStore.logAssessments([
            TraceAssessment(
                // An id of its own, so that another reviewer's score of the row is kept beside this one.
                id: earlier?.id ?? TraceAssessment.newID(), traceID: key, name: metric, data: value, rationale: comment,
                source: TraceAssessment.Source(type: Self.humanSource, id: reviewer), runID: run.info.id,
                metadata: ["assay.run": run.info.id, "assay.row": String(number), "assay.table": file])
        ])
        return Self.redirect(runPath + "/review" + HTML.query([("row", String(next)), ("saved", String(number))] + carried))
    }

    /// `POST /traces/{trace}/review`: a person's score of a trace.
    func saveTraceReview(_ form: RequestFields, traceID: String) async throws -> Response {
        guard let traceStore else { throw AssayError(.invalidInput, "This server's store keeps no assessments.") }
        let id = MLflowAPI.storedTraceID(traceID)
        _ = try await traceStore.trace(id: id)
        let name =
            try form.string("metric").flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : String($0.prefix(200)) }
            ?? "overall"
        guard let value = Self.humanValue(try form.string("value")) else {
            throw AssayError(.invalidInput, "Give a score: a number, thumbs up or down, or a label.")
        }
        let comment = try form.string("comment").flatMap { $0.isEmpty ? nil : String($0.prefix(5000)) }
        let reviewer = try form.string("reviewer").flatMap { $0.isEmpty ? nil : String($0.prefix(100)) } ?? "web UI"
        try await traceStore.logAssessments([
            TraceAssessment(
                traceID: id, name: name, data: value, rationale: comment,
                source: TraceAssessment.Source(type: Self.humanSource, id: reviewer))
        ])
        return Self.redirect("/traces/" + HTML.path([traceID]) + "#as-h")
    }

    /// How far each judge agrees with the people who scored the same rows: pairs, exact agreement,
    /// Cohen's weighted kappa, Spearman, mean absolute difference and the confusion matrix.
    func agreementSection(_ run: Run, base: String, table: EvaluationTable, reviews: [Int: [TraceAssessment]]) async -> [[String: Any]] {
        guard !reviews.isEmpty else { return [] }
        let scales = await judgeScales(run, base: base, table: table)
        return table.scores.compactMap { score -> [String: Any]? in
            guard score.justification != nil || scales[score.name] != nil else { return nil }
            var human: [Double] = [], judge: [Double] = []
            let thumbsFit: Bool = if case .boolean = scales[score.name] { true } else { false }
            for (row, items) in reviews.sorted(by: { $0.key < $1.key }) {
                guard let j = score.values[row], let mine = items.last(where: { $0.name == score.name }), let h = mine.value else {
                    continue
                }
                // Thumbs are not a point on a 1..5 scale.
                if case .bool = mine.data, !thumbsFit { continue }
                human.append(h)
                judge.append(j)
            }
            guard !human.isEmpty else { return nil }
            let scale = scales[score.name] ?? .numbers((min(human.min()!, judge.min()!))...(max(human.max()!, judge.max()!)))
            let report = CalibrationReport(human: human, judge: judge, scale: scale)
            return [
                "name": score.name, "pairs": report.pairs, "agreement": String(format: "%.0f%%", report.exactAgreement * 100),
                "kappa": report.weightedKappa.map { String(format: "%.3f", $0) } ?? "—",
                "spearman": report.spearman.map { String(format: "%.3f", $0) } ?? "—", "mae": HTML.number(report.meanAbsoluteError),
                "levels": report.levels.map { ["level": $0] },
                "matrix": zip(report.levels, report.confusion).map { level, counts in ["level": level, "counts": counts.map { ["n": $0] }]
                },
            ]
        }
    }
}
