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
