import Assay
import Foundation

/// What a reader asked of an evaluation table, from the page's query: a text search, a score range,
/// an order and the columns to show. The page, its CSV and JSON exports and the review queue read the
/// same rows through it, so an export holds exactly the rows the page lists.
struct TableView {
    var text = ""
    var metric: String?
    var minimumText = ""
    var maximumText = ""
    /// A column name to order by, and whether largest first.
    var sort: String?
    var descending = false
    /// The columns chosen, in order; nil for the table's own.
    var chosen: [String]?
    /// What the reader wrote that cannot be used, said on the page.
    var warnings: [String] = []

    init(_ query: RequestFields) throws {
        text = try query.string("q") ?? ""
        metric = try query.string("metric").flatMap { $0.isEmpty ? nil : $0 }
        minimumText = try query.string("min") ?? ""
        maximumText = try query.string("max") ?? ""
        sort = try query.string("sort").flatMap { $0.isEmpty ? nil : $0 }
        descending = try query.string("dir") == "desc"
        let cols = try query.strings("cols").flatMap { $0.split(separator: ",").map(String.init) }.filter { !$0.isEmpty }
        if !cols.isEmpty { chosen = cols }
    }

    var minimum: Double? { bound(minimumText) }
    var maximum: Double? { bound(maximumText) }

    private func bound(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, let value = Double(trimmed), !value.isNaN else { return nil }
        return value
    }

    /// Says which bounds are not numbers (a range bound that is not a number is ignored, and said so).
    mutating func checkBounds() {
        for (text, name) in [(minimumText, "lower end"), (maximumText, "upper end")] {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty, bound(trimmed) == nil {
                warnings.append("The range's \(name) '\(text)' is not a number, so the range ignores it.")
            }
        }
    }

    /// The matching rows, in the order asked for (a score column numerically with missing scores last,
    /// any other column by its text; ties keep the table's order).
    func rows(of table: EvaluationTable) -> [Int] {
        let matches = table.filter(text: text, metric: metric, minimum: minimum, maximum: maximum)
        guard let sort, let column = table.columns.firstIndex(of: sort) else { return matches }
        if let score = table.scores.first(where: { $0.column == column }) {
            return matches.enumerated().sorted { a, b in
                switch (score.values[a.element], score.values[b.element]) {
                case (let x?, let y?) where x != y: return descending ? x > y : x < y
                case (nil, _?): return false
                case (_?, nil): return true
                default: return a.offset < b.offset
                }
            }.map(\.element)
        }
        let texts = matches.map { table.rows[$0][column].text }
        return matches.indices.sorted { a, b in
            let (x, y) = (texts[a], texts[b])
            if x == y { return a < b }
            return descending ? x > y : x < y
        }.map { matches[$0] }
    }

    /// The columns shown, in order: those chosen (unknown names ignored), else the table's own without
    /// the judges' justification columns (shown inside their score); a score being filtered or sorted
    /// on moves next to the input so it is on screen.
    func columns(of table: EvaluationTable) -> [Int] {
        let justifications = Set(table.scores.compactMap(\.justification))
        var shown: [Int]
        if let chosen {
            var seen = Set<Int>()
            shown = chosen.compactMap { table.columns.firstIndex(of: $0) }.filter { seen.insert($0).inserted }
            if shown.isEmpty { shown = table.columns.indices.filter { !justifications.contains($0) } }
        } else {
            shown = table.columns.indices.filter { !justifications.contains($0) }
        }
        let focused = [
            metric.flatMap { name in table.scores.first { $0.name == name }?.column }, sort.flatMap { table.columns.firstIndex(of: $0) },
        ]
        .compactMap { $0 }.filter { column in table.scores.contains { $0.column == column } }
        for column in focused.reversed() where shown.contains(column) {
            shown.removeAll { $0 == column }
            let after = table.inputColumn.flatMap { shown.firstIndex(of: $0) }.map { $0 + 1 } ?? 0
            shown.insert(column, at: min(after, shown.count))
        }
        return shown
    }

    /// The query that asks for this view again (page, format and other extras appended by the caller).
    func pairs(table: String) -> [(String, String)] {
        [
            ("table", table), ("q", text), ("metric", metric ?? ""), ("min", minimumText), ("max", maximumText), ("sort", sort ?? ""),
            ("dir", descending ? "desc" : ""), ("cols", chosen?.joined(separator: ",") ?? ""),
        ]
    }
}

extension EvaluationTable {
    /// The rows as CSV (RFC 4180: quoted when needed, CRLF line ends), the header first.
    static func csv(columns: [String], rows: [[String]]) -> String {
        func field(_ text: String) -> String {
            text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        return ([columns] + rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// A cell as CSV text: strings as they are, numbers and other values as JSON.
    static func csvText(_ cell: DataValue) -> String {
        switch cell {
        case .null: ""
        case .string(let s): s
        default: cell.description
        }
    }
}
