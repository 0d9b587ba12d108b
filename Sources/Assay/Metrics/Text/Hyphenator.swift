import Foundation

/// Liang's hyphenation with hunspell/pyphen pattern files, used to count syllables of words the
/// pronouncing dictionary lacks, exactly as pyphen 0.18 does with its default margins (2 and 2).
struct Hyphenator: Sendable {
    private var patterns: [String: (offset: Int, values: [UInt8])] = [:]
    private var maxLength = 0

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
            let key = String(letters)
            patterns[key] = (start, Array(values[start...end]))
            maxLength = max(maxLength, letters.count)
        }
    }

    /// The positions (in code points) where `word` may be hyphenated.
    func positions(_ word: String) -> [Int] {
        let scalars = Array(("." + word.lowercased() + ".").unicodeScalars)
        var references = [UInt8](repeating: 0, count: scalars.count + 1)
        for i in 0..<(scalars.count - 1) {
            let stop = min(i + maxLength, scalars.count)
            var key = String.UnicodeScalarView()
            for j in (i + 1)...stop {
                key.append(scalars[j - 1])
                guard let pattern = patterns[String(key)] else { continue }
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
