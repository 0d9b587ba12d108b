/// Writes `DataValue`s as JSON text.
///
/// Two dialects: the default keeps every double exactly (shortest round-trip form); `.mlflowTable` writes
/// what pandas' `to_json(orient="split")` writes for MLflow's tables: at most 10 decimals, integral floats
/// as `4.0`, `/` escaped as `\/`, and non-finite numbers as `null`.
struct JSONWriter {
    enum Dialect {
        case exact
        case mlflowTable
        /// As Python's `json.dumps` writes by default: `", "` between items and `": "` after keys.
        case python
    }

    var dialect: Dialect = .exact
    private(set) var output = ""

    init(dialect: Dialect = .exact) {
        self.dialect = dialect
    }

    /// The compact JSON text of a value.
    static func string(_ value: DataValue, dialect: Dialect = .exact) -> String {
        var writer = JSONWriter(dialect: dialect)
        writer.write(value)
        return writer.output
    }

    mutating func append(raw text: String) {
        output += text
    }

    mutating func take() -> String {
        defer { output = "" }
        return output
    }

    mutating func write(_ value: DataValue) {
        switch value {
        case .null: output += "null"
        case .bool(let b): output += b ? "true" : "false"
        case .int(let i): output += String(i)
        case .double(let d): writeNumber(d)
        case .string(let s): writeString(s)
        case .list(let elements):
            output += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { output += dialect == .python ? ", " : "," }
                write(element)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (i, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { output += dialect == .python ? ", " : "," }
                writeString(member.key)
                output += dialect == .python ? ": " : ":"
                write(member.value)
            }
            output += "}"
        }
    }

    mutating func writeNumber(_ d: Double) {
        output += Self.format(d, dialect: dialect)
    }

    /// Formats a double for JSON in the given dialect.
    static func format(_ d: Double, dialect: Dialect) -> String {
        guard d.isFinite else {
            switch dialect {
            case .mlflowTable: return "null"
            case .exact, .python: return d.isNaN ? "NaN" : (d > 0 ? "Infinity" : "-Infinity")
            }
        }
        var value = d
        if dialect == .mlflowTable, abs(d) < 1e15 {
            value = (d * 1e10).rounded() / 1e10
            if value == 0 { value = 0 }  // no "-0.0"
        }
        if value == value.rounded(), abs(value) < 1e16 {
            return String(Int(value)) + ".0"
        }
        return value.description
    }

    mutating func writeString(_ s: String) {
        output += "\""
        // Most strings have nothing to escape: one scan of their bytes, then one append.
        // `/` needs escaping only in MLflow's tables; elsewhere the quote, checked anyway, stands in for it.
        let escapedSlash: UInt8 = dialect == .mlflowTable ? 0x2F : 0x22
        let plain =
            s.utf8.withContiguousStorageIfAvailable { bytes in
                !bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == escapedSlash }
            } ?? false
        if plain {
            output += s
            output += "\""
            return
        }
        var start = s.utf8.startIndex
        var i = start
        let utf8 = s.utf8
        while i != utf8.endIndex {
            let b = utf8[i]
            let escape: String?
            switch b {
            case 0x22: escape = "\\\""
            case 0x5C: escape = "\\\\"
            case 0x0A: escape = "\\n"
            case 0x0D: escape = "\\r"
            case 0x09: escape = "\\t"
            case 0x2F where dialect == .mlflowTable: escape = "\\/"
            case 0..<0x20:
                let hex = String(b, radix: 16)
                escape = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: escape = nil
            }
            if let escape {
                output += s[start..<i]
                output += escape
                start = utf8.index(after: i)
            }
            i = utf8.index(after: i)
        }
        output += s[start..<i]
        output += "\""
    }
}
