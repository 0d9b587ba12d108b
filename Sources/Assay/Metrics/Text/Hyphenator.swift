import Foundation

/// Liang's hyphenation with hunspell/pyphen pattern files, used to count syllables of words the
/// pronouncing dictionary lacks, exactly as pyphen 0.18 does with its default margins (2 and 2).
///
/// The patterns are a trie over code points (an edge is one integer key, node × 2²¹ + scalar), so finding
/// every pattern at every position of a word takes no allocation and time linear in the word's length.
struct Hyphenator: Sendable {
    private var edges: [UInt64: Int32] = [:]
    /// Per trie node, the pattern that ends there: where its values start in the word, and the values.
    private var patternAt: [Int32: (offset: Int, values: [UInt8])] = [:]
    private var nodeCount: Int32 = 1

    /// Parses a hyphenation dictionary (`hyph_*.dic`; its first line names the encoding, UTF-8 here).
    init(dictionary: String) {
        for rawLine in dictionary.split(separator: "\n").dropFirst() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("%") || line.hasPrefix("#") || line.hasPrefix("LEFTHYPHENMIN")
                || line.hasPrefix("RIGHTHYPHENMIN") || line.hasPrefix("COMPOUNDLEFTHYPHENMIN")
                || line.hasPrefix("COMPOUNDRIGHTHYPHENMIN")
            {
                continue
            }
            var letters = String.UnicodeScalarView()
            var values: [UInt8] = [0]
            for scalar in line.unicodeScalars {
                if let digit = scalar.properties.numericType == .decimal ? scalar.properties.numericValue : nil {
                    values[values.count - 1] = UInt8(digit)
                } else {
                    letters.append(scalar)
                    values.append(0)
                }
            }
            guard let start = values.firstIndex(where: { $0 != 0 }),
                let end = values.lastIndex(where: { $0 != 0 })
            else { continue }
            var node: Int32 = 0
            for scalar in letters {
                let edge = Self.edge(node, scalar)
                if let child = edges[edge] {
                    node = child
                } else {
                    edges[edge] = nodeCount
                    node = nodeCount
                    nodeCount += 1
                }
            }
            patternAt[node] = (start, Array(values[start...end]))
        }
    }

    @inline(__always)
    private static func edge(_ node: Int32, _ scalar: Unicode.Scalar) -> UInt64 {
        UInt64(UInt32(bitPattern: node)) << 21 | UInt64(scalar.value)
    }

    /// The positions (in code points) where `word` may be hyphenated.
    func positions(_ word: String) -> [Int] {
        let scalars = Array(("." + word.lowercased() + ".").unicodeScalars)
        var references = [UInt8](repeating: 0, count: scalars.count + 1)
        for i in 0..<(scalars.count - 1) {
            var node: Int32 = 0
            for j in i..<scalars.count {
                guard let child = edges[Self.edge(node, scalars[j])] else { break }
                node = child
                guard let pattern = patternAt[node] else { continue }
                for (k, value) in pattern.values.enumerated() {
                    let index = i + pattern.offset + k
                    if index < references.count, value > references[index] { references[index] = value }
                }
            }
        }
        let wordLength = scalars.count - 2
        return references.indices.compactMap { i in
            let position = i - 1
            return references[i] % 2 == 1 && position >= 2 && position <= wordLength - 2 ? position : nil
        }
    }
}
