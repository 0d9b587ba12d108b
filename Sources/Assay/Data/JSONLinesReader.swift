/// Reads a JSON Lines dataset: one JSON object per line; blank lines are skipped.
struct JSONLinesReader: DatasetReader {
    private let reader: ByteReader
    private var line: [UInt8] = []
    private var lineNumber = 0
    private var rowNumber = 0
    private(set) var columns = ColumnIndex([])

    var fractionRead: Double { reader.fractionRead }

    init(path: String) throws(AssayError) {
        reader = try ByteReader(path: path)
        reader.skipByteOrderMark()
    }

    mutating func next() throws(AssayError) -> DataRow? {
        while reader.readLine(into: &line) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let members: [(String, DataValue)]
            do {
                members = try line.withUnsafeBufferPointer { bytes throws(JSONParser.SyntaxError) in
                    try JSONParser.parseObject(bytes)
                }
            } catch {
                throw .invalidFile(
                    reader.path, line: lineNumber, column: error.offset + 1, "invalid JSON: \(error.message)")
            }
            rowNumber += 1
            return DataRow(members: members, columns: &columns, number: rowNumber, line: lineNumber)
        }
        return nil
    }
}

/// Reads a dataset stored as one JSON array of objects. The file is read whole; use JSON Lines for
/// datasets too large for memory.
struct JSONArrayReader: DatasetReader {
    private let path: String
    private let bytes: [UInt8]
    private var offset = 0
    private var rowNumber = 0
    private(set) var columns = ColumnIndex([])
    private var cursorOffset: Int?
    /// Set once the closing bracket is read: the array has no more rows, however often it is asked.
    private var finished = false

    var fractionRead: Double { finished || bytes.isEmpty ? 1 : Double(cursorOffset ?? 0) / Double(bytes.count) }

    init(path: String) throws(AssayError) {
        self.path = path
        let reader = try ByteReader(path: path)
        reader.skipByteOrderMark()
        bytes = reader.readToEnd()
    }

    mutating func next() throws(AssayError) -> DataRow? {
        guard !finished else { return nil }
        // Each call re-enters the document at the saved cursor position, so no pointer outlives the call.
        let result: (members: [(String, DataValue)]?, offset: Int)
        do {
            result = try bytes.withUnsafeBufferPointer { buffer throws(JSONParser.SyntaxError) in
                var cursor = try JSONParser.ArrayCursor(bytes: buffer)
                if let saved = cursorOffset { cursor.skip(to: saved) }
                let members = try cursor.nextObject()
                return (members, cursor.offset)
            }
        } catch {
            let (line, column) = Self.lineAndColumn(of: error.offset, in: bytes)
            throw .invalidFile(path, line: line, column: column, "invalid JSON: \(error.message)")
        }
        cursorOffset = result.offset
        guard let members = result.members else {
            finished = true
            return nil
        }
        rowNumber += 1
        return DataRow(members: members, columns: &columns, number: rowNumber)
    }

    static func lineAndColumn(of offset: Int, in bytes: [UInt8]) -> (Int, Int) {
        var line = 1
        var lineStart = 0
        for i in 0..<min(offset, bytes.count) where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return (line, offset - lineStart + 1)
    }
}

extension DataRow {
    /// A row from an object's members, growing `columns` by the keys it has not seen yet.
    init(members: [(String, DataValue)], columns: inout ColumnIndex, number: Int, line: Int? = nil) {
        // Rows mostly name the columns in the same order: then no name is looked up.
        if members.count == columns.names.count, zip(members, columns.names).allSatisfy({ $0.0 == $1 }) {
            self.init(columns: columns, values: members.map(\.1), number: number, line: line)
            return
        }
        if members.contains(where: { !columns.contains($0.0) }) {
            columns = columns.adding(members.map(\.0))
        }
        var values = [DataValue](repeating: .null, count: columns.names.count)
        for (key, value) in members { values[columns.position(of: key)!] = value }
        self.init(columns: columns, values: values, number: number, line: line)
    }
}
