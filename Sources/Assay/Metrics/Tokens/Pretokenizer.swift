/// Splits text into the pieces `cl100k_base` encodes separately, as tiktoken's pattern does:
///
///     '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s
///
/// A hand-written scanner: the alternatives are tried in order at each position, as the regex engine does.
enum Pretokenizer {
    enum Kind: UInt8 {
        case letter, number, newline, space, other
    }

    /// Calls `body` with the UTF-8 bytes of each piece of `bytes` (valid UTF-8), in order.
    static func forEachPiece(of bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        // Decode once into scalars with their byte offsets.
        var scalars: [Unicode.Scalar] = []
        var offsets: [Int] = []
        scalars.reserveCapacity(bytes.count)
        offsets.reserveCapacity(bytes.count + 1)
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s):
                scalars.append(s)
                offsets.append(offset)
                offset += UTF8.width(s)
            case .emptyInput: break loop
            case .error: offset += 1
            }
        }
        offsets.append(bytes.count)
        let kinds = scalars.map(kind)
        let n = scalars.count
        var i = 0
        while i < n {
            let end = pieceEnd(scalars, kinds, from: i)
            body(UnsafeBufferPointer(rebasing: bytes[offsets[i]..<offsets[end]]))
            i = end
        }
    }

    @inline(__always)
    static func kind(_ s: Unicode.Scalar) -> Kind {
        let v = s.value
        if v < 0x80 {
            switch v {
            case 0x61...0x7A, 0x41...0x5A: return .letter
            case 0x30...0x39: return .number
            case 0x0A, 0x0D: return .newline
            case 0x09, 0x0B, 0x0C, 0x20: return .space
            default: return .other
            }
        }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return s.properties.isWhitespace ? .space : .other
        }
    }

    private static func folds(_ s: Unicode.Scalar, to letter: Character) -> Bool {
        switch letter {
        case "s": return s == "s" || s == "S" || s == "\u{017F}"
        default: return Character(s).lowercased() == String(letter) && s.isASCII
        }
    }

    /// The end of the piece starting at `i`.
    private static func pieceEnd(_ s: [Unicode.Scalar], _ k: [Kind], from i: Int) -> Int {
        let n = s.count
        func isSpace(_ j: Int) -> Bool { k[j] == .space || k[j] == .newline }
        // 1. Contractions.
        if s[i] == "'", i + 1 < n {
            let c = s[i + 1]
            if folds(c, to: "s") || folds(c, to: "d") || folds(c, to: "m") || folds(c, to: "t") { return i + 2 }
            if i + 2 < n {
                let d = s[i + 2]
                if (folds(c, to: "l") && folds(d, to: "l")) || (folds(c, to: "v") && folds(d, to: "e"))
                    || (folds(c, to: "r") && folds(d, to: "e"))
                {
                    return i + 3
                }
            }
        }
        // 2. An optional non-letter, non-number, non-newline character, then letters.
        var j = i
        if k[j] != .letter && k[j] != .number && k[j] != .newline && j + 1 < n && k[j + 1] == .letter { j += 1 }
        if k[j] == .letter {
            while j < n && k[j] == .letter { j += 1 }
            return j
        }
        // 3. One to three numbers.
        if k[i] == .number {
            j = i
            while j < n && j < i + 3 && k[j] == .number { j += 1 }
            return j
        }
        // 4. An optional space, punctuation or symbols, then newlines.
        j = i
        if s[j] == " " && j + 1 < n && k[j + 1] == .other { j += 1 }
        if k[j] == .other {
            while j < n && k[j] == .other { j += 1 }
            while j < n && k[j] == .newline { j += 1 }
            return j
        }
        // Whitespace alternatives.
        var runEnd = i
        while runEnd < n && isSpace(runEnd) { runEnd += 1 }
        // 5. Whitespace to the end of the text.
        if runEnd == n { return n }
        // 6. Whitespace up to and including the run's last newline.
        if let lastNewline = (i..<runEnd).last(where: { k[$0] == .newline }) { return lastNewline + 1 }
        // 7. Whitespace not followed by a non-space: leave the run's last character for the next word.
        if runEnd - 1 > i { return runEnd - 1 }
        // 8. One whitespace character.
        return i + 1
    }
}
