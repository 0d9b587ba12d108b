import Assay
import Foundation

/// The fields of an API request, from a JSON body (POST) or the query string (GET), read the way
/// MLflow's server reads protobuf JSON: int64 as numbers or numeric strings, doubles also as "NaN",
/// "Infinity" and "-Infinity", booleans also as Python's `True`/`False`, repeated query keys as lists.
struct RequestFields {
    private var json: [String: DataValue] = [:]
    private var query: [String: [String]] = [:]

    /// Fields of a JSON body; an empty body has none. Anything but a JSON object is a 400.
    init(body: [UInt8]) throws(APIError) {
        guard !body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return }
        guard let text = String(validating: body, as: UTF8.self) else { throw .invalid("The request body is not UTF-8.") }
        let value: DataValue
        do {
            value = try DataValue(json: text)
        } catch {
            throw .invalid("The request body is not valid JSON: \(error.message)")
        }
        guard case .object(let fields) = value else { throw .invalid("The request body must be a JSON object, not \(value.kindName).") }
        json = fields
    }

    /// Fields of a query string (`a=1&b=x&b=y`), percent-decoded, `+` as space.
    init(query string: String?) {
        for pair in (string ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            query[key, default: []].append(value)
        }
    }

    static func decode(_ text: Substring) -> String {
        (text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding) ?? String(text)
    }

    private func raw(_ name: String) -> DataValue? {
        if let value = json[name], !value.isNull { return value }
        if let values = query[name], let first = values.first { return .string(first) }
        return nil
    }

    /// A string field; a number is taken as its text, anything else is a 400.
    func string(_ name: String) throws(APIError) -> String? {
        switch raw(name) {
        case nil: return nil
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        case let value?: throw .invalid("Invalid value \(value) for parameter '\(name)' supplied: expected a string.")
        }
    }

    func requiredString(_ name: String) throws(APIError) -> String {
        guard let value = try string(name) else { throw .missing(name) }
        return value
    }

    /// The run id, from `run_id` or the legacy `run_uuid`.
    func runID() throws(APIError) -> String {
        if let id = try string("run_id"), !id.isEmpty { return id }
        if let id = try string("run_uuid"), !id.isEmpty { return id }
        throw .missing("run_id")
    }

    func int64(_ name: String) throws(APIError) -> Int64? {
        switch raw(name) {
        case nil: return nil
        case .int(let i)?: return Int64(i)
        case .double(let d)? where d == d.rounded() && abs(d) < 9.2e18: return Int64(d)
        case .string(let s)?:
            guard let i = Int64(s.trimmingCharacters(in: .whitespaces)) else {
                throw .invalid("Invalid value \"\(s)\" for parameter '\(name)' supplied: expected an integer.")
            }
            return i
        case let value?: throw .invalid("Invalid value \(value) for parameter '\(name)' supplied: expected an integer.")
        }
    }

    func bool(_ name: String) throws(APIError) -> Bool? {
        switch raw(name) {
        case nil: return nil
        case .bool(let b)?: return b
        case .string(let s)? where ["true", "false"].contains(s.lowercased()): return s.lowercased() == "true"
        case let value?: throw .invalid("Invalid value \(value) for parameter '\(name)' supplied: expected a boolean.")
        }
    }

    /// A repeated field: a JSON list, or every value of a repeated query key.
    func list(_ name: String) throws(APIError) -> [DataValue] {
        if let value = json[name] {
            switch value {
            case .null: return []
            case .list(let items): return items
            default: throw .invalid("Invalid value \(value) for parameter '\(name)' supplied: expected a list.")
            }
        }
        return (query[name] ?? []).map { .string($0) }
    }

    func strings(_ name: String) throws(APIError) -> [String] {
        try list(name).map { item throws(APIError) in
            switch item {
            case .string(let s): return s
            case .int(let i): return String(i)
            default: throw .invalid("Invalid value \(item) in parameter '\(name)' supplied: expected strings.")
            }
        }
    }

    /// A lifecycle view by name (`ACTIVE_ONLY`, `DELETED_ONLY`, `ALL`) or number.
    func view(_ name: String) throws(APIError) -> LifecycleView {
        switch try string(name)?.uppercased() {
        case nil, "ACTIVE_ONLY", "1": return .activeOnly
        case "DELETED_ONLY", "2": return .deletedOnly
        case "ALL", "3": return .all
        case let other?: throw .invalid("Invalid value '\(other)' for parameter '\(name)': use ACTIVE_ONLY, DELETED_ONLY or ALL.")
        }
    }

    /// An object field's own fields (a metric of a batch, a dataset of an input).
    static func object(_ value: DataValue, in name: String) throws(APIError) -> RequestFields {
        guard case .object(let fields) = value else {
            throw .invalid("Invalid value \(value) in parameter '\(name)' supplied: expected an object.")
        }
        var result = try RequestFields(body: [])
        result.json = fields
        return result
    }

    /// A nested object field, or nil when absent.
    func object(_ name: String) throws(APIError) -> RequestFields? {
        guard let value = json[name], !value.isNull else { return nil }
        return try Self.object(value, in: name)
    }

    /// A double, also written as "NaN", "Infinity" or "-Infinity".
    func double(_ name: String) throws(APIError) -> Double? {
        switch raw(name) {
        case nil: return nil
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d
        case .string(let s)?:
            switch s {
            case "NaN", "nan": return .nan
            case "Infinity", "inf": return .infinity
            case "-Infinity", "-inf": return -.infinity
            default:
                guard let d = Double(s) else {
                    throw .invalid(
                        "Invalid value \"\(s)\" for parameter '\(name)' supplied: Hint: Value was of type 'str'. See the API docs for more information about request parameters.")
                }
                return d
            }
        case let value?: throw .invalid("Invalid value \(value) for parameter '\(name)' supplied: expected a number.")
        }
    }

    /// A key-value pair (param or tag) with both parts required.
    static func keyValue(_ value: DataValue, in name: String) throws(APIError) -> KeyValue {
        let fields = try object(value, in: name)
        return KeyValue(try fields.requiredString("key"), try fields.string("value") ?? "")
    }
}
