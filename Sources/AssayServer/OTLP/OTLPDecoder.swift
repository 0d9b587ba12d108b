import Assay
import Foundation
import SwiftProtobuf

/// Spans out of an OTLP/HTTP trace export, in protobuf (`application/x-protobuf`) or JSON
/// (`application/json`, with hex ids and lowerCamelCase names as the OTLP spec writes them). A
/// malformed payload is an error before anything is stored.
enum OTLPDecoder {
    /// The spans of one resource, with the resource's attributes.
    struct Batch {
        var resource: [String: DataValue]
        var spans: [SpanRecord]
    }

    static let kinds = ["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"]
    static let statuses = ["UNSET", "OK", "ERROR"]

    // MARK: - Protobuf

    static func decodeProtobuf(_ bytes: [UInt8]) throws(APIError) -> [Batch] {
        let request: Otlp_ExportTraceServiceRequest
        do {
            request = try Otlp_ExportTraceServiceRequest(serializedBytes: bytes)
        } catch {
            throw APIError.invalid("The body is not an OTLP ExportTraceServiceRequest in protobuf: \(error)")
        }
        return try request.resourceSpans.map { resourceSpans throws(APIError) in
            let resource = attributes(resourceSpans.resource.attributes)
            var spans: [SpanRecord] = []
            for scope in resourceSpans.scopeSpans {
                for span in scope.spans {
                    spans.append(
                        SpanRecord(
                            traceID: try id(span.traceID, bytes: 16, "trace_id"), spanID: try id(span.spanID, bytes: 8, "span_id"),
                            parentSpanID: span.parentSpanID.isEmpty ? nil : try id(span.parentSpanID, bytes: 8, "parent_span_id"),
                            name: span.name, kind: kinds.indices.contains(Int(span.kind)) ? kinds[Int(span.kind)] : "UNSPECIFIED",
                            startTimeNanos: Int64(clamping: span.startTimeUnixNano), endTimeNanos: Int64(clamping: span.endTimeUnixNano),
                            statusCode: statuses.indices.contains(Int(span.status.code)) ? statuses[Int(span.status.code)] : "UNSET",
                            statusMessage: span.status.message, attributes: attributes(span.attributes),
                            events: span.events.map {
                                SpanEvent(name: $0.name, timeNanos: Int64(clamping: $0.timeUnixNano), attributes: attributes($0.attributes))
                            },
                            resource: resource))
                }
            }
            return Batch(resource: resource, spans: spans)
        }
    }

    static func id(_ data: Data, bytes: Int, _ field: String) throws(APIError) -> String {
        guard data.count == bytes, data.contains(where: { $0 != 0 }) else {
            throw APIError.invalid("A span's \(field) must be \(bytes) bytes, not all zero (got \(data.count)).")
        }
        return data.map { String(format: "%02x", $0) }.joined()
    }

    static func attributes(_ pairs: [Otlp_KeyValue]) -> [String: DataValue] {
        var result: [String: DataValue] = [:]
        for pair in pairs { result[pair.key] = value(pair.value) }
        return result
    }

    static func value(_ any: Otlp_AnyValue) -> DataValue {
        switch any.value {
        case .stringValue(let s)?: .string(s)
        case .boolValue(let b)?: .bool(b)
        case .intValue(let i)?: .int(Int(i))
        case .doubleValue(let d)?: .double(d)
        case .arrayValue(let a)?: .list(a.values.map(value))
        case .kvlistValue(let kv)?: .object(attributes(kv.values))
        case .bytesValue(let b)?: .string(b.base64EncodedString())
        case nil: .null
        }
    }

    // MARK: - JSON

    static func decodeJSON(_ bytes: [UInt8]) throws(APIError) -> [Batch] {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw APIError.invalid("The body is not UTF-8.") }
        let document: DataValue
        do {
            document = try DataValue(json: text)
        } catch {
            throw APIError.invalid("The body is not valid JSON: \(error.message)")
        }
        guard case .object(let root) = document else { throw APIError.invalid("The body must be an OTLP JSON object.") }
        return try list(root, "resourceSpans", "resource_spans").map { item throws(APIError) in
            let resourceSpans = try object(item, "resourceSpans")
            let resource = try jsonAttributes(object(resourceSpans["resource"] ?? .object([:]), "resource"))
            var spans: [SpanRecord] = []
            for scopeItem in try list(resourceSpans, "scopeSpans", "scope_spans") {
                let scope = try object(scopeItem, "scopeSpans")
                for spanItem in try list(scope, "spans", "spans") {
                    spans.append(try jsonSpan(object(spanItem, "span"), resource: resource))
                }
            }
            return Batch(resource: resource, spans: spans)
        }
    }

    static func jsonSpan(_ s: [String: DataValue], resource: [String: DataValue]) throws(APIError) -> SpanRecord {
        let parent = try string(s, "parentSpanId", "parent_span_id") ?? ""
        let status = try object(s["status"] ?? .object([:]), "status")
        let events = try list(s, "events", "events").map { item throws(APIError) -> SpanEvent in
            let event = try object(item, "event")
            return SpanEvent(
                name: try string(event, "name", "name") ?? "", timeNanos: try nanos(event, "timeUnixNano", "time_unix_nano"),
                attributes: try jsonAttributes(event))
        }
        return SpanRecord(
            traceID: try hexID(try string(s, "traceId", "trace_id"), bytes: 16, "traceId"),
            spanID: try hexID(try string(s, "spanId", "span_id"), bytes: 8, "spanId"),
            parentSpanID: parent.isEmpty ? nil : try hexID(parent, bytes: 8, "parentSpanId"),
            name: try string(s, "name", "name") ?? "", kind: try enumName(s["kind"], kinds, prefix: "SPAN_KIND_"),
            startTimeNanos: try nanos(s, "startTimeUnixNano", "start_time_unix_nano"),
            endTimeNanos: try nanos(s, "endTimeUnixNano", "end_time_unix_nano"),
            statusCode: try enumName(status["code"], statuses, prefix: "STATUS_CODE_"),
            statusMessage: try string(status, "message", "message") ?? "",
            attributes: try jsonAttributes(s), events: events, resource: resource)
    }

    static func object(_ value: DataValue, _ what: String) throws(APIError) -> [String: DataValue] {
        guard case .object(let fields) = value else { throw APIError.invalid("OTLP JSON: \(what) must be an object.") }
        return fields
    }

    static func list(_ fields: [String: DataValue], _ camel: String, _ snake: String) throws(APIError) -> [DataValue] {
        switch fields[camel] ?? fields[snake] {
        case nil, .null?: return []
        case .list(let items)?: return items
        default: throw APIError.invalid("OTLP JSON: \(camel) must be a list.")
        }
    }

    static func string(_ fields: [String: DataValue], _ camel: String, _ snake: String) throws(APIError) -> String? {
        switch fields[camel] ?? fields[snake] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        default: throw APIError.invalid("OTLP JSON: \(camel) must be a string.")
        }
    }

    /// Nanoseconds, written as a JSON string (the spec's int64 rule) or a number.
    static func nanos(_ fields: [String: DataValue], _ camel: String, _ snake: String) throws(APIError) -> Int64 {
        switch fields[camel] ?? fields[snake] {
        case nil, .null?: return 0
        case .int(let i)?: return Int64(i)
        case .double(let d)? where d >= 0 && d < 9.2e18: return Int64(d)
        case .string(let s)?:
            guard let n = Int64(s) else { throw APIError.invalid("OTLP JSON: \(camel) '\(s)' is not an integer.") }
            return n
        default: throw APIError.invalid("OTLP JSON: \(camel) must be an integer.")
        }
    }

    static func enumName(_ value: DataValue?, _ names: [String], prefix: String) throws(APIError) -> String {
        switch value {
        case nil, .null?: return names[0]
        case .int(let i)? where names.indices.contains(i): return names[i]
        case .string(let s)? where names.contains(String(s.dropFirst(s.hasPrefix(prefix) ? prefix.count : 0))):
            return String(s.dropFirst(s.hasPrefix(prefix) ? prefix.count : 0))
        default: throw APIError.invalid("OTLP JSON: \(value!) is not one of \(names.map { prefix + $0 }).")
        }
    }

    static func hexID(_ text: String?, bytes: Int, _ field: String) throws(APIError) -> String {
        let id = (text ?? "").lowercased()
        guard id.count == bytes * 2, id.allSatisfy(\.isHexDigit), id.contains(where: { $0 != "0" }) else {
            throw APIError.invalid("OTLP JSON: \(field) must be \(bytes * 2) hexadecimal digits, not all zero (got '\(text ?? "")').")
        }
        return id
    }

    static func jsonAttributes(_ fields: [String: DataValue]) throws(APIError) -> [String: DataValue] {
        var result: [String: DataValue] = [:]
        for item in try list(fields, "attributes", "attributes") {
            let pair = try object(item, "attribute")
            guard let key = pair["key"]?.stringValue else { throw APIError.invalid("OTLP JSON: an attribute has no key.") }
            result[key] = try jsonValue(pair["value"] ?? .null)
        }
        return result
    }

    static func jsonValue(_ value: DataValue) throws(APIError) -> DataValue {
        guard case .object(let v) = value else { return value }
        if let s = v["stringValue"] ?? v["string_value"] { return s }
        if let b = v["boolValue"] ?? v["bool_value"] { return b }
        if let i = v["intValue"] ?? v["int_value"] {
            if case .string(let s) = i, let n = Int(s) { return .int(n) }
            return i
        }
        if let d = v["doubleValue"] ?? v["double_value"] { return d }
        if let a = v["arrayValue"] ?? v["array_value"] {
            return .list(try list(try object(a, "arrayValue"), "values", "values").map { item throws(APIError) in try jsonValue(item) })
        }
        if let kv = v["kvlistValue"] ?? v["kvlist_value"] {
            var result: [String: DataValue] = [:]
            for item in try list(try object(kv, "kvlistValue"), "values", "values") {
                let pair = try object(item, "kvlistValue entry")
                if let key = pair["key"]?.stringValue { result[key] = try jsonValue(pair["value"] ?? .null) }
            }
            return .object(result)
        }
        if let bytes = v["bytesValue"] ?? v["bytes_value"] { return bytes }
        return .null
    }
}
