import Assay
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A run's evaluation table (`eval_results_table.json`, split orientation) read once and kept, with
/// what the pages need to filter and page through it quickly: the role of each column, each row's
/// text lowercased for search, and every score column's values.
final class EvaluationTable: Sendable {
    let columns: [String]
    let rows: [[DataValue]]
    let inputColumn: Int?
    let targetColumn: Int?
    let outputColumn: Int?
    let errorColumn: Int?
    /// `<metric>/score` columns, with the metric's name and its justification column.
    let scores: [Score]
    /// Every row's cells as lowercased UTF-8, one after another, and where each row starts: text
    /// search is one byte scan over the whole table.
    let searchBytes: [UInt8]
    let rowStarts: [Int]
    /// Per row, the key that pairs it with the same row of another run's table: its input, and which
    /// repeat of that input it is.
    let alignmentKeys: [String]
    let rowByAlignmentKey: [String: Int]

    struct Score: Sendable {
        let name: String
        let column: Int
        let justification: Int?
        let values: [Double?]
    }

    init(columns: [String], rows: [[DataValue]]) {
        self.columns = columns
        self.rows = rows
        func find(_ names: [String]) -> Int? { names.lazy.compactMap { columns.firstIndex(of: $0) }.first }
        inputColumn = find(["inputs", "input", "question", "request", "prompt"]) ?? (columns.isEmpty ? nil : 0)
        targetColumn = find(["ground_truth", "targets", "target", "expected_response"])
        outputColumn = find(["outputs", "predictions", "prediction", "output", "response"])
        errorColumn = find(["error"])
        scores = columns.enumerated().compactMap { index, name in
            guard name.hasSuffix("/score") else { return nil }
            let metric = String(name.dropLast("/score".count))
            return Score(
                name: metric, column: index, justification: columns.firstIndex(of: metric + "/justification"),
                values: rows.map { $0.indices.contains(index) ? $0[index].doubleValue : nil })
        }
        var bytes: [UInt8] = []
        var starts: [Int] = []
        starts.reserveCapacity(rows.count)
        for row in rows {
            starts.append(bytes.count)
            for cell in row {
                bytes += cell.text.lowercased().utf8
                bytes.append(0x1F)
            }
        }
        searchBytes = bytes
        rowStarts = starts
        var seen: [String: Int] = [:]
        var keys: [String] = []
        keys.reserveCapacity(rows.count)
        for (i, row) in rows.enumerated() {
            let input = inputColumn.map { row[$0].text } ?? String(i)
            let n = seen[input, default: 0]
            seen[input] = n + 1
            keys.append("\(n)\u{1F}\(input)")
        }
        alignmentKeys = keys
        rowByAlignmentKey = Dictionary(keys.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The rows whose text contains `needle` (already lowercased), by scanning the table's bytes once.
    func rowsContaining(_ needle: String) -> [Int] {
        let pattern = Array(needle.utf8)
        guard !pattern.isEmpty else { return Array(rows.indices) }
        var found: [Int] = []
        searchBytes.withUnsafeBytes { haystack in
            pattern.withUnsafeBytes { needle in
                guard let base = haystack.baseAddress, let first = needle.first, haystack.count >= needle.count else { return }
                var offset = 0
                while offset + needle.count <= haystack.count,
                    let candidate = memchr(base + offset, Int32(first), haystack.count - needle.count - offset + 1)
                {
                    let position = base.distance(to: UnsafeRawPointer(candidate))
                    guard memcmp(candidate, needle.baseAddress!, needle.count) == 0 else {
                        offset = position + 1
                        continue
                    }
                    // The row holding the hit: the last start at or before it.
                    var (low, high) = (0, rowStarts.count - 1)
                    while low < high {
                        let middle = (low + high + 1) / 2
                        if rowStarts[middle] <= position { low = middle } else { high = middle - 1 }
                    }
                    found.append(low)
                    offset = low + 1 < rowStarts.count ? rowStarts[low + 1] : haystack.count
                }
            }
        }
        return found
    }

    /// Reads a split-orientation table; anything else is an `invalidInput` error naming the file.
    static func load(_ path: String) throws(AssayError) -> EvaluationTable {
        guard let data = FileManager.default.contents(atPath: path) else { throw AssayError(.notFound, "no table at \(path)") }
        let value = try DataValue(json: String(decoding: data, as: UTF8.self))
        guard case .object(let fields) = value, case .list(let names)? = fields["columns"], case .list(let data)? = fields["data"] else {
            throw .invalidInput("\((path as NSString).lastPathComponent) is not a table (expected {\"columns\": [...], \"data\": [[...]]})")
        }
        let columns = names.map(\.text)
        let rows = data.map { row -> [DataValue] in
            var cells = row.listValue ?? []
            if cells.count < columns.count { cells += [DataValue](repeating: .null, count: columns.count - cells.count) }
            return cells
        }
        return EvaluationTable(columns: columns, rows: rows)
    }

    /// Whether row `i` has a row error, or an unreadable judge answer (no score but a justification).
    func problems(_ i: Int) -> (error: Bool, invalid: [String]) {
        let error = errorColumn.map { !rows[i][$0].text.isEmpty } ?? false
        let invalid = scores.filter { score in
            score.values[i] == nil && score.justification.map { !rows[i][$0].text.isEmpty } == true
        }.map(\.name)
        return (error, invalid)
    }

    /// The rows passing a text search and a score range, in table order.
    func filter(text: String, metric: String?, minimum: Double?, maximum: Double?) -> [Int] {
        let score = metric.flatMap { name in scores.first { $0.name == name } }
        var matches: [Int] = []
        for i in rowsContaining(text.lowercased()) {
            if let score, minimum != nil || maximum != nil {
                guard let v = score.values[i] else { continue }
                if let minimum, v < minimum { continue }
                if let maximum, v > maximum { continue }
            }
            matches.append(i)
        }
        return matches
    }
}

/// The few most recently used tables, keyed by file and modification, so paging through a 100,000-row
/// table parses it once.
actor EvaluationTableCache {
    private var entries: [(key: String, table: EvaluationTable)] = []
    private let capacity: Int

    init(capacity: Int = 4) {
        self.capacity = capacity
    }

    func table(at path: String) throws(AssayError) -> EvaluationTable {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let stamp =
            "\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)-\((attributes?[.size] as? NSNumber)?.intValue ?? 0)"
        let key = path + "@" + stamp
        if let index = entries.firstIndex(where: { $0.key == key }) {
            let entry = entries.remove(at: index)
            entries.append(entry)
            return entry.table
        }
        let table = try EvaluationTable.load(path)
        entries.removeAll { $0.key.hasPrefix(path + "@") }
        entries.append((key, table))
        if entries.count > capacity { entries.removeFirst() }
        return table
    }
}
