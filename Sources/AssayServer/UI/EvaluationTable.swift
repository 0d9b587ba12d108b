import Assay
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A run's evaluation table (`eval_results_table.json`, split orientation) read once and kept, with
/// what the pages need to filter and page through it quickly: the role of each column, each row's
/// text lowercased for search, and every score column's values.
final class EvaluationTable: Sendable {
    /// The table as logged, with its column roles and score columns.
    let logged: LoggedTable
    /// Every row's cells as lowercased UTF-8, one after another, and where each row starts: text
    /// search is one byte scan over the whole table.
    let searchBytes: [UInt8]
    let rowStarts: [Int]
    /// Per row, the key that pairs it with the same row of another run's table (its input, sample and
    /// which repeat of those it is), and the row of each key.
    let alignmentKeys: [String]
    let rowByAlignmentKey: [String: Int]

    typealias Score = LoggedTable.Scores

    var columns: [String] { logged.columns }
    var rows: [[DataValue]] { logged.rows }
    var inputColumn: Int? { logged.inputColumn }
    var targetColumn: Int? { logged.targetColumn }
    var outputColumn: Int? { logged.outputColumn }
    var errorColumn: Int? { logged.errorColumn }
    var scores: [Score] { logged.scores }

    convenience init(columns: [String], rows: [[DataValue]]) {
        self.init(LoggedTable(columns: columns, rows: rows))
    }

    init(_ logged: LoggedTable) {
        self.logged = logged
        var bytes: [UInt8] = []
        var starts: [Int] = []
        starts.reserveCapacity(logged.rows.count)
        for row in logged.rows {
            starts.append(bytes.count)
            for cell in row {
                bytes += cell.text.lowercased().utf8
                bytes.append(0x1F)
            }
        }
        searchBytes = bytes
        rowStarts = starts
        let keys = (try? logged.pairingKeys().keys) ?? logged.rows.indices.map(String.init)
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
    static func load(_ data: Data, file: String) throws(AssayError) -> EvaluationTable {
        EvaluationTable(try LoggedTable(json: data, file: ArtifactPath.name(file)))
    }

    /// Whether row `i` has a row error, or an unreadable judge answer (no score but a justification).
    func problems(_ i: Int) -> (error: Bool, invalid: [String]) {
        logged.problems(i)
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

/// The few most recently used tables, keyed by file and its stamp (modification time or ETag, and
/// size), so paging through a 100,000-row table parses it once; a changed file is read again.
actor EvaluationTableCache {
    private var entries: [(key: String, table: EvaluationTable)] = []
    private let capacity: Int

    init(capacity: Int = 4) {
        self.capacity = capacity
    }

    /// The largest table file read.
    static let maxBytes = 2 << 30

    func table(_ path: String, in artifacts: any ArtifactStore) async throws -> EvaluationTable {
        let key = path + "@" + (try await artifacts.stamp(path))
        if let index = entries.firstIndex(where: { $0.key == key }) {
            let entry = entries.remove(at: index)
            entries.append(entry)
            return entry.table
        }
        let table = try EvaluationTable.load(try await artifacts.read(path, maxBytes: Self.maxBytes), file: path)
        entries.removeAll { $0.key.hasPrefix(path + "@") }
        entries.append((key, table))
        if entries.count > capacity { entries.removeFirst() }
        return table
    }
}

/// The few most recent run comparisons of the compare page, keyed by the runs and their tables, so
/// that paging through the rows resamples once.
actor ComparisonCache {
    private var entries: [(key: String, comparison: RunComparison)] = []
    private let capacity = 8

    func get(_ key: String) -> RunComparison? {
        entries.first { $0.key == key }?.comparison
    }

    func put(_ key: String, _ comparison: RunComparison) {
        entries.removeAll { $0.key == key }
        entries.append((key, comparison))
        if entries.count > capacity { entries.removeFirst() }
    }
}
