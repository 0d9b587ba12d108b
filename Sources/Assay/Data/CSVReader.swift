/// Reads an RFC 4180 CSV dataset: a header row, then records of the same number of fields.
///
/// Fields may be quoted, with `""` for a quote and line breaks inside quotes; a UTF-8 byte order mark is
/// skipped; blank lines are ignored. Empty cells are null, a cell holding a JSON array is a list, and
/// every other cell is a string.
struct CSVReader: DatasetReader {
    private let reader: ByteReader
    private(set) var columns: ColumnIndex
    private var line = 1
    private var rowNumber = 0

    var fractionRead: Double { reader.fractionRead }

    init(path: String) throws(AssayError) {
        reader = try ByteReader(path: path)
        reader.skipByteOrderMark()
        columns = ColumnIndex([])
        guard let header = try readRecord() else {
            throw .invalidFile(path, "the CSV file is empty; it needs a header row")
        }
        var names: [String] = []
        for (i, field) in header.fields.enumerated() {
            let name = try Self.decode(field, path: path, line: header.line, column: i + 1)
            if names.contains(name) {
                throw .invalidFile(path, line: header.line, "column '\(name)' appears twice in the header")
            }
            names.append(name)
        }
        columns = ColumnIndex(names)
    }

    mutating func next() throws(AssayError) -> DataRow? {
        guard let record = try readRecord() else { return nil }
        let expected = columns.names.count
        guard record.fields.count == expected else {
            throw .invalidFile(
                reader.path, line: record.line,
                "this row has \(record.fields.count) fields but the header has \(expected)")
        }
        rowNumber += 1
        var values: [DataValue] = []
        values.reserveCapacity(expected)
        for (i, field) in record.fields.enumerated() {
            values.append(try Self.cell(field, path: reader.path, line: record.line, column: i + 1))
        }
        return DataRow(columns: columns, values: values, number: rowNumber, line: record.line)
    }

    private static func decode(_ bytes: [UInt8], path: String, line: Int, column: Int) throws(AssayError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalidFile(path, line: line, "field \(column) is not valid UTF-8")
        }
        return text
    }

    private static func cell(_ bytes: [UInt8], path: String, line: Int, column: Int) throws(AssayError) -> DataValue {
        if bytes.isEmpty { return .null }
        if bytes.first == UInt8(ascii: "["),
            let list = try? bytes.withUnsafeBufferPointer({ b throws(JSONParser.SyntaxError) in try JSONParser.parse(b) }),
            case .list = list
        {
            return list
        }
        return .string(try decode(bytes, path: path, line: line, column: column))
    }

    /// The next record's raw fields and the line it starts on; nil at the end of the file.
    private mutating func readRecord() throws(AssayError) -> (fields: [[UInt8]], line: Int)? {
        while true {
            guard reader.peek() != nil else { return nil }
            let start = line
            var fields: [[UInt8]] = []
            var field: [UInt8] = []
            var quoted = false
            var sawContent = false
            recordLoop: while true {
                guard let b = reader.next() else {
                    if quoted {
                        throw .invalidFile(reader.path, line: start, "a quoted field is never closed")
                    }
                    break recordLoop
                }
                if quoted {
                    if b == UInt8(ascii: "\"") {
                        if reader.peek() == UInt8(ascii: "\"") {
                            _ = reader.next()
                            field.append(b)
                        } else {
                            quoted = false
                            if let after = reader.peek(), after != UInt8(ascii: ","), after != 0x0A, after != 0x0D {
                                throw .invalidFile(
                                    reader.path, line: line,
                                    "unexpected character after a closing quote in field \(fields.count + 1)")
                            }
                        }
                    } else {
                        if b == 0x0A { line += 1 }
                        field.append(b)
                    }
                    continue
                }
                switch b {
                case UInt8(ascii: "\"") where field.isEmpty:
                    quoted = true
                    sawContent = true
                case UInt8(ascii: ","):
                    fields.append(field)
                    field.removeAll(keepingCapacity: true)
                    sawContent = true
                case 0x0D:
                    if reader.peek() == 0x0A { _ = reader.next() }
                    line += 1
                    break recordLoop
                case 0x0A:
                    line += 1
                    break recordLoop
                default:
                    field.append(b)
                    sawContent = true
                }
            }
            if !sawContent { continue }  // a blank line
            fields.append(field)
            return (fields, start)
        }
    }
}
