import Foundation
import Synchronization

/// A table of results: named columns and rows of cells, such as `eval_results_table` (one row per
/// dataset row: inputs, targets, outputs and each metric's score).
///
/// Large tables live in a temporary file rather than in memory; read them with ``forEachRow(_:)`` or
/// ``rows(limit:)``, or write them with ``write(to:)``.
public struct ResultTable: Sendable {
    /// Column names, in order.
    public let columns: [String]
    /// The number of rows.
    public let rowCount: Int
    /// Columns whose integers are written as floats because the column has nulls (pandas' rule).
    let floatColumns: Set<Int>
    let source: @Sendable (_ body: ([DataValue]) throws -> Bool) throws -> Void

    /// A table held in memory.
    public init(columns: [String], rows: [[DataValue]]) {
        self.columns = columns
        self.rowCount = rows.count
        self.floatColumns = ResultTable.nullableNumericColumns(columns.count, rows)
        self.source = { body in
            for row in rows where try !body(row) { return }
        }
    }

    init(
        columns: [String], rowCount: Int, floatColumns: Set<Int>,
        source: @escaping @Sendable (_ body: ([DataValue]) throws -> Bool) throws -> Void
    ) {
        self.columns = columns
        self.rowCount = rowCount
        self.floatColumns = floatColumns
        self.source = source
    }

    /// Calls `body` with each row in order.
    public func forEachRow(_ body: ([DataValue]) throws -> Void) throws {
        try source { row in
            try body(row)
            return true
        }
    }

    /// The first `limit` rows (all rows when nil).
    public func rows(limit: Int? = nil) throws -> [[DataValue]] {
        var rows: [[DataValue]] = []
        try source { row in
            rows.append(row)
            return limit.map { rows.count < $0 } ?? true
        }
        return rows
    }

    /// The values of one column, or nil when the table has no such column.
    public func column(_ name: String) throws -> [DataValue]? {
        guard let i = columns.firstIndex(of: name) else { return nil }
        var values: [DataValue] = []
        try forEachRow { values.append($0[i]) }
        return values
    }

    /// Writes the table as MLflow writes `eval_results_table.json`: split orientation,
    /// `{"columns": [...], "data": [[...], ...]}`, floats with at most 10 decimals.
    public func write(to path: String) throws {
        try FileSink.write(to: path) { emit in try encode(emit) }
    }

    /// The table in split-orientation JSON, as `write(to:)` writes it.
    public func jsonString() throws -> String {
        var text = ""
        try encode { text += $0 }
        return text
    }

    /// Encodes the table as split-orientation JSON, handing out the text in pieces.
    ///
    /// Rows are gathered in batches and each batch is encoded on a core of its own while the next rows
    /// are gathered; the text comes out in row order, and at most a few batches are held at once.
    func encode(_ emit: (String) throws -> Void) throws {
        var writer = JSONWriter(dialect: .mlflowTable)
        writer.append(raw: "{\"columns\":")
        writer.write(.list(columns.map(DataValue.string)))
        writer.append(raw: ",\"data\":[")
        var pending: [EncodingBatch] = []
        var rows: [[DataValue]] = []
        var first = true
        func append(_ text: String) throws {
            if text.isEmpty { return }
            if !first { writer.append(raw: ",") }
            first = false
            writer.append(raw: text)
            if writer.output.utf8.count > 1 << 20 { try emit(writer.take()) }
        }
        func drain(keeping limit: Int) throws {
            while pending.count > limit { try append(pending.removeFirst().text()) }
        }
        try forEachRow { row in
            rows.append(row)
            guard rows.count == Self.batchRows else { return }
            pending.append(EncodingBatch(rows, of: self))
            rows.removeAll(keepingCapacity: true)
            try drain(keeping: Self.batchesInFlight)
        }
        try drain(keeping: 0)
        try append(encode(rows))
        writer.append(raw: "]}")
        try emit(writer.take())
    }

    /// Rows per batch encoded at once, and batches encoded while more rows are gathered.
    static let batchRows = 1024
    static let batchesInFlight = 2 * ProcessInfo.processInfo.activeProcessorCount

    /// `rows` as the comma-separated JSON arrays of the table's `data`.
    func encode(_ rows: [[DataValue]]) -> String {
        var writer = JSONWriter(dialect: .mlflowTable)
        for (i, row) in rows.enumerated() {
            if i > 0 { writer.append(raw: ",") }
            writeRow(row, to: &writer)
        }
        return writer.output
    }

    func writeRow(_ row: [DataValue], to writer: inout JSONWriter) {
        writer.append(raw: "[")
        for (i, cell) in row.enumerated() {
            if i > 0 { writer.append(raw: ",") }
            if floatColumns.contains(i), case .int(let v) = cell {
                writer.writeNumber(Double(v))
            } else {
                writer.write(cell)
            }
        }
        writer.append(raw: "]")
    }

    static func nullableNumericColumns(_ count: Int, _ rows: [[DataValue]]) -> Set<Int> {
        var result = Set<Int>()
        for i in 0..<count {
            var hasNull = false
            var numeric = true
            for row in rows {
                let cell = i < row.count ? row[i] : .null
                switch cell {
                case .null: hasNull = true
                case .int, .double: break
                default: numeric = false
                }
            }
            if hasNull && numeric { result.insert(i) }
        }
        return result
    }
}

/// One batch of a table's rows, encoded on a global dispatch queue; `text()` waits for it.
private final class EncodingBatch: Sendable {
    private let result = Mutex<String?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(_ rows: [[DataValue]], of table: ResultTable) {
        DispatchQueue.global().async {
            let text = table.encode(rows)
            self.result.withLock { $0 = text }
            self.done.signal()
        }
    }

    func text() -> String {
        done.wait()
        return result.withLock { $0 ?? "" }
    }
}
