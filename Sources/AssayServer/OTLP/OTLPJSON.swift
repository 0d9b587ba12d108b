import Assay
import Foundation

/// Stored spans as OpenTelemetry's protobuf JSON, the form MLflow 3's client reads them in
/// (`traces/get`, `traces/batchGet`): ids in base64, times as decimal strings, enums by name, and
/// attributes as typed `AnyValue`s, so that what an exporter sent comes back with the same types.
enum OTLPJSON {
    static func span(_ span: SpanRecord) -> DataValue {
        var fields: [String: DataValue] = [
            "trace_id": .string(base64(hex: span.traceID)), "span_id": .string(base64(hex: span.spanID)), "name": .string(span.name),
            "kind": .string("SPAN_KIND_" + span.kind), "start_time_unix_nano": .string(String(span.startTimeNanos)),
            "end_time_unix_nano": .string(String(span.endTimeNanos)), "attributes": attributes(span.attributes),
            "events": .list(
                span.events.map {
                    .object([
                        "name": .string($0.name), "time_unix_nano": .string(String($0.timeNanos)), "attributes": attributes($0.attributes),
                    ])
                }),
            "status": .object(["code": .string("STATUS_CODE_" + span.statusCode), "message": .string(span.statusMessage)]),
        ]
        if let parent = span.parentSpanID { fields["parent_span_id"] = .string(base64(hex: parent)) }
        return .object(fields)
    }

    static func attributes(_ attributes: [String: DataValue]) -> DataValue {
        .list(attributes.sorted { $0.key < $1.key }.map { .object(["key": .string($0.key), "value": value($0.value)]) })
    }

    /// An `AnyValue`: the JSON type picks the field.
    static func value(_ value: DataValue) -> DataValue {
        switch value {
        case .null: .object([:])
        case .bool(let b): .object(["bool_value": .bool(b)])
        case .int(let i): .object(["int_value": .string(String(i))])
        case .double(let d):
            .object(["double_value": d.isFinite ? .double(d) : .string(d.isNaN ? "NaN" : d > 0 ? "Infinity" : "-Infinity")])
        case .string(let s): .object(["string_value": .string(s)])
        case .list(let items): .object(["array_value": .object(["values": .list(items.map(Self.value))])])
        case .object(let members): .object(["kvlist_value": .object(["values": attributes(members)])])
        }
    }

    /// Hexadecimal ids (as stored) in base64 (as protobuf JSON writes bytes); text that is not
    /// hexadecimal is sent as its UTF-8 bytes.
    static func base64(hex: String) -> String {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0, hex.allSatisfy(\.isHexDigit) else { return Data(hex.utf8).base64EncodedString() }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for i in stride(from: 0, to: digits.count, by: 2) {
            bytes.append(UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16) ?? 0)
        }
        return Data(bytes).base64EncodedString()
    }
}
