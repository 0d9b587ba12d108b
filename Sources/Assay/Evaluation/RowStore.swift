import Foundation

/// What the engine keeps of one evaluated row until the table is read.
struct StoredRow {
    /// The dataset row's values, laid out by the dataset's columns (a prefix of the final column list).
    var values: [DataValue]
    var prediction: DataValue
    var error: String?
    /// Score and justification per per-row metric, in plan order.
    var cells: [RowScore]
    /// The model call's details (empty for static evaluations).
    var cached = false
    var usage: TokenUsage?
    var cost: Double?
    var sample = 0
    /// The model's further outputs, in the order of its `outputColumns`.
    var otherOutputs: [DataValue] = []

    /// Roughly the bytes the row takes in memory: its text plus a word or two per value.
    var estimatedSize: Int {
        var size = 64 + values.reduce(0) { $0 + $1.estimatedSize } + prediction.estimatedSize + (error?.utf8.count ?? 0)
        for cell in cells { size += 32 + (cell.justification?.utf8.count ?? 0) }
        return otherOutputs.reduce(size) { $0 + $1.estimatedSize }
    }

    /// Appends the row's binary form to `out`.
    func encode(into out: inout [UInt8]) {
        BinaryCoder.encode(.list(values), into: &out)
        BinaryCoder.encode(prediction, into: &out)
        BinaryCoder.encode(error.map(DataValue.string) ?? .null, into: &out)
        BinaryCoder.encode(.bool(cached), into: &out)
        BinaryCoder.encode(usage.map { .list([.int($0.promptTokens), .int($0.completionTokens)]) } ?? .null, into: &out)
        BinaryCoder.append((cost ?? .nan).bitPattern, to: &out)
        BinaryCoder.append(UInt64(sample), to: &out)
        BinaryCoder.encode(.list(otherOutputs), into: &out)
        BinaryCoder.append(UInt64(cells.count), to: &out)
        for cell in cells {
            BinaryCoder.append((cell.value ?? .nan).bitPattern, to: &out)
            BinaryCoder.encode(cell.justification.map(DataValue.string) ?? .null, into: &out)
        }
    }

    init(values: [DataValue], prediction: DataValue, error: String?, cells: [RowScore]) {
        self.values = values
        self.prediction = prediction
        self.error = error
        self.cells = cells
    }

    init(row: DataRow, answer: EvaluationEngine.Answer, cells: [RowScore]) {
        self.init(values: row.values, prediction: answer.output, error: answer.error, cells: cells)
        cached = answer.cached
        usage = answer.usage
        cost = answer.cost
        sample = row.sample
        otherOutputs = answer.otherOutputs
    }

    init(reading reader: inout BinaryCoder.Reader) {
        values = reader.value().listValue ?? []
        prediction = reader.value()
        error = reader.value().stringValue
        cached = reader.value() == .bool(true)
        if case .list(let tokens) = reader.value(), tokens.count == 2, case .int(let p) = tokens[0], case .int(let c) = tokens[1] {
            usage = TokenUsage(promptTokens: p, completionTokens: c)
        }
        let costValue = Double(bitPattern: reader.word())
        cost = costValue.isNaN ? nil : costValue
        sample = Int(reader.word())
        otherOutputs = reader.value().listValue ?? []
        let count = Int(reader.word())
        var cells: [RowScore] = []
        cells.reserveCapacity(count)
        for _ in 0..<count {
            let value = Double(bitPattern: reader.word())
            cells.append(RowScore(value.isNaN ? nil : value, justification: reader.value().stringValue))
        }
        self.cells = cells
    }
}

/// Evaluated rows in order: in memory while they are small in total, then in a temporary file, so
/// memory stays bounded however long the dataset is. The file is removed when the store goes away.
final class RowStore: @unchecked Sendable {
    /// About how many bytes of rows stay in memory before every row goes to the file: a typical
    /// dataset of tens of thousands of rows never touches the disk, a million rows do.
    static let defaultMemoryBudget = 16 << 20

    let memoryBudget: Int
    private var memoryBytes = 0

    init(memoryBudget: Int = RowStore.defaultMemoryBudget) {
        self.memoryBudget = memoryBudget
    }

    // Every stored field is used only while `lock` is held (the engine appends from one task, and
    // reads once all rows are in, but nothing else enforces that).
    private let lock = NSLock()

    private var memory: [StoredRow] = []
    private var spill: (url: URL, handle: FileHandle)?
    private var buffer: [UInt8] = []
    private(set) var count = 0

    /// Whether rows have gone to the temporary file.
    var isSpilling: Bool {
        lock.lock()
        defer { lock.unlock() }
        return spill != nil
    }

    func append(_ row: StoredRow) throws {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        if spill == nil {
            memoryBytes += row.estimatedSize
            if memoryBytes <= memoryBudget {
                memory.append(row)
                return
            }
        }
        if spill == nil { try startSpilling() }
        appendRecord(row)
        if buffer.count > 1 << 20 { try flush() }
    }

    private func startSpilling() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("assay-rows-\(UUID().uuidString).jsonl")
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
            let handle = FileHandle(forWritingAtPath: url.path)
        else { throw AssayError.internal("cannot create a temporary file in \(url.deletingLastPathComponent().path)") }
        spill = (url, handle)
        for row in memory { appendRecord(row) }
        memory = []
        memoryBytes = 0
        try flush()
    }

    /// Appends a row as a length-prefixed record.
    private func appendRecord(_ row: StoredRow) {
        let start = buffer.count
        BinaryCoder.append(0, to: &buffer)
        row.encode(into: &buffer)
        let length = UInt64(buffer.count - start - 8).littleEndian
        withUnsafeBytes(of: length) { for k in 0..<8 { buffer[start + k] = $0[k] } }
    }

    private func flush() throws {
        guard let spill else { return }
        try spill.handle.write(contentsOf: Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    /// Finishes writing; call once all rows are appended.
    func seal() throws {
        lock.lock()
        defer { lock.unlock() }
        try flush()
        try spill?.handle.close()
    }

    /// Calls `body` with each row in order until it returns false.
    func forEach(_ body: (StoredRow) throws -> Bool) throws {
        lock.lock()
        defer { lock.unlock() }
        guard let spill else {
            for row in memory where try !body(row) { return }
            return
        }
        let reader = try ByteReader(path: spill.url.path)
        var header: [UInt8] = []
        var record: [UInt8] = []
        while reader.read(8, into: &header) {
            let length = header.withUnsafeBufferPointer { b in
                var r = BinaryCoder.Reader(bytes: b)
                return Int(r.word())
            }
            guard reader.read(length, into: &record) else {
                throw AssayError.internal("the temporary row file \(spill.url.path) is cut short")
            }
            let row = record.withUnsafeBufferPointer { b in
                var r = BinaryCoder.Reader(bytes: b)
                return StoredRow(reading: &r)
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

extension DataValue {
    /// Roughly the bytes the value takes in memory.
    fileprivate var estimatedSize: Int {
        switch self {
        case .null, .bool, .int, .double: 16
        case .string(let text): 16 + text.utf8.count
        case .list(let items): items.reduce(32) { $0 + $1.estimatedSize }
        case .object(let members): members.reduce(64) { $0 + 16 + $1.key.utf8.count + $1.value.estimatedSize }
        }
    }
}

/// Per-row scores of one metric, compactly: NaN marks a row without a score.
struct ScoreColumn {
    var values: [Double] = []
    var hasNull = false
    var hasJustification = false
    /// Judge answers that could not be read or were off the scale.
    var invalidCount = 0
    /// With repeated judge asks: per-row standard deviations, and how many rows agreed.
    var repeatSpreads: [Double] = []
    var repeatAgreements = (agreeing: 0, total: 0)

    mutating func append(_ score: RowScore) {
        if score.invalid { invalidCount += 1 }
        if let spread = score.repeatSpread { repeatSpreads.append(spread) }
        if let agree = score.repeatsAgree {
            repeatAgreements.total += 1
            if agree { repeatAgreements.agreeing += 1 }
        }
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
