import Foundation

/// Escaping for the few fragments built in Swift rather than in a template (word diffs, chart labels).
/// Everything else goes through Mustache's `{{…}}`, which escapes too.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Escaped text that may break after `/`, `_`, `.` and `-` (long metric keys as column headers),
    /// and nowhere inside a word.
    static func breakable(_ text: String) -> String {
        var out = ""
        for c in text {
            out += escape(String(c))
            if "/_.-".contains(c) { out += "<wbr>" }
        }
        return out
    }

    /// A query string from pairs, percent-encoded.
    static func query(_ pairs: [(String, String)]) -> String {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        let encoded = pairs.filter { !$0.1.isEmpty }.map {
            "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)"
        }
        return encoded.isEmpty ? "" : "?" + encoded.joined(separator: "&")
    }

    /// A path with each segment percent-encoded.
    static func path(_ segments: [String]) -> String {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        return segments.map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0 }.joined(separator: "/")
    }

    /// A metric value for people: NaN and infinities by name, else at most four decimals.
    static func number(_ value: Double?) -> String {
        guard let value else { return "" }
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "∞" : "−∞" }
        if value == value.rounded(), abs(value) < 1e12 { return String(Int64(value)) }
        return abs(value) >= 1000 ? String(format: "%.1f", value) : String(format: "%.4f", value)
    }

    /// Milliseconds since 1970 as "2026-11-29 06:21:09 UTC"; empty for none, zero or a time outside the years
    /// 1 to 9999 (which a careless client can store).
    static func time(_ milliseconds: Int64?) -> String {
        guard let milliseconds, milliseconds > 0, milliseconds <= 253_402_300_799_999 else { return "" }
        let text = Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(.iso8601)
        return text.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC")
    }

    /// The time from `start` to `end` (milliseconds) as "1.2 s", "3 min 4 s", "2 h 5 min", "3 d 4 h"; empty when
    /// there is no end or it is before the start. Computed in floating point, so no pair of stored times traps.
    static func duration(from start: Int64, to end: Int64?) -> String {
        guard let end else { return "" }
        return duration(seconds: (Double(end) - Double(start)) / 1000)
    }

    static func duration(seconds: Double) -> String {
        guard seconds >= 0, seconds.isFinite else { return "" }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = seconds.rounded(.down)
        if whole < 3600 { return String(format: "%.0f min %.0f s", (whole / 60).rounded(.down), whole.truncatingRemainder(dividingBy: 60)) }
        if whole < 86400 {
            return String(
                format: "%.0f h %.0f min", (whole / 3600).rounded(.down), (whole.truncatingRemainder(dividingBy: 3600) / 60).rounded(.down))
        }
        return String(
            format: "%.0f d %.0f h", (whole / 86400).rounded(.down), (whole.truncatingRemainder(dividingBy: 86400) / 3600).rounded(.down))
    }
}
