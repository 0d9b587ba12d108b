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
    /// The members, when the cell holds an object.
    public var objectValue: [String: DataValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

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

    /// The JSON text as Python's `json.dumps` writes it (`{"a": 1, "b": [1, 2]}`), as MLflow's clients
    /// store span attributes; object keys in sorted order.
    public var pythonJSON: String { JSONWriter.string(self, dialect: .python) }
}

/// Any JSON value, read and written as itself (so that message types can hold free-form JSON, such as
/// an assessment's value).
extension DataValue: Codable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: Key.self) {
            var members: [String: DataValue] = [:]
            for key in object.allKeys { members[key.stringValue] = try object.decode(DataValue.self, forKey: key) }
            self = .object(members)
            return
        }
        if var list = try? decoder.unkeyedContainer() {
            var items: [DataValue] = []
            while !list.isAtEnd { items.append(try list.decode(DataValue.self)) }
            self = .list(items)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let b = try? single.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? single.decode(Int.self) {
            self = .int(i)
        } else if let d = try? single.decode(Double.self) {
            self = .double(d)
        } else {
            self = .string(try single.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case .bool(let b):
            var single = encoder.singleValueContainer()
            try single.encode(b)
        case .int(let i):
            var single = encoder.singleValueContainer()
            try single.encode(i)
        case .double(let d):
            var single = encoder.singleValueContainer()
            try single.encode(d)
        case .string(let s):
            var single = encoder.singleValueContainer()
            try single.encode(s)
        case .list(let items):
            var list = encoder.unkeyedContainer()
            for item in items { try list.encode(item) }
        case .object(let members):
            var object = encoder.container(keyedBy: Key.self)
            for (key, value) in members.sorted(by: { $0.key < $1.key }) { try object.encode(value, forKey: Key(stringValue: key)) }
        }
    }
}
