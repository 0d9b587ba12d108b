/// The rules for text a tracking store keeps: names (of tags, params, metrics, experiments, runs) hold no
/// control characters, and no value holds a NUL, which PostgreSQL cannot store and C strings cut off at;
/// MLflow refuses such names with `INVALID_PARAMETER_VALUE`, and so does every Assay store, naming the field.
package enum StoredText {
    /// Throws unless `name` is free of control characters (U+0000–U+001F, U+007F–U+009F).
    package static func check(name: String, of what: String) throws(AssayError) {
        if let (offset, scalar) = firstMatch(in: name, where: { $0.properties.generalCategory == .control }) {
            throw .invalidInput(
                "Invalid \(what) name: '\(shown(name))'. Names may not contain control characters (\(code(scalar)) at character \(offset + 1))."
            )
        }
    }

    /// Throws if `value` holds a NUL.
    package static func check(value: String, of what: String) throws(AssayError) {
        if let (offset, _) = firstMatch(in: value, where: { $0.value == 0 }) {
            throw .invalidInput(
                "Invalid \(what) value: it holds a NUL character (U+0000) at character \(offset + 1), which cannot be stored.")
        }
    }

    /// Checks a tag's, param's or experiment tag's key and value.
    package static func check(_ pair: KeyValue, of what: String) throws(AssayError) {
        try check(name: pair.key, of: what)
        try check(value: pair.value, of: "\(what) '\(shown(pair.key))'")
    }

    private static func firstMatch(in text: String, where test: (Unicode.Scalar) -> Bool) -> (Int, Unicode.Scalar)? {
        for (offset, scalar) in text.unicodeScalars.enumerated() where test(scalar) { return (offset, scalar) }
        return nil
    }

    private static func code(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// The text with control characters written as `\u{…}`, at most 200 characters, for messages.
    static func shown(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(200) {
            if scalar.properties.generalCategory == .control {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return text.unicodeScalars.count > 200 ? out + "…" : out
    }
}
