/// Readability grades as textstat 0.7.13 computes them: no rounding, syllables from the CMU pronouncing
/// dictionary with pyphen's en_US hyphenation for unknown words, and textstat's word and sentence rules.
enum Readability {
    /// Flesch-Kincaid grade level: 0.39 × words per sentence + 11.8 × syllables per word − 15.59.
    static func fleschKincaidGrade(_ text: String, syllables: SyllableCounter) -> Double {
        let scalars = Array(text.unicodeScalars)
        let words = textWords(scalars)
        let sentences = sentenceCount(scalars)
        let wordsPerSentence = sentences == 0 ? 0 : Double(words.count) / Double(sentences)
        let syllableTotal = words.reduce(0) { $0 + syllables.count($1.lowercased()) }
        let syllablesPerWord = words.isEmpty ? 0 : Double(syllableTotal) / Double(words.count)
        guard wordsPerSentence != 0, syllablesPerWord != 0 else { return 0 }
        return (0.39 * wordsPerSentence) + (11.8 * syllablesPerWord) - 15.59
    }

    /// Automated Readability Index: 4.71 × characters per word + 0.5 × words per sentence − 21.43.
    static func automatedReadabilityIndex(_ text: String) -> Double {
        let scalars = Array(text.unicodeScalars)
        let characters = scalars.count { !PythonText.isSpace($0.value) }
        let rawWords = PythonText.split(text).count
        let charactersPerWord = rawWords == 0 ? 0 : Double(characters) / Double(rawWords)
        let sentences = sentenceCount(scalars)
        let wordsPerSentence = sentences == 0 ? 0 : Double(textWords(scalars).count) / Double(sentences)
        guard charactersPerWord != 0, wordsPerSentence != 0 else { return 0 }
        return (4.71 * charactersPerWord) + (0.5 * wordsPerSentence) - 21.43
    }

    /// textstat's words: punctuation removed (apostrophes of contractions kept), split on whitespace.
    static func textWords(_ scalars: some Collection<Unicode.Scalar>) -> [String] {
        let scalars = Array(scalars)
        var kept = String.UnicodeScalarView()
        for (i, s) in scalars.enumerated() {
            if s == "'" {
                if isContractionEnding(scalars, after: i) { kept.append(s) }
            } else if PythonText.isWord(s) || PythonText.isSpace(s.value) {
                kept.append(s)
            }
        }
        return PythonText.split(String(kept)).map(String.init)
    }

    /// Whether the apostrophe at `i` starts `'t`, `'s`, `'d`, `'ve`, `'ll` or `'re`.
    private static func isContractionEnding(_ s: [Unicode.Scalar], after i: Int) -> Bool {
        guard i + 1 < s.count else { return false }
        switch s[i + 1] {
        case "t", "s", "d": return true
        case "v": return i + 2 < s.count && s[i + 2] == "e"
        case "l": return i + 2 < s.count && s[i + 2] == "l"
        case "r": return i + 2 < s.count && s[i + 2] == "e"
        default: return false
        }
    }

    /// textstat's sentence count: matches of `\b[^.!?]+[.!?]*`, ignoring those of two words or fewer, at
    /// least 1 for any non-empty text.
    static func sentenceCount(_ s: [Unicode.Scalar]) -> Int {
        guard !s.isEmpty else { return 0 }
        func isTerminator(_ c: Unicode.Scalar) -> Bool { c == "." || c == "!" || c == "?" }
        func isWordAt(_ k: Int) -> Bool { k >= 0 && k < s.count && PythonText.isWord(s[k]) }
        var sentences = 0
        var ignored = 0
        var i = 0
        while i < s.count {
            guard !isTerminator(s[i]), isWordAt(i - 1) != isWordAt(i) else {
                i += 1
                continue
            }
            var j = i
            while j < s.count, !isTerminator(s[j]) { j += 1 }
            while j < s.count, isTerminator(s[j]) { j += 1 }
            sentences += 1
            if textWords(s[i..<j]).count <= 2 { ignored += 1 }
            i = j
        }
        return max(1, sentences - ignored)
    }
}

/// Counts syllables as textstat 0.7.13 does: the first CMU dictionary pronunciation's vowel sounds, or
/// pyphen's hyphenation points + 1 for words the dictionary lacks.
final class SyllableCounter: Sendable {
    private let dictionary: [String: UInt8]
    private let hyphenator: Hyphenator

    /// The shared counter, loaded from the bundled resources on first use.
    static let shared: Result<SyllableCounter, AssayError> = Result { () throws(AssayError) in try SyllableCounter() }

    private init() throws(AssayError) {
        let table = try BundledResource.data("cmudict-syllables.txt.gz")
        var dictionary: [String: UInt8] = [:]
        dictionary.reserveCapacity(130_000)
        for line in table.split(separator: 0x0A) {
            guard let tab = line.firstIndex(of: 0x09) else { continue }
            let word = String(decoding: line[line.startIndex..<tab], as: UTF8.self)
            var count: UInt8 = 0
            for digit in line[(tab + 1)...] { count = count * 10 + (digit - 0x30) }
            dictionary[word] = count
        }
        self.dictionary = dictionary
        let patterns = try BundledResource.data("hyph_en_US.dic")
        hyphenator = Hyphenator(dictionary: String(decoding: patterns, as: UTF8.self))
    }

    /// The syllables of one lower-case word.
    func count(_ word: String) -> Int {
        if let known = dictionary[word] { return Int(known) }
        return hyphenator.positions(word).count + 1
    }
}
