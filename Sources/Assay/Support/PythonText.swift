/// Character classes as Python's `str` methods and `re` module define them, so that text metrics split
/// and count exactly as the Python libraries they are measured against.
enum PythonText {
    /// `str.isspace()`, which is also what `str.split()` and `re`'s `\s` use.
    @inline(__always)
    static func isSpace(_ v: UInt32) -> Bool {
        switch v {
        case 0x09...0x0D, 0x1C...0x20: return true
        case 0..<0x80: return false
        case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// The byte length of the whitespace character at `i` of UTF-8 bytes, or 0 when it is not whitespace.
    @inline(__always)
    static func whitespaceWidth(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let c = b[i]
        if c < 0x80 { return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) ? 1 : 0 }
        switch c {
        case 0xC2:  // U+0085, U+00A0
            return i + 1 < b.count && (b[i + 1] == 0x85 || b[i + 1] == 0xA0) ? 2 : 0
        case 0xE1:  // U+1680
            return i + 2 < b.count && b[i + 1] == 0x9A && b[i + 2] == 0x80 ? 3 : 0
        case 0xE2:  // U+2000-200A, U+2028, U+2029, U+202F, U+205F
            guard i + 2 < b.count else { return 0 }
            if b[i + 1] == 0x80 {
                let d = b[i + 2]
                return (d >= 0x80 && d <= 0x8A) || d == 0xA8 || d == 0xA9 || d == 0xAF ? 3 : 0
            }
            return b[i + 1] == 0x81 && b[i + 2] == 0x9F ? 3 : 0
        case 0xE3:  // U+3000
            return i + 2 < b.count && b[i + 1] == 0x80 && b[i + 2] == 0x80 ? 3 : 0
        default:
            return 0
        }
    }

    /// `re`'s `\w` for `str` patterns: letters, numbers and the underscore.
    @inline(__always)
    static func isWord(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 {
            return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x5F
        }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }

    /// `str.split()` with no arguments: runs of whitespace separate, leading and trailing ones vanish.
    static func split(_ text: some StringProtocol) -> [Substring] {
        let text = Substring(text)
        var parts: [Substring] = []
        var start: String.Index?
        var i = text.unicodeScalars.startIndex
        let scalars = text.unicodeScalars
        while i != scalars.endIndex {
            if isSpace(scalars[i].value) {
                if let s = start {
                    parts.append(text[s..<i])
                    start = nil
                }
            } else if start == nil {
                start = i
            }
            i = scalars.index(after: i)
        }
        if let s = start { parts.append(text[s..<scalars.endIndex]) }
        return parts
    }
}
