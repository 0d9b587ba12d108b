public import Foundation

/// A run's per-row results as logged (`eval_results_table.json`, split orientation): its columns and
/// rows, which columns hold the inputs, targets, outputs, errors and samples, and every metric's
/// per-row scores (`<metric>/score` columns, and bare columns named after a built-in metric such as
/// `token_count`).
///
/// ```swift
/// let table = try LoggedTable(json: try await artifacts.read("eval_results_table.json", of: run.info),
///                             file: "eval_results_table.json")
/// table.scores.map(\.name)   // ["flesch_kincaid_grade_level/v1", "rouge1/v1", "token_count"]
/// ```
public struct LoggedTable: Sendable {
    public let columns: [String]
    public let rows: [[DataValue]]
    public let inputColumn: Int?
    public let targetColumn: Int?
    public let outputColumn: Int?
    public let errorColumn: Int?
    /// The sample number of a row when the model answered each row several times (`--repeat`).
    public let sampleColumn: Int?
    public let scores: [Scores]

    /// One metric's per-row scores.
    public struct Scores: Sendable {
        /// The metric's key without an aggregation: `rouge1/v1`, `answer_correctness/v1`, `token_count`.
        public let name: String
        /// The table column holding them, or nil when they were derived (as `exact_match/v1` is).
        public let column: Int?
        /// The column of the judge's justifications, if any.
        public let justification: Int?
        public let values: [Double?]

        public init(name: String, column: Int?, justification: Int?, values: [Double?]) {
            self.name = name
            self.column = column
            self.justification = justification
            self.values = values
        }
    }

    public init(columns: [String], rows: [[DataValue]]) {
        self.columns = columns
        self.rows = rows
        func find(_ names: [String]) -> Int? { names.lazy.compactMap { columns.firstIndex(of: $0) }.first }
        inputColumn = find(["inputs", "input", "question", "request", "prompt", "messages"]) ?? (columns.isEmpty ? nil : 0)
        targetColumn = find(["ground_truth", "targets", "target", "expected_response"])
        errorColumn = find(["error"])
        sampleColumn = find(["sample"])
        let scores: [Scores] = columns.enumerated().compactMap { index, name in
            let metric: String
            if name.hasSuffix("/score") {
                metric = String(name.dropLast("/score".count))
            } else if !name.contains("/"), (try? Metric.named(name))?.info.column == .bare {
                metric = name
            } else {
                return nil
            }
            return Scores(
                name: metric, column: index, justification: columns.firstIndex(of: metric + "/justification"),
                values: rows.map { $0.indices.contains(index) ? $0[index].doubleValue : nil })
        }
        self.scores = scores
        // A static evaluation keeps its predictions column's own name (`retrieved`): else the first column
        // that is no input, target, score, justification or bookkeeping.
        let taken = Set([inputColumn, targetColumn, errorColumn, sampleColumn].compactMap { $0 } + scores.compactMap(\.column))
        outputColumn =
            find(["outputs", "predictions", "prediction", "output", "response"])
            ?? columns.indices.first { index in
                !taken.contains(index) && !columns[index].contains("/") && !["latency", "token_count", "trace_id"].contains(columns[index])
            }
    }

    /// Reads a split-orientation table (`{"columns": [...], "data": [[...]]}`); `file` names it in errors.
    public init(json data: Data, file: String) throws(AssayError) {
        let value = try DataValue(json: String(decoding: data, as: UTF8.self))
        guard case .object(let fields) = value, case .list(let names)? = fields["columns"], case .list(let data)? = fields["data"] else {
            throw .invalidInput("\(file) is not a table (expected {\"columns\": [...], \"data\": [[...]]})")
        }
        let columns = names.map(\.text)
        let rows = data.map { row -> [DataValue] in
            var cells = row.listValue ?? []
            if cells.count < columns.count { cells += [DataValue](repeating: .null, count: columns.count - cells.count) }
            return cells
        }
        self.init(columns: columns, rows: rows)
    }

    /// The same table with one more metric's scores (derived from other columns).
    public func adding(_ extra: Scores) -> LoggedTable {
        LoggedTable(self, scores: scores + [extra])
    }

    private init(_ table: LoggedTable, scores: [Scores]) {
        columns = table.columns
        rows = table.rows
        inputColumn = table.inputColumn
        targetColumn = table.targetColumn
        outputColumn = table.outputColumn
        errorColumn = table.errorColumn
        sampleColumn = table.sampleColumn
        self.scores = scores
    }

    /// Whether row `i` has a row error (a failed model call).
    public func hasError(_ i: Int) -> Bool {
        errorColumn.map { !rows[i][$0].text.isEmpty } ?? false
    }

    /// Whether a metric's score of row `i` is an unreadable judge answer: no score, but a justification.
    public func isInvalid(_ scores: Scores, _ i: Int) -> Bool {
        scores.values[i] == nil && scores.justification.map { !rows[i][$0].text.isEmpty } == true
    }

    /// Whether row `i` has a row error, and the metrics whose judge answer was unreadable.
    public func problems(_ i: Int) -> (error: Bool, invalid: [String]) {
        (hasError(i), scores.filter { isInvalid($0, i) }.map(\.name))
    }

    /// Per row, the key that pairs it with the same row of another run's table: the text of the key
    /// columns (the inputs column by default), the sample number, and which repeat of those it is.
    /// Also the row's group: the same key without the sample and repeat, so that a row's samples are
    /// resampled together. `columns` that the table lacks are an `invalidInput` error.
    public func pairingKeys(columns keyColumns: [String]? = nil) throws(AssayError) -> (keys: [String], groups: [String]) {
        var positions: [Int] = []
        if let keyColumns, !keyColumns.isEmpty {
            for name in keyColumns {
                guard let position = columns.firstIndex(of: name) else {
                    throw .invalidInput(
                        "key column '\(name)' is not in the table; its columns are: \(columns.map { "'\($0)'" }.joined(separator: ", "))")
                }
                positions.append(position)
            }
        } else if let inputColumn {
            positions = [inputColumn]
        }
        var seen: [String: Int] = [:]
        var keys: [String] = []
        var groups: [String] = []
        keys.reserveCapacity(rows.count)
        groups.reserveCapacity(rows.count)
        for (i, row) in rows.enumerated() {
            let group = positions.isEmpty ? String(i) : positions.map { Self.keyText(row[$0]) }.joined(separator: "\u{1F}")
            let sample = sampleColumn.map { row[$0].text } ?? ""
            let base = group + "\u{1E}" + sample
            let n = seen[base, default: 0]
            seen[base] = n + 1
            keys.append(base + "\u{1E}\(n)")
            groups.append(group)
        }
        return (keys, groups)
    }

    /// A cell's text as a pairing key; a conversation pairs by its first user message.
    public static func keyText(_ value: DataValue) -> String {
        if case .list(let items) = value, items.first?.member("role") != nil,
            let first = items.first(where: { $0.member("role")?.stringValue == "user" })
        {
            return first.member("content")?.text ?? ""
        }
        return value.text
    }
}
