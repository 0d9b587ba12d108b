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
        // ASCII text (most of it) is scanned in place: one byte is one scalar.
        if ASCIIText.isASCII(bytes) {
            forEachPiece(ofASCII: bytes, body)
        } else {
            forEachPiece(decoding: bytes, body)
        }
    }

    /// `forEachPiece(of:_:)` for bytes that are all ASCII.
    static func forEachPiece(ofASCII bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        let text = ASCIIPieces(bytes: bytes)
        var i = 0
        while i < bytes.count {
            let end = pieceEnd(text, from: i)
            body(UnsafeBufferPointer(rebasing: bytes[i..<end]))
            i = end
        }
    }

    /// `forEachPiece(of:_:)` for any UTF-8: decoded once into scalars, their kinds and their byte offsets.
    static func forEachPiece(decoding bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
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
        scalars.withUnsafeBufferPointer { scalars in
            kinds.withUnsafeBufferPointer { kinds in
                let text = DecodedPieces(scalars: scalars, kinds: kinds)
                var i = 0
                while i < scalars.count {
                    let end = pieceEnd(text, from: i)
                    body(UnsafeBufferPointer(rebasing: bytes[offsets[i]..<offsets[end]]))
                    i = end
                }
            }
        }
    }

    /// The kinds of the ASCII scalars, by value.
    private static let asciiKinds: [Kind] = (0..<128).map { kind(Unicode.Scalar(UInt8($0))) }

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

    /// Whether `v` matches the ASCII `letter` case-insensitively, as the pattern's `(?i:...)` does: only
    /// ASCII letters, and for `s` also U+017F (long s), which folds to it.
    @inline(__always)
    private static func folds(_ v: UInt32, to letter: UInt8) -> Bool {
        if letter == UInt8(ascii: "s") && v == 0x017F { return true }
        return v < 0x80 && (v >= 0x41 && v <= 0x5A || v >= 0x61 && v <= 0x7A) && UInt8(v) | 0x20 == letter
    }

    /// The end of the piece starting at `i`.
    @inline(__always)
    private static func pieceEnd<T: PieceText>(_ s: T, from i: Int) -> Int {
        let n = s.count
        func isSpace(_ j: Int) -> Bool { s.kind(j) == .space || s.kind(j) == .newline }
        // 1. Contractions.
        if s[i] == 0x27, i + 1 < n {
            let c = s[i + 1]
            if folds(c, to: UInt8(ascii: "s")) || folds(c, to: UInt8(ascii: "d")) || folds(c, to: UInt8(ascii: "m"))
                || folds(c, to: UInt8(ascii: "t"))
            {
                return i + 2
            }
            if i + 2 < n {
                let d = s[i + 2]
                if (folds(c, to: UInt8(ascii: "l")) && folds(d, to: UInt8(ascii: "l")))
                    || (folds(c, to: UInt8(ascii: "v")) && folds(d, to: UInt8(ascii: "e")))
                    || (folds(c, to: UInt8(ascii: "r")) && folds(d, to: UInt8(ascii: "e")))
                {
                    return i + 3
                }
            }
        }
        // 2. An optional non-letter, non-number, non-newline character, then letters.
        var j = i
        let first = s.kind(i)
        if first != .letter && first != .number && first != .newline && j + 1 < n && s.kind(j + 1) == .letter { j += 1 }
        if s.kind(j) == .letter {
            while j < n && s.kind(j) == .letter { j += 1 }
            return j
        }
        // 3. One to three numbers.
        if first == .number {
            j = i
            while j < n && j < i + 3 && s.kind(j) == .number { j += 1 }
            return j
        }
        // 4. An optional space, punctuation or symbols, then newlines.
        j = i
        if s[j] == 0x20 && j + 1 < n && s.kind(j + 1) == .other { j += 1 }
        if s.kind(j) == .other {
            while j < n && s.kind(j) == .other { j += 1 }
            while j < n && s.kind(j) == .newline { j += 1 }
            return j
        }
        // Whitespace alternatives.
        var runEnd = i
        while runEnd < n && isSpace(runEnd) { runEnd += 1 }
        // 5. Whitespace to the end of the text.
        if runEnd == n { return n }
        // 6. Whitespace up to and including the run's last newline.
        if let lastNewline = (i..<runEnd).last(where: { s.kind($0) == .newline }) { return lastNewline + 1 }
        // 7. Whitespace not followed by a non-space: leave the run's last character for the next word.
        if runEnd - 1 > i { return runEnd - 1 }
        // 8. One whitespace character.
        return i + 1
    }

    /// Text as the scanner reads it: scalar values and their kinds by position.
    private protocol PieceText {
        var count: Int { get }
        subscript(_ i: Int) -> UInt32 { get }
        func kind(_ i: Int) -> Kind
    }

    /// ASCII text read in place from its bytes.
    private struct ASCIIPieces: PieceText {
        let bytes: UnsafeBufferPointer<UInt8>
        var count: Int { bytes.count }
        @inline(__always) subscript(_ i: Int) -> UInt32 { UInt32(bytes[i]) }
        @inline(__always) func kind(_ i: Int) -> Kind { Pretokenizer.asciiKinds[Int(bytes[i])] }
    }

    /// Any text, decoded into scalars and their kinds.
    private struct DecodedPieces: PieceText {
        let scalars: UnsafeBufferPointer<Unicode.Scalar>
        let kinds: UnsafeBufferPointer<Kind>
        var count: Int { scalars.count }
        @inline(__always) subscript(_ i: Int) -> UInt32 { scalars[i].value }
        @inline(__always) func kind(_ i: Int) -> Kind { kinds[i] }
    }
}
