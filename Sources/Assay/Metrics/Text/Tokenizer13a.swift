/// The "13a" tokenizer of mteval-v13a (WMT), as sacrebleu 2.6 and Hugging Face `evaluate` implement it.
///
/// It works on UTF-8 bytes: every character its rules look at is ASCII, and a non-ASCII character is
/// "not a digit" whichever of its bytes a rule sees, so byte rules give the same tokens as character rules.
enum Tokenizer13a {
    /// The token ids of a line, interned in `interner`.
    static func tokenIDs(_ line: String, interner: inout TokenInterner) -> [Int32] {
        var input = Array(line.utf8)
        if input.contains(where: { $0 == 0x3C || $0 == 0x2D || $0 == 0x0A || $0 == 0x26 }) {
            input = replace(input, "<skipped>", "")
            input = replace(input, "-\n", "")
            input = replace(input, "\n", " ")
            if input.contains(0x26) {
                input = replace(input, "&quot;", "\"")
                input = replace(input, "&amp;", "&")
                input = replace(input, "&lt;", "<")
                input = replace(input, "&gt;", ">")
            }
        }
        var bytes: [UInt8] = [0x20]
        bytes.reserveCapacity(input.count * 2 + 2)
        // Rule 1: pad each punctuation or symbol character with spaces.
        for b in input {
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
        bytes = substitute(bytes, matches: { a, b in !isDigit(a) && (b == 0x2E || b == 0x2C) }) { a, b, out in
            out.append(a); out.append(0x20); out.append(b); out.append(0x20)
        }
        bytes = substitute(bytes, matches: { a, b in (a == 0x2E || a == 0x2C) && !isDigit(b) }) { a, b, out in
            out.append(0x20); out.append(a); out.append(0x20); out.append(b)
        }
        bytes = substitute(bytes, matches: { a, b in isDigit(a) && b == 0x2D }) { a, b, out in
            out.append(a); out.append(0x20); out.append(b); out.append(0x20)
        }
        return splitIDs(bytes, interner: &interner)
    }

    /// Splits on Python's whitespace (`str.split()`) and interns each token.
    static func splitIDs(_ bytes: [UInt8], interner: inout TokenInterner) -> [Int32] {
        var ids: [Int32] = []
        bytes.withUnsafeBufferPointer { b in
            var i = 0
            var start = -1
            while i < b.count {
                let width = PythonText.whitespaceWidth(b, at: i)
                if width > 0 {
                    if start >= 0 {
                        ids.append(interner.id(UnsafeBufferPointer(rebasing: b[start..<i])))
                        start = -1
                    }
                    i += width
                } else {
                    if start < 0 { start = i }
                    i += 1
                }
            }
            if start >= 0 { ids.append(interner.id(UnsafeBufferPointer(rebasing: b[start..<b.count]))) }
        }
        return ids
    }

    @inline(__always)
    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// ``{|}~``, ``[\]^_` ``, space to `&`, `(` to `+`, `:` to `@`, and `/`.
    @inline(__always)
    private static func isPadded(_ b: UInt8) -> Bool {
        switch b {
        case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F: true
        default: false
        }
    }

    @inline(__always)
    private static func substitute(
        _ input: [UInt8], matches: (UInt8, UInt8) -> Bool, replace: (UInt8, UInt8, inout [UInt8]) -> Void
    ) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count + input.count / 4)
        var i = 0
        while i < input.count {
            if i + 1 < input.count, matches(input[i], input[i + 1]) {
                replace(input[i], input[i + 1], &output)
                i += 2
            } else {
                output.append(input[i])
                i += 1
            }
        }
        return output
    }

    /// `str.replace(old, new)`: every non-overlapping occurrence, left to right.
    private static func replace(_ input: [UInt8], _ old: String, _ new: String) -> [UInt8] {
        let pattern = Array(old.utf8)
        let replacement = Array(new.utf8)
        guard input.count >= pattern.count,
            input.indices.contains(where: { input[$0] == pattern[0] && input[$0...].starts(with: pattern) })
        else { return input }
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var i = 0
        while i < input.count {
            if input[i] == pattern[0], i + pattern.count <= input.count,
                input[i..<(i + pattern.count)].elementsEqual(pattern)
            {
                output.append(contentsOf: replacement)
                i += pattern.count
            } else {
                output.append(input[i])
                i += 1
            }
        }
        return output
    }
}
