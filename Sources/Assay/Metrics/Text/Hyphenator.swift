import Foundation

/// Liang's hyphenation with hunspell/pyphen pattern files, used to count syllables of words the
/// pronouncing dictionary lacks, exactly as pyphen 0.18 does with its default margins (2 and 2).
///
/// The patterns are a trie over code points: the edges for `.` and `a`–`z` sit in one flat table (node ×
/// 27 + letter), the few others in a dictionary keyed by node × 2²¹ + scalar, so walking a word of
/// ASCII letters hashes nothing.
struct Hyphenator: Sendable {
    /// Child per node and ASCII slot (0 for `.`, 1–26 for `a`–`z`); 0 means none (the root is no child).
    private var asciiEdges: [Int32] = [Int32](repeating: 0, count: 27)
    private var otherEdges: [UInt64: Int32] = [:]
    /// Per trie node, the pattern that ends there: where its values start in the word, and the values.
    private var patternAt: [(offset: Int, values: [UInt8])?] = [nil]
    private var nodeCount: Int32 = 1
    /// Every scalar some pattern contains: a word with none of them has no hyphenation point (a number).
    private var alphabet: Set<UInt32> = []

    /// Parses a hyphenation dictionary (`hyph_*.dic`; its first line names the encoding, UTF-8 here).
    init(dictionary: String) {
        self.init(dictionary: Array(dictionary.utf8))
    }

    /// Parses a hyphenation dictionary given as its bytes.
    init(dictionary bytes: [UInt8]) {
        var letters: [Unicode.Scalar] = []
        var values: [UInt8] = []
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).dropFirst()[...]
        while let rawLine = lines.popFirst() {
            var line = rawLine[...]
            while let first = line.first, first == 0x20 || first == 0x09 || first == 0x0D { line.removeFirst() }
            while let last = line.last, last == 0x20 || last == 0x09 || last == 0x0D { line.removeLast() }
            if line.isEmpty || line.first == UInt8(ascii: "%") || line.first == UInt8(ascii: "#")
                || Self.startsWithDirective(line)
            {
                continue
            }
            letters.removeAll(keepingCapacity: true)
            values.removeAll(keepingCapacity: true)
            values.append(0)
            func add(_ scalar: Unicode.Scalar) {
                if scalar.value >= 0x30 && scalar.value <= 0x39 {
                    values[values.count - 1] = UInt8(scalar.value - 0x30)
                } else if scalar.value >= 0x80, scalar.properties.numericType == .decimal,
                    let digit = scalar.properties.numericValue
                {
                    values[values.count - 1] = UInt8(digit)
                } else {
                    letters.append(scalar)
                    values.append(0)
                }
            }
            if line.allSatisfy({ $0 < 0x80 }) {
                for byte in line { add(Unicode.Scalar(byte)) }
            } else {
                for scalar in String(decoding: line, as: UTF8.self).unicodeScalars { add(scalar) }
            }
            guard let start = values.firstIndex(where: { $0 != 0 }),
                let end = values.lastIndex(where: { $0 != 0 })
            else { continue }
            var node: Int32 = 0
            for scalar in letters where scalar != "." { alphabet.insert(scalar.value) }
            for scalar in letters {
                if let child = child(node, scalar) {
                    node = child
                } else {
                    let new = nodeCount
                    nodeCount += 1
                    asciiEdges.append(contentsOf: repeatElement(0, count: 27))
                    patternAt.append(nil)
                    if let slot = Self.slot(scalar) {
                        asciiEdges[Int(node) * 27 + slot] = new
                    } else {
                        otherEdges[Self.edge(node, scalar)] = new
                    }
                    node = new
                }
            }
            patternAt[Int(node)] = (start, Array(values[start...end]))
        }
    }

    /// Whether a line is one of the margin directives (`LEFTHYPHENMIN 2` and the like), which hold no pattern.
    private static func startsWithDirective(_ line: ArraySlice<UInt8>) -> Bool {
        for directive in ["LEFTHYPHENMIN", "RIGHTHYPHENMIN", "COMPOUNDLEFTHYPHENMIN", "COMPOUNDRIGHTHYPHENMIN"]
        where line.starts(with: directive.utf8) {
            return true
        }
        return false
    }

    @inline(__always)
    private static func edge(_ node: Int32, _ scalar: Unicode.Scalar) -> UInt64 {
        UInt64(UInt32(bitPattern: node)) << 21 | UInt64(scalar.value)
    }

    /// The flat table's slot of `.` and `a`–`z`.
    @inline(__always)
    private static func slot(_ scalar: Unicode.Scalar) -> Int? {
        let v = scalar.value
        if v == 0x2E { return 0 }
        return v >= 0x61 && v <= 0x7A ? Int(v - 0x60) : nil
    }

    @inline(__always)
    private func child(_ node: Int32, _ scalar: Unicode.Scalar) -> Int32? {
        if let slot = Self.slot(scalar) {
            let child = asciiEdges[Int(node) * 27 + slot]
            return child == 0 ? nil : child
        }
        return otherEdges[Self.edge(node, scalar)]
    }

    /// The positions (in code points) where `word` may be hyphenated.
    func positions(_ word: String) -> [Int] {
        var found: [Int] = []
        walk(word) { found.append($0) }
        return found
    }

    /// How many positions `word` may be hyphenated at (what syllable counting needs), without
    /// collecting them.
    func positionCount(_ word: String) -> Int {
        var count = 0
        walk(word) { _ in count += 1 }
        return count
    }

    private func walk(_ word: String, _ found: (Int) -> Void) {
        let lowered = word.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A || $0 >= 0x80 }) ? word.lowercased() : word
        guard lowered.unicodeScalars.contains(where: { alphabet.contains($0.value) }) else { return }
        var scalars: [Unicode.Scalar] = ["."]
        scalars.reserveCapacity(lowered.utf8.count + 2)
        scalars.append(contentsOf: lowered.unicodeScalars)
        scalars.append(".")
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: scalars.count + 1) { references in
            references.initialize(repeating: 0)
            for i in 0..<(scalars.count - 1) {
                var node: Int32 = 0
                for j in i..<scalars.count {
                    guard let child = child(node, scalars[j]) else { break }
                    node = child
                    guard let pattern = patternAt[Int(node)] else { continue }
                    for (k, value) in pattern.values.enumerated() {
                        let index = i + pattern.offset + k
                        if index < references.count, value > references[index] { references[index] = value }
                    }
                }
            }
            let wordLength = scalars.count - 2
            for i in references.indices {
                let position = i - 1
                if references[i] % 2 == 1, position >= 2, position <= wordLength - 2 { found(position) }
            }
        }
    }
}
