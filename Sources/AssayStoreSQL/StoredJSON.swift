import Assay

/// The JSON text the stores keep in some columns: dataset tags, span attributes, events and resources,
/// a trace's retrieved context.
enum StoredJSON {
    /// Key-value pairs as a JSON list of `{"key", "value"}` objects.
    static func list(_ pairs: [KeyValue]) -> String {
        DataValue.list(pairs.map { .object(["key": .string($0.key), "value": .string($0.value)]) }).description
    }

    /// The pairs of a list written by ``list(_:)``; malformed text gives none.
    static func pairs(_ text: String) -> [KeyValue] {
        guard case .list(let items)? = try? DataValue(json: text) else { return [] }
        return items.compactMap { item in
            guard case .object(let fields) = item, let key = fields["key"]?.stringValue, let value = fields["value"]?.stringValue
            else { return nil }
            return KeyValue(key, value)
        }
    }

    static func object(_ text: String) -> [String: DataValue] {
        if case .object(let fields)? = try? DataValue(json: text) { return fields }
        return [:]
    }

    /// A span's events as stored.
    static func events(_ events: [SpanEvent]) -> String {
        DataValue.list(
            events.map { .object(["name": .string($0.name), "time": .int(Int($0.timeNanos)), "attributes": .object($0.attributes)]) }
        ).description
    }

    static func events(_ text: String) -> [SpanEvent] {
        ((try? DataValue(json: text))?.listValue ?? []).compactMap { item in
            guard case .object(let f) = item else { return nil }
            var attributes: [String: DataValue] = [:]
            if case .object(let a)? = f["attributes"] { attributes = a }
            let time = f["time"]?.doubleValue ?? 0
            let nanos = time.isFinite && abs(time) < 9.2e18 ? Int64(time) : 0
            return SpanEvent(name: f["name"]?.stringValue ?? "", timeNanos: nanos, attributes: attributes)
        }
    }

    /// A trace's retrieved context: a JSON list of strings.
    static func context(_ context: [String]) -> String {
        DataValue.list(context.map { .string($0) }).description
    }

    static func context(_ text: String) -> [String] {
        ((try? DataValue(json: text))?.listValue ?? []).map(\.text)
    }
}

extension StoredJSON {
    /// A map of strings (trace metadata, assessment metadata) as a JSON object.
    static func strings(_ map: [String: String]) -> String {
        DataValue.object(map.mapValues { .string($0) }).description
    }

    static func strings(_ text: String) -> [String: String] {
        object(text).mapValues(\.text)
    }
}
