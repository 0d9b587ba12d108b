import Foundation

/// The "13a" tokenizer of mteval-v13a (WMT), as sacrebleu 2.6 and Hugging Face `evaluate` implement it.
///
/// It works on UTF-8 bytes: every character its rules look at is ASCII, and a non-ASCII character is
/// "not a digit" whichever of its bytes a rule sees, so byte rules give the same tokens as character rules.
enum Tokenizer13a {
    /// The tokens of a line.
    static func tokenize(_ line: String) -> [Substring] {
        var text = line
        if text.contains("<skipped>") { text = text.replacingOccurrences(of: "<skipped>", with: "") }
        if text.contains("-\n") { text = text.replacingOccurrences(of: "-\n", with: "") }
        if text.contains("\n") { text = text.replacingOccurrences(of: "\n", with: " ") }
        if text.contains("&") {
            text = text.replacingOccurrences(of: "&quot;", with: "\"")
            text = text.replacingOccurrences(of: "&amp;", with: "&")
            text = text.replacingOccurrences(of: "&lt;", with: "<")
            text = text.replacingOccurrences(of: "&gt;", with: ">")
        }
        var bytes: [UInt8] = [0x20]
        bytes.reserveCapacity(text.utf8.count * 2 + 2)
        // Rule 1: pad each punctuation or symbol character with spaces.
        for b in text.utf8 {
            if isPadded(b) {
                bytes.append(0x20)
                bytes.append(b)
                bytes.append(0x20)
            } else {
                bytes.append(b)
            }
        }
        bytes.append(0x20)
        // Rules 2-4, each a left-to-right pass over non-overlapping two-character matches, as re.sub does.
        bytes = substitute(bytes) { a, b in isNotDigit(a) && (b == 0x2E || b == 0x2C) } replace: { a, b in [a, 0x20, b, 0x20] }
        bytes = substitute(bytes) { a, b in (a == 0x2E || a == 0x2C) && isNotDigit(b) } replace: { a, b in [0x20, a, 0x20, b] }
        bytes = substitute(bytes) { a, b in isDigit(a) && b == 0x2D } replace: { a, b in [a, 0x20, b, 0x20] }
        return PythonText.split(String(decoding: bytes, as: UTF8.self))
    }

    @inline(__always)
    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    @inline(__always)
    private static func isNotDigit(_ b: UInt8) -> Bool { !isDigit(b) }

    /// ``{|}~``, ``[\]^_` ``, space to `&`, `(` to `+`, `:` to `@`, and `/`.
    @inline(__always)
    private static func isPadded(_ b: UInt8) -> Bool {
        switch b {
        case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F: true
        default: false
        }
    }

    private static func substitute(
        _ input: [UInt8], matches: (UInt8, UInt8) -> Bool, replace: (UInt8, UInt8) -> [UInt8]
    ) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count + input.count / 4)
        var i = 0
        while i < input.count {
            if i + 1 < input.count, matches(input[i], input[i + 1]) {
                output.append(contentsOf: replace(input[i], input[i + 1]))
                i += 2
            } else {
                output.append(input[i])
                i += 1
            }
        }
        return output
    }
}
