public import Assay
import Foundation
import Synchronization

/// A field of a message that could not be read: missing, or of the wrong type. The server answers it
/// as `INVALID_PARAMETER_VALUE` with this message, in MLflow's words.
public struct WireError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, naming the field.
    public var message: String
    /// The field the message names, once it is known.
    var field: String?

    public var description: String { message }

    init(message: String, field: String? = nil) {
        self.message = message
        self.field = field
    }

    static func missing(_ name: String) -> WireError {
        WireError(
            message: "Missing value for required parameter '\(name)'. See the API docs for more information about request parameters.",
            field: name)
    }

    static func invalid(_ value: DataValue, _ name: String, _ expected: String) -> WireError {
        WireError(message: "Invalid value \(value) for parameter '\(name)' supplied: expected \(expected).", field: name)
    }

    /// The error of a field inside item `index` of the list `list`, named by its path as MLflow names
    /// it (`metrics[0].timestamp`); an item that is itself the bad value keeps the list's name.
    func within(_ list: String, _ index: Int) -> WireError {
        guard let field, field != list else { return self }
        let path = "\(list)[\(index)].\(field)"
        return WireError(message: message.replacingOccurrences(of: "'\(field)'", with: "'\(path)'"), field: path)
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
    public static func decode<T: Decodable>(
        _ type: T.Type, from fields: [String: DataValue], fromQuery: Bool = false
    ) throws(WireError) -> T {
        do {
            return try T(from: FieldDecoder(value: .object(fields), name: "body", fromQuery: fromQuery))
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
        // Split on the bytes `&` and `=` (a query is bytes; splitting by characters would also cost a
        // grapheme check per character).
        for pair in (query ?? "").utf8.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let key = decodeComponent(Substring(parts[0]))
            if values[key] == nil { order.append(key) }
            values[key, default: []].append(parts.count > 1 ? decodeComponent(Substring(parts[1])) : "")
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
        let text = key.stringValue
        // Most names are one lowercase word already (`key`, `value`, `step`).
        guard text.utf8.contains(where: isCapital) else { return text }
        if let known = wireNames.withLock({ $0[text] }) { return known }
        let name = snakeCase(text)
        // Keys are the messages' own property names, a few hundred at most; the bound is a safeguard.
        wireNames.withLock { if $0.count < 4096 { $0[text] = name } }
        return name
    }

    /// Property names already turned into wire names.
    private static let wireNames = Mutex<[String: String]>([:])

    private static func snakeCase(_ text: String) -> String {
        let name = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(name.count + 4)
        for (i, c) in name.enumerated() {
            guard isCapital(c) else {
                out.append(c)
                continue
            }
            let afterLower = i > 0 && !isCapital(name[i - 1])
            // An acronym ends before a capital followed by lowercase ("URIPath"), but not before a plural "s" ("IDs").
            let startsWord =
                i > 0 && isCapital(name[i - 1]) && i + 1 < name.count && !isCapital(name[i + 1])
                && !(name[i + 1] == UInt8(ascii: "s") && i + 2 == name.count)
            if afterLower || startsWord { out.append(UInt8(ascii: "_")) }
            out.append(c + 32)
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isCapital(_ c: UInt8) -> Bool { c >= 0x41 && c <= 0x5A }

    /// Fields kept as JSON rather than decoded as a message: any JSON value (``DataValue``), and maps of
    /// strings, whose keys are data (`mlflow.sourceRun`) and so are not wire names.
    static func raw<T>(_ value: DataValue, as type: T.Type, name: String) throws(WireError) -> T? {
        if T.self == DataValue.self { return value as? T }
        if T.self == [String: String].self {
            guard case .object(let members) = value else { throw WireError.invalid(value, name, "a map of strings") }
            return members.mapValues { $0.stringValue ?? $0.description } as? T
        }
        return nil
    }

    static func decodeComponent(_ text: Substring) -> String {
        // Most components (ids, names) need neither: no Foundation round trip for them.
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(text) }
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

// MARK: - Decoding

private struct FieldDecoder: Decoder {
    let value: DataValue
    /// The field's name as MLflow's messages say it: the innermost key that is not a list index.
    let name: String
    let fromQuery: Bool
    // Only the field's name is kept (for error messages), not the whole path: decoding is on every request's path.
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

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
        FieldDecoder(value: value, name: key.intValue == nil ? ProtoJSON.wireName(key) : name, fromQuery: fromQuery)
    }
}

private struct KeyedFields<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let fields: [String: DataValue]
    let decoder: FieldDecoder
    var codingPath: [any CodingKey] { [] }
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
        if let raw = try ProtoJSON.raw(value, as: T.self, name: name) { return raw }
        return try T(from: decoder.child(value, key))
    }

    // Scalars are read where they are, without a decoder of their own: this is every request's path.
    private func scalar(_ key: Key) throws -> ScalarField {
        let name = ProtoJSON.wireName(key)
        guard let value = fields[name], !value.isNull else { throw WireError.missing(name) }
        return ScalarField(decoder: FieldDecoder(value: value, name: name, fromQuery: decoder.fromQuery))
    }

    private func optionalScalar(_ key: Key) -> ScalarField? {
        let name = ProtoJSON.wireName(key)
        guard let value = fields[name], !value.isNull else { return nil }
        return ScalarField(decoder: FieldDecoder(value: value, name: name, fromQuery: decoder.fromQuery))
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String { try scalar(key).decode(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try scalar(key).decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try scalar(key).decode(type) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try scalar(key).decode(type) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try optionalScalar(key)?.decode(type) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try optionalScalar(key)?.decode(type) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try optionalScalar(key)?.decode(type) }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try optionalScalar(key)?.decode(type) }

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
    var codingPath: [any CodingKey] { [] }
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

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try T(from: try next())
        } catch let error as WireError {
            throw error.within(decoder.name, currentIndex - 1)
        }
    }

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
    var codingPath: [any CodingKey] { [] }
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

    /// Only text is a string, as in MLflow's protobuf parsing (`{"name": 123}` is a 400).
    func decode(_ type: String.Type) throws -> String {
        guard case .string(let s) = value else { throw WireError.invalid(value, decoder.name, "a string") }
        return s
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
                        message:
                            "Invalid value \"\(s)\" for parameter '\(decoder.name)' supplied: Hint: Value was of type 'str'. "
                            + "See the API docs for more information about request parameters."
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

/// Where an encoder's values go. A keyed or list container mutates its box in place (one dictionary or
/// array for the whole message part), and the box becomes a `DataValue` once, at the end.
private final class Box {
    var fields: [String: DataValue]?
    var items: [DataValue]?
    var scalar: DataValue = .null
    /// Containers opened inside this one, filled in when the value is read.
    var nestedFields: [(String, Box)] = []
    var nestedItems: [(Int, Box)] = []

    init(fields: [String: DataValue]? = nil, items: [DataValue]? = nil) {
        self.fields = fields
        self.items = items
    }

    var value: DataValue {
        if var fields {
            for (name, box) in nestedFields { fields[name] = box.value }
            return .object(fields)
        }
        if var items {
            for (index, box) in nestedItems { items[index] = box.value }
            return .list(items)
        }
        return scalar
    }
}

private struct FieldEncoder: Encoder {
    let storage = Box()
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if storage.fields == nil { storage.fields = Dictionary(minimumCapacity: 8) }
        return KeyedEncodingContainer(KeyedOutput(storage: storage))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if storage.items == nil { storage.items = [] }
        return ListOutput(storage: storage)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { ScalarOutput(storage: storage) }

    static func value<T: Encodable>(_ encodable: T) throws -> DataValue {
        // The type is compared, not cast to: a message (a metric, a tag) is none of these, and seven
        // failed dynamic casts for each of a run's items cost more than encoding it.
        if T.self == Double.self { return number(unsafeBitCast(encodable, to: Double.self)) }
        if T.self == String.self { return .string(unsafeBitCast(encodable, to: String.self)) }
        if T.self == Int64.self { return .int(Int(unsafeBitCast(encodable, to: Int64.self))) }
        if T.self == Int.self { return .int(unsafeBitCast(encodable, to: Int.self)) }
        if T.self == Bool.self { return .bool(unsafeBitCast(encodable, to: Bool.self)) }
        if T.self == DataValue.self { return unsafeBitCast(encodable, to: DataValue.self) }
        if T.self == [String: String].self {
            return .object(unsafeBitCast(encodable, to: [String: String].self).mapValues { .string($0) })
        }
        let encoder = FieldEncoder()
        try encodable.encode(to: encoder)
        return encoder.storage.value
    }

    static func number(_ d: Double) -> DataValue {
        if d.isNaN { return .string("NaN") }
        if d.isInfinite { return .string(d > 0 ? "Infinity" : "-Infinity") }
        return .double(d)
    }
}

private struct KeyedOutput<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let storage: Box
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws {}

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        let encoded = try FieldEncoder.value(value)
        // Protobuf JSON leaves out empty repeated fields.
        if case .list(let items) = encoded, items.isEmpty { return }
        storage.fields?[ProtoJSON.wireName(key)] = encoded
    }

    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) }
    }

    // Scalars go in as they are, without a generic encoder: this is every answer's path.
    mutating func encode(_ value: String, forKey key: Key) throws { storage.fields?[ProtoJSON.wireName(key)] = .string(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { storage.fields?[ProtoJSON.wireName(key)] = .int(Int(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { storage.fields?[ProtoJSON.wireName(key)] = FieldEncoder.number(value) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { storage.fields?[ProtoJSON.wireName(key)] = .bool(value) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = Box(fields: [:])
        storage.nestedFields.append((ProtoJSON.wireName(key), child))
        return KeyedEncodingContainer(KeyedOutput<NestedKey>(storage: child))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = Box(items: [])
        storage.nestedFields.append((ProtoJSON.wireName(key), child))
        return ListOutput(storage: child)
    }
    mutating func superEncoder() -> any Encoder { FieldEncoder() }
    mutating func superEncoder(forKey key: Key) -> any Encoder { FieldEncoder() }
}

private struct ListOutput: UnkeyedEncodingContainer {
    let storage: Box
    var codingPath: [any CodingKey] { [] }
    var count: Int { storage.items?.count ?? 0 }

    mutating func encodeNil() throws { storage.items?.append(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws { storage.items?.append(try FieldEncoder.value(value)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(KeyedOutput<NestedKey>(storage: nest(Box(fields: [:]))))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { ListOutput(storage: nest(Box(items: []))) }

    private func nest(_ child: Box) -> Box {
        storage.nestedItems.append((count, child))
        storage.items?.append(.null)
        return child
    }
    mutating func superEncoder() -> any Encoder { FieldEncoder() }
}

private struct ScalarOutput: SingleValueEncodingContainer {
    let storage: Box
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { storage.scalar = .null }
    mutating func encode<T: Encodable>(_ value: T) throws { storage.scalar = try FieldEncoder.value(value) }
}
