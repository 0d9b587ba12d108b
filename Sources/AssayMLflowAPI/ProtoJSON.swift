public import Assay
import Foundation

/// A field of a message that could not be read: missing, or of the wrong type. The server answers it
/// as `INVALID_PARAMETER_VALUE` with this message, in MLflow's words.
public struct WireError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, naming the field.
    public var message: String

    public var description: String { message }

    static func missing(_ name: String) -> WireError {
        WireError(message: "Missing value for required parameter '\(name)'. See the API docs for more information about request parameters.")
    }

    static func invalid(_ value: DataValue, _ name: String, _ expected: String) -> WireError {
        WireError(message: "Invalid value \(value) for parameter '\(name)' supplied: expected \(expected).")
    }
}

/// Reads MLflow's messages the way MLflow's server reads protobuf JSON: int64 as numbers or numeric
/// strings, doubles also as "NaN", "Infinity" and "-Infinity", booleans also as Python's `True`/`False`,
/// and, from a query string, a repeated key as a list and a single value as a one-item list.
///
/// ```swift
/// let request = try ProtoJSON.decode(LogMetric.self, from: fields)
/// ```
public enum ProtoJSON {
    /// A message from the fields of a JSON object (or of a query string, `fromQuery`).
    public static func decode<T: Decodable>(_ type: T.Type, from fields: [String: DataValue], fromQuery: Bool = false) throws(WireError) -> T {
        do {
            return try T(from: FieldDecoder(value: .object(fields), path: [], fromQuery: fromQuery))
        } catch let error as WireError {
            throw error
        } catch {
            throw WireError(message: "The request could not be read: \(error)")
        }
    }

    /// A message from JSON text (an answer of a server).
    public static func decode<T: Decodable>(_ type: T.Type, json text: String) throws(WireError) -> T {
        let value: DataValue
        do {
            value = try DataValue(json: text)
        } catch {
            throw WireError(message: "not valid JSON: \(error.message)")
        }
        guard case .object(let fields) = value else { throw WireError(message: "expected a JSON object, not \(value.kindName)") }
        return try decode(type, from: fields)
    }

    /// A message as MLflow's server writes it: snake_case keys as declared, absent optionals and empty
    /// lists left out, non-finite doubles as "NaN", "Infinity" and "-Infinity".
    public static func encode<T: Encodable>(_ message: T) -> DataValue {
        let encoder = FieldEncoder()
        // The encoder itself never fails; a message's own encode(to:) could, and none here does.
        try? message.encode(to: encoder)
        return encoder.storage.value
    }

    /// A query string's fields (`a=1&b=x&b=y`), percent-decoded, `+` as space; a repeated key is a list.
    public static func fields(query: String?) -> [String: DataValue] {
        var values: [String: [String]] = [:]
        var order: [String] = []
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decodeComponent(parts[0])
            if values[key] == nil { order.append(key) }
            values[key, default: []].append(parts.count > 1 ? decodeComponent(parts[1]) : "")
        }
        var fields: [String: DataValue] = [:]
        for key in order {
            let all = values[key] ?? []
            fields[key] = all.count == 1 ? .string(all[0]) : .list(all.map { .string($0) })
        }
        return fields
    }

    /// A property's name on the wire: `runID` is `run_id`, `experimentIDs` is `experiment_ids`,
    /// `nextPageToken` is `next_page_token`.
    static func wireName(_ key: any CodingKey) -> String {
        let name = Array(key.stringValue)
        var out = ""
        for (i, c) in name.enumerated() {
            guard c.isUppercase else {
                out.append(c)
                continue
            }
            let afterLower = i > 0 && (name[i - 1].isLowercase || name[i - 1].isNumber)
            // An acronym ends before a capital followed by lowercase ("URIPath"), but not before a plural "s" ("IDs").
            let startsWord = i > 0 && name[i - 1].isUppercase && i + 1 < name.count && name[i + 1].isLowercase
                && !(name[i + 1] == "s" && i + 2 == name.count)
            if afterLower || startsWord { out.append("_") }
            out += c.lowercased()
        }
        return out
    }

    static func decodeComponent(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

// MARK: - Decoding

private struct FieldDecoder: Decoder {
    let value: DataValue
    let path: [any CodingKey]
    let fromQuery: Bool
    var codingPath: [any CodingKey] { path }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// The field's name as MLflow's messages say it: the innermost key that is not a list index.
    var name: String { path.last { $0.intValue == nil }.map(ProtoJSON.wireName) ?? "body" }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let fields) = value else { throw WireError.invalid(value, name, "an object") }
        return KeyedDecodingContainer(KeyedFields(fields: fields, decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        switch value {
        case .list(let items): return ListFields(items: items, decoder: self)
        case .null: return ListFields(items: [], decoder: self)
        case .string where fromQuery: return ListFields(items: [value], decoder: self)
        default: throw WireError.invalid(value, name, "a list")
        }
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { ScalarField(decoder: self) }

    func child(_ value: DataValue, _ key: any CodingKey) -> FieldDecoder {
        FieldDecoder(value: value, path: path + [key], fromQuery: fromQuery)
    }
}

private struct KeyedFields<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let fields: [String: DataValue]
    let decoder: FieldDecoder
    var codingPath: [any CodingKey] { decoder.path }
    var allKeys: [Key] { fields.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool {
        if let value = fields[ProtoJSON.wireName(key)] { return !value.isNull }
        return false
    }

    func decodeNil(forKey key: Key) throws -> Bool { !contains(key) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let name = ProtoJSON.wireName(key)
        guard let value = fields[name], !value.isNull else {
            // A list left out is an empty list, as in protobuf.
            if let empty = (T.self as? any EmptyDecodable.Type)?.empty as? T { return empty }
            throw WireError.missing(name)
        }
        return try T(from: decoder.child(value, key))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try decoder.child(fields[ProtoJSON.wireName(key)] ?? .object([:]), key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder.child(fields[ProtoJSON.wireName(key)] ?? .list([]), key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder { decoder.child(fields[ProtoJSON.wireName(key)] ?? .null, key) }
}

private struct ListFields: UnkeyedDecodingContainer {
    let items: [DataValue]
    let decoder: FieldDecoder
    var currentIndex = 0
    var codingPath: [any CodingKey] { decoder.path }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    init(items: [DataValue], decoder: FieldDecoder) {
        self.items = items
        self.decoder = decoder
    }

    mutating func next() throws -> FieldDecoder {
        guard !isAtEnd else { throw WireError(message: "parameter '\(decoder.name)' has too few items") }
        defer { currentIndex += 1 }
        return decoder.child(items[currentIndex], Index(intValue: currentIndex))
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex].isNull else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: try next()) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try next() }
}

private struct Index: CodingKey {
    var intValue: Int?
    var stringValue: String { String(intValue ?? 0) }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

private struct ScalarField: SingleValueDecodingContainer {
    let decoder: FieldDecoder
    var codingPath: [any CodingKey] { decoder.path }
    var value: DataValue {
        // A query's repeated key read as one value: the first.
        if decoder.fromQuery, case .list(let items) = decoder.value, let first = items.first { return first }
        return decoder.value
    }

    func decodeNil() -> Bool { value.isNull }

    func decode(_ type: Bool.Type) throws -> Bool {
        switch value {
        case .bool(let b): return b
        case .string(let s) where ["true", "false"].contains(s.lowercased()): return s.lowercased() == "true"
        default: throw WireError.invalid(value, decoder.name, "a boolean")
        }
    }

    func decode(_ type: String.Type) throws -> String {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        default: throw WireError.invalid(value, decoder.name, "a string")
        }
    }

    func decode(_ type: Double.Type) throws -> Double {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s):
            switch s {
            case "NaN", "nan": return .nan
            case "Infinity", "inf": return .infinity
            case "-Infinity", "-inf": return -.infinity
            default:
                guard let d = Double(s) else {
                    throw WireError(
                        message: "Invalid value \"\(s)\" for parameter '\(decoder.name)' supplied: Hint: Value was of type 'str'. See the API docs for more information about request parameters."
                    )
                }
                return d
            }
        default: throw WireError.invalid(value, decoder.name, "a number")
        }
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

    func decode(_ type: Int64.Type) throws -> Int64 {
        switch value {
        case .int(let i): return Int64(i)
        case .double(let d) where d == d.rounded() && abs(d) < 9.2e18: return Int64(d)
        case .string(let s):
            guard let i = Int64(s.trimmingCharacters(in: .whitespaces)) else {
                throw WireError(message: "Invalid value \"\(s)\" for parameter '\(decoder.name)' supplied: expected an integer.")
            }
            return i
        default: throw WireError.invalid(value, decoder.name, "an integer")
        }
    }

    func decode(_ type: Int.Type) throws -> Int { Int(try decode(Int64.self)) }
    func decode(_ type: Int8.Type) throws -> Int8 { try narrow(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try narrow(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try narrow(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try narrow(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try narrow(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try narrow(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try narrow(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try narrow(type) }

    private func narrow<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard let n = T(exactly: try decode(Int64.self)) else { throw WireError.invalid(value, decoder.name, "a smaller integer") }
        return n
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: decoder) }
}

/// Types that stand for "none" when their field is left out (lists, as protobuf omits empty ones).
protocol EmptyDecodable {
    static var empty: Self { get }
}

extension Array: EmptyDecodable {
    static var empty: Array { [] }
}

// MARK: - Encoding

/// Where an encoder's values go: a box, so nested containers write into their parent.
private final class Box {
    var value: DataValue

    init(_ value: DataValue) {
        self.value = value
    }
}

private final class FieldEncoder: Encoder {
    let storage: Box
    let path: [any CodingKey]
    var codingPath: [any CodingKey] { path }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(storage: Box = Box(.null), path: [any CodingKey] = []) {
        self.storage = storage
        self.path = path
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = storage.value {} else { storage.value = .object([:]) }
        return KeyedEncodingContainer(KeyedOutput(storage: storage, path: path))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .list = storage.value {} else { storage.value = .list([]) }
        return ListOutput(storage: storage, path: path)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { ScalarOutput(storage: storage, path: path) }

    static func value(_ encodable: some Encodable, path: [any CodingKey]) throws -> DataValue {
        switch encodable {
        case let d as Double: return number(d)
        case let s as String: return .string(s)
        case let i as Int64: return .int(Int(i))
        case let i as Int: return .int(i)
        case let b as Bool: return .bool(b)
        default:
            let encoder = FieldEncoder(path: path)
            try encodable.encode(to: encoder)
            return encoder.storage.value
        }
    }

    static func number(_ d: Double) -> DataValue {
        if d.isNaN { return .string("NaN") }
        if d.isInfinite { return .string(d > 0 ? "Infinity" : "-Infinity") }
        return .double(d)
    }
}

private struct KeyedOutput<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let storage: Box
    let path: [any CodingKey]
    var codingPath: [any CodingKey] { path }

    private func set(_ value: DataValue, _ key: Key) {
        guard case .object(var fields) = storage.value else { return }
        // Protobuf JSON leaves out empty repeated fields.
        if case .list(let items) = value, items.isEmpty {
            fields[ProtoJSON.wireName(key)] = nil
        } else {
            fields[ProtoJSON.wireName(key)] = value
        }
        storage.value = .object(fields)
    }

    mutating func encodeNil(forKey key: Key) throws {}

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        set(try FieldEncoder.value(value, path: path + [key]), key)
    }

    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let box = Box(.object([:]))
        set(box.value, key)
        return KeyedEncodingContainer(KeyedOutput<NestedKey>(storage: box, path: path + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        ListOutput(storage: Box(.list([])), path: path + [key])
    }

    mutating func superEncoder() -> any Encoder { FieldEncoder(storage: storage, path: path) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { FieldEncoder(path: path + [key]) }
}

private struct ListOutput: UnkeyedEncodingContainer {
    let storage: Box
    let path: [any CodingKey]
    var codingPath: [any CodingKey] { path }
    var count: Int {
        if case .list(let items) = storage.value { return items.count }
        return 0
    }

    private func append(_ value: DataValue) {
        guard case .list(var items) = storage.value else { return }
        items.append(value)
        storage.value = .list(items)
    }

    mutating func encodeNil() throws { append(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws { append(try FieldEncoder.value(value, path: path)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(KeyedOutput<NestedKey>(storage: Box(.object([:])), path: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { ListOutput(storage: Box(.list([])), path: path) }
    mutating func superEncoder() -> any Encoder { FieldEncoder(path: path) }
}

private struct ScalarOutput: SingleValueEncodingContainer {
    let storage: Box
    let path: [any CodingKey]
    var codingPath: [any CodingKey] { path }

    mutating func encodeNil() throws { storage.value = .null }
    mutating func encode<T: Encodable>(_ value: T) throws { storage.value = try FieldEncoder.value(value, path: path) }
}
