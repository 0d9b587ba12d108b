import Foundation

/// Readability grades as textstat 0.7.13 computes them: no rounding, syllables from the CMU pronouncing
/// dictionary with pyphen's en_US hyphenation for unknown words, and textstat's word and sentence rules.
///
/// Each grade is one pass over the text's scalars that counts words and sentences in place, without
/// building the word strings textstat builds (only Flesch-Kincaid looks words up, one at a time).
enum Readability {
    /// Flesch-Kincaid grade level: 0.39 × words per sentence + 11.8 × syllables per word − 15.59.
    static func fleschKincaidGrade(_ text: String, syllables: SyllableCounter) -> Double {
        var memo = ByteMemo()
        return fleschKincaidGrade(text, syllables: syllables, memo: &memo)
    }

    /// Flesch-Kincaid grade level, with the syllables of words seen before kept in `memo`.
    static func fleschKincaidGrade(_ text: String, syllables: SyllableCounter, memo: inout ByteMemo) -> Double {
        let scalars = Array(text.unicodeScalars)
        return scalars.withUnsafeBufferPointer { s in
            var words = 0
            var syllableTotal = 0
            forEachWord(s, 0..<s.count) { word in
                words += 1
                syllableTotal += syllables.count(utf8: word, memo: &memo)
            }
            let sentences = sentenceCount(s)
            let wordsPerSentence = sentences == 0 ? 0 : Double(words) / Double(sentences)
            let syllablesPerWord = words == 0 ? 0 : Double(syllableTotal) / Double(words)
            guard wordsPerSentence != 0, syllablesPerWord != 0 else { return 0 }
            return (0.39 * wordsPerSentence) + (11.8 * syllablesPerWord) - 15.59
        }
    }

    /// Automated Readability Index: 4.71 × characters per word + 0.5 × words per sentence − 21.43.
    static func automatedReadabilityIndex(_ text: String) -> Double {
        let scalars = Array(text.unicodeScalars)
        return scalars.withUnsafeBufferPointer { s in
            // Characters are the non-space scalars, raw words the whitespace-separated runs.
            var characters = 0
            var rawWords = 0
            var inRun = false
            for c in s {
                if PythonText.isSpace(c.value) {
                    inRun = false
                } else {
                    characters += 1
                    if !inRun { rawWords += 1 }
                    inRun = true
                }
            }
            let charactersPerWord = rawWords == 0 ? 0 : Double(characters) / Double(rawWords)
            let sentences = sentenceCount(s)
            let wordsPerSentence = sentences == 0 ? 0 : Double(wordCount(s, 0..<s.count)) / Double(sentences)
            guard charactersPerWord != 0, wordsPerSentence != 0 else { return 0 }
            return (4.71 * charactersPerWord) + (0.5 * wordsPerSentence) - 21.43
        }
    }

    /// Whether textstat keeps a scalar when it removes punctuation: word characters, whitespace, and
    /// the apostrophes of contractions. Removed scalars join their neighbours ("U.S." is one word).
    @inline(__always)
    private static func kept(_ s: UnsafeBufferPointer<Unicode.Scalar>, _ i: Int, _ end: Int) -> Bool {
        let c = s[i]
        if c == "'" { return isContractionEnding(s, after: i, end: end) }
        return PythonText.isWord(c) || PythonText.isSpace(c.value)
    }

    /// The number of textstat's words in `range`: punctuation removed, then split on whitespace.
    static func wordCount(_ s: UnsafeBufferPointer<Unicode.Scalar>, _ range: Range<Int>) -> Int {
        var count = 0
        var inWord = false
        for i in range where kept(s, i, range.upperBound) {
            if PythonText.isSpace(s[i].value) {
                inWord = false
            } else if !inWord {
                count += 1
                inWord = true
            }
        }
        return count
    }

    /// Calls `body` with the UTF-8 of each of textstat's words in `range`, lowercased (Python's
    /// `str.lower()`).
    static func forEachWord(
        _ s: UnsafeBufferPointer<Unicode.Scalar>, _ range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) -> Void
    ) {
        // The word's UTF-8, reused from word to word.
        var word: [UInt8] = []
        word.reserveCapacity(32)
        var ascii = true
        func flush() {
            if ascii {
                word.withUnsafeBufferPointer(body)
            } else {
                // Lowercasing beyond ASCII is String's (as Python's, one scalar may become several).
                var lowered = String(decoding: word, as: UTF8.self).lowercased()
                lowered.withUTF8(body)
            }
            word.removeAll(keepingCapacity: true)
            ascii = true
        }
        for i in range where kept(s, i, range.upperBound) {
            let c = s[i]
            if PythonText.isSpace(c.value) {
                if !word.isEmpty { flush() }
            } else if c.value < 0x80 {
                word.append(UInt8(c.value >= 0x41 && c.value <= 0x5A ? c.value + 0x20 : c.value))
            } else {
                ascii = false
                UTF8.encode(c) { word.append($0) }
            }
        }
        if !word.isEmpty { flush() }
    }

    /// Whether the apostrophe at `i` starts `'t`, `'s`, `'d`, `'ve`, `'ll` or `'re` before `end`.
    @inline(__always)
    private static func isContractionEnding(_ s: UnsafeBufferPointer<Unicode.Scalar>, after i: Int, end: Int) -> Bool {
        guard i + 1 < end else { return false }
        switch s[i + 1] {
        case "t", "s", "d": return true
        case "v": return i + 2 < end && s[i + 2] == "e"
        case "l": return i + 2 < end && s[i + 2] == "l"
        case "r": return i + 2 < end && s[i + 2] == "e"
        default: return false
        }
    }

    /// textstat's sentence count: matches of `\b[^.!?]+[.!?]*`, ignoring those of two words or fewer, at
    /// least 1 for any non-empty text.
    static func sentenceCount(_ s: UnsafeBufferPointer<Unicode.Scalar>) -> Int {
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
            if wordCount(s, i..<j) <= 2 { ignored += 1 }
            i = j
        }
        return max(1, sentences - ignored)
    }
}

/// Counts syllables as textstat 0.7.13 does: the first CMU dictionary pronunciation's vowel sounds, or
/// pyphen's hyphenation points + 1 for words the dictionary lacks.
final class SyllableCounter: Sendable {
    private let dictionary: ByteKeyTable
    private let hyphenator: Hyphenator

    /// The shared counter, loaded from the bundled resources on first use.
    static let shared: Result<SyllableCounter, AssayError> = Result { () throws(AssayError) in try SyllableCounter() }

    private init() throws(AssayError) {
        let table = try BundledResource.data("cmudict-syllables.txt.gz")
        var dictionary = ByteKeyTable(expectedCount: table.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 } + 1)
        table.withUnsafeBufferPointer { file in
            var lineStart = 0
            while lineStart < file.count {
                var end = lineStart
                while end < file.count, file[end] != 0x0A { end += 1 }
                defer { lineStart = end + 1 }
                var tab = lineStart
                while tab < end, file[tab] != 0x09 { tab += 1 }
                guard tab < end else { continue }
                var count: Int32 = 0
                for digit in file[(tab + 1)..<end] { count = count &* 10 &+ Int32(digit &- 0x30) }
                dictionary.insert(UnsafeBufferPointer(rebasing: file[lineStart..<tab]), value: count)
            }
        }
        self.dictionary = dictionary
        hyphenator = Hyphenator(dictionary: try BundledResource.data("hyph_en_US.dic"))
    }

    /// The syllables of one lower-case word.
    func count(_ word: String) -> Int {
        var word = word
        return word.withUTF8 { count(utf8: $0) }
    }

    /// The syllables of one lower-case word, given as UTF-8.
    func count(utf8 word: UnsafeBufferPointer<UInt8>) -> Int {
        if let known = dictionary.value(word) { return Int(known) }
        return hyphenator.positionCount(String(decoding: word, as: UTF8.self)) + 1
    }

    /// The syllables of one lower-case word, with the counts of words seen before kept in `memo`.
    @inline(__always)
    func count(utf8 word: UnsafeBufferPointer<UInt8>, memo: inout ByteMemo) -> Int {
        let hash = ByteKeyTable.hash(word)
        if let known = memo.value(word, hash: hash) { return Int(known) }
        let count =
            dictionary.find(word, hash: hash).map(Int.init)
            ?? hyphenator.positionCount(String(decoding: word, as: UTF8.self)) + 1
        memo.keep(word, hash: hash, value: Int32(count))
        return count
    }
}
