/// One cell of a dataset or of a result table.
///
/// Datasets hold strings, numbers, booleans, nulls and lists (a retriever's document ids, for example).
/// Objects appear when a JSON cell holds one (chat messages, say).
///
/// ```swift
/// let cell: DataValue = ["doc-1", "doc-7"]
/// cell.listValue?.count   // 2
/// ```
public enum DataValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([DataValue])
    case object([String: DataValue])

    /// The string, when the cell holds one.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The number as a `Double`, when the cell holds an integer or a float.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    /// The elements, when the cell holds a list.
    /// An object's member (`value.member("usage")?.member("prompt_tokens")`); nil for other values.
    public func member(_ name: String) -> DataValue? {
        if case .object(let members) = self { return members[name] }
        return nil
    }

    public var listValue: [DataValue]? {
        if case .list(let l) = self { return l }
        return nil
    }

    /// Whether the cell is missing.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The cell as text, the way a prompt or a judge would see it: strings as they are, everything else as
    /// compact JSON, null as an empty string.
    public var text: String {
        switch self {
        case .null: ""
        case .string(let s): s
        default: JSONWriter.string(self)
        }
    }

    /// The name of the value's kind, for error messages.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .list: "a list"
        case .object: "an object"
        }
    }
}

extension DataValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: DataValue...) { self = .list(elements) }
    public init(nilLiteral: ()) { self = .null }
}

extension DataValue {
    /// Parses JSON text; the error says where the text is broken.
    public init(json text: String) throws(AssayError) {
        do {
            self = try JSONParser.parse(text)
        } catch {
            throw .invalidInput("invalid JSON at offset \(error.offset): \(error.message)")
        }
    }
}

extension DataValue: CustomStringConvertible {
    public var description: String { JSONWriter.string(self) }
}
