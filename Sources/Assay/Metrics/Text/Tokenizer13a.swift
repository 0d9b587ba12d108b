/// The "13a" tokenizer of mteval-v13a (WMT), as sacrebleu 2.6 and Hugging Face `evaluate` implement it.
///
/// It works on UTF-8 bytes: every character its rules look at is ASCII, and a non-ASCII character is
/// "not a digit" whichever of its bytes a rule sees, so byte rules give the same tokens as character rules.
///
/// A value of this type holds buffers that it reuses from line to line.
struct Tokenizer13a {
    private var front: [UInt8] = []
    private var back: [UInt8] = []

    /// The token ids of a line, interned in `interner`.
    mutating func tokenIDs(_ line: String, interner: inout TokenInterner) -> [Int32] {
        var input = Array(line.utf8)
        if input.contains(where: { $0 == 0x3C || $0 == 0x2D || $0 == 0x0A || $0 == 0x26 }) {
            input = Self.replace(input, "<skipped>", "")
            input = Self.replace(input, "-\n", "")
            input = Self.replace(input, "\n", " ")
            if input.contains(0x26) {
                input = Self.replace(input, "&quot;", "\"")
                input = Self.replace(input, "&amp;", "&")
                input = Self.replace(input, "&lt;", "<")
                input = Self.replace(input, "&gt;", ">")
            }
        }
        // Rule 1 at most triples the bytes and each later rule at most doubles them.
        let capacity = input.count * 24 + 16
        if front.count < capacity {
            front = [UInt8](repeating: 0, count: capacity)
            back = [UInt8](repeating: 0, count: capacity)
        }
        return front.withUnsafeMutableBufferPointer { f in
            back.withUnsafeMutableBufferPointer { b in
                // Rule 1: pad each punctuation or symbol character with spaces.
                var n = 0
                f[n] = 0x20
                n += 1
                for byte in input {
                    if Self.isPadded(byte) {
                        f[n] = 0x20
                        f[n + 1] = byte
                        f[n + 2] = 0x20
                        n += 3
                    } else {
                        f[n] = byte
                        n += 1
                    }
                }
                f[n] = 0x20
                n += 1
                // Rules 2-4, each a left-to-right pass over non-overlapping two-character matches, as
                // re.sub does: split off . and , after a non-digit; before a non-digit; - after a digit.
                n = Self.pass(f, n, into: b) { x, y in !Self.isDigit(x) && (y == 0x2E || y == 0x2C) ? (x, 0x20, y, 0x20) : nil }
                n = Self.pass(b, n, into: f) { x, y in (x == 0x2E || x == 0x2C) && !Self.isDigit(y) ? (0x20, x, 0x20, y) : nil }
                n = Self.pass(f, n, into: b) { x, y in Self.isDigit(x) && y == 0x2D ? (x, 0x20, y, 0x20) : nil }
                return Self.splitIDs(UnsafeBufferPointer(rebasing: b[0..<n]), interner: &interner)
            }
        }
    }

    /// One substitution pass over `count` bytes of `input`; returns the output length.
    @inline(__always)
    private static func pass(
        _ input: UnsafeMutableBufferPointer<UInt8>, _ count: Int, into output: UnsafeMutableBufferPointer<UInt8>,
        _ rule: (UInt8, UInt8) -> (UInt8, UInt8, UInt8, UInt8)?
    ) -> Int {
        var i = 0
        var n = 0
        while i < count {
            if i + 1 < count, let (a, b, c, d) = rule(input[i], input[i + 1]) {
                output[n] = a
                output[n + 1] = b
                output[n + 2] = c
                output[n + 3] = d
                n += 4
                i += 2
            } else {
                output[n] = input[i]
                n += 1
                i += 1
            }
        }
        return n
    }

    /// Splits on Python's whitespace (`str.split()`) and interns each token.
    static func splitIDs(_ b: UnsafeBufferPointer<UInt8>, interner: inout TokenInterner) -> [Int32] {
        var ids: [Int32] = []
        do {
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
