import Foundation

/// What the engine keeps of one evaluated row until the table is read.
struct StoredRow {
    /// The dataset row's values, laid out by the dataset's columns (a prefix of the final column list).
    var values: [DataValue]
    var prediction: DataValue
    var error: String?
    /// Score and justification per per-row metric, in plan order.
    var cells: [RowScore]

    func encoded(into writer: inout JSONWriter) {
        var cellValues: [DataValue] = []
        cellValues.reserveCapacity(cells.count * 2)
        for cell in cells {
            cellValues.append(cell.value.map(DataValue.double) ?? .null)
            cellValues.append(cell.justification.map(DataValue.string) ?? .null)
        }
        writer.write(.list([.list(values), prediction, error.map(DataValue.string) ?? .null, .list(cellValues)]))
    }

    init(values: [DataValue], prediction: DataValue, error: String?, cells: [RowScore]) {
        self.values = values
        self.prediction = prediction
        self.error = error
        self.cells = cells
    }

    init?(decoding value: DataValue) {
        guard case .list(let parts) = value, parts.count == 4, case .list(let values) = parts[0],
            case .list(let cellValues) = parts[3]
        else { return nil }
        self.values = values
        self.prediction = parts[1]
        self.error = parts[2].stringValue
        var cells: [RowScore] = []
        var i = 0
        while i + 1 < cellValues.count {
            cells.append(RowScore(cellValues[i].doubleValue, justification: cellValues[i + 1].stringValue))
            i += 2
        }
        self.cells = cells
    }
}

/// Evaluated rows in order: in memory while few, then in a temporary file, so memory stays bounded
/// however long the dataset is. The file is removed when the store goes away.
final class RowStore: @unchecked Sendable {
    static let memoryLimit = 10_000

    private var memory: [StoredRow] = []
    private var spill: (url: URL, handle: FileHandle)?
    private var writer = JSONWriter()
    private(set) var count = 0

    func append(_ row: StoredRow) throws {
        count += 1
        if spill == nil && memory.count < Self.memoryLimit {
            memory.append(row)
            return
        }
        if spill == nil { try startSpilling() }
        row.encoded(into: &writer)
        writer.append(raw: "\n")
        if writer.output.utf8.count > 1 << 20 { try flush() }
    }

    private func startSpilling() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("assay-rows-\(UUID().uuidString).jsonl")
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
            let handle = FileHandle(forWritingAtPath: url.path)
        else { throw AssayError.internal("cannot create a temporary file in \(url.deletingLastPathComponent().path)") }
        spill = (url, handle)
        for row in memory {
            row.encoded(into: &writer)
            writer.append(raw: "\n")
        }
        memory = []
        try flush()
    }

    private func flush() throws {
        guard let spill else { return }
        try spill.handle.write(contentsOf: Data(writer.take().utf8))
    }

    /// Finishes writing; call once all rows are appended.
    func seal() throws {
        try flush()
        try spill?.handle.close()
    }

    /// Calls `body` with each row in order until it returns false.
    func forEach(_ body: (StoredRow) throws -> Bool) throws {
        guard let spill else {
            for row in memory where try !body(row) { return }
            return
        }
        let reader = try ByteReader(path: spill.url.path)
        var line: [UInt8] = []
        while reader.readLine(into: &line) {
            let value = try line.withUnsafeBufferPointer { buffer in try JSONParser.parse(buffer) }
            guard let row = StoredRow(decoding: value) else {
                throw AssayError.internal("the temporary row file \(spill.url.path) is damaged")
            }
            if try !body(row) { return }
        }
    }

    deinit {
        if let spill {
            try? spill.handle.close()
            try? FileManager.default.removeItem(at: spill.url)
        }
    }
}

/// Per-row scores of one metric, compactly: NaN marks a row without a score.
struct ScoreColumn {
    var values: [Double] = []
    var hasNull = false
    var hasJustification = false

    mutating func append(_ score: RowScore) {
        if let v = score.value, !v.isNaN {
            values.append(v)
        } else {
            values.append(.nan)
            hasNull = true
        }
        if score.justification != nil { hasJustification = true }
    }

    /// The scores that exist.
    var present: [Double] { values.filter { !$0.isNaN } }

    var optionals: [Double?] { values.map { $0.isNaN ? nil : $0 } }
}
