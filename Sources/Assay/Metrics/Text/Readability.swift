import Foundation

/// Readability grades as textstat 0.7.13 computes them: no rounding, syllables from the CMU pronouncing
/// dictionary with pyphen's en_US hyphenation for unknown words, and textstat's word and sentence rules.
///
/// The grades come from one ``Counts`` of the text: a few passes over its scalars (its UTF-8 bytes in
/// place when it is ASCII) that count characters, words, sentences and syllables without building the
/// word strings textstat builds. Flesch-Kincaid and ARI of the same row share one count.
enum Readability {
    /// What the grades are computed from.
    struct Counts: Equatable {
        /// Non-space scalars, and the whitespace-separated runs of them.
        var characters = 0
        var rawWords = 0
        /// textstat's words (punctuation removed, then split on whitespace) and sentences.
        var words = 0
        var sentences = 0
        /// The words' syllables, when counted.
        var syllables: Int?

        /// Flesch-Kincaid grade level: 0.39 × words per sentence + 11.8 × syllables per word − 15.59.
        var fleschKincaidGrade: Double {
            let wordsPerSentence = sentences == 0 ? 0 : Double(words) / Double(sentences)
            let syllablesPerWord = words == 0 ? 0 : Double(syllables ?? 0) / Double(words)
            guard wordsPerSentence != 0, syllablesPerWord != 0 else { return 0 }
            return (0.39 * wordsPerSentence) + (11.8 * syllablesPerWord) - 15.59
        }

        /// Automated Readability Index: 4.71 × characters per word + 0.5 × words per sentence − 21.43.
        var automatedReadabilityIndex: Double {
            let charactersPerWord = rawWords == 0 ? 0 : Double(characters) / Double(rawWords)
            let wordsPerSentence = sentences == 0 ? 0 : Double(words) / Double(sentences)
            guard charactersPerWord != 0, wordsPerSentence != 0 else { return 0 }
            return (4.71 * charactersPerWord) + (0.5 * wordsPerSentence) - 21.43
        }
    }

    /// The counts of `text`, kept in `scratch` for the row's next grade: with syllables when a
    /// `syllables` counter is given (the counts of words seen before kept in the scratch's memo).
    static func counts(_ text: String, syllables: SyllableCounter?, scratch: inout TextScratch) -> Counts {
        if let kept = scratch.readability, kept.counts.syllables != nil || syllables == nil, kept.text == text {
            return kept.counts
        }
        let counts = counts(text, syllables: syllables, memo: &scratch.syllables)
        scratch.readability = (text, counts)
        return counts
    }

    /// The counts of `text`, with syllables when a `syllables` counter is given.
    static func counts(_ text: String, syllables: SyllableCounter?, memo: inout ByteMemo) -> Counts {
        if let counts = withASCII(text, { counts(ASCIIText($0), syllables: syllables, memo: &memo) }) {
            return counts
        }
        return Array(text.unicodeScalars).withUnsafeBufferPointer {
            counts(ScalarArrayText($0), syllables: syllables, memo: &memo)
        }
    }

    static func counts<T: ScalarText>(_ s: T, syllables: SyllableCounter?, memo: inout ByteMemo) -> Counts {
        var counts = Counts()
        var inRun = false
        for i in 0..<s.count {
            if PythonText.isSpace(s[i]) {
                inRun = false
            } else {
                counts.characters += 1
                if !inRun { counts.rawWords += 1 }
                inRun = true
            }
        }
        if let syllables {
            var total = 0
            forEachWord(s, 0..<s.count) { word in
                counts.words += 1
                total += syllables.count(utf8: word, memo: &memo)
            }
            counts.syllables = total
        } else {
            counts.words = wordCount(s, 0..<s.count)
        }
        counts.sentences = sentenceCount(s)
        return counts
    }

    /// `body` over `text`'s UTF-8 bytes in place when the text is ASCII (most answers are), where one
    /// byte is one scalar; nil for other text, which the callers decode into scalars instead.
    @inline(__always)
    static func withASCII<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        let result = text.utf8.withContiguousStorageIfAvailable { bytes -> R? in
            ASCIIText.isASCII(bytes) ? body(bytes) : nil
        }
        return result ?? nil
    }

    /// Whether textstat keeps a scalar when it removes punctuation: word characters, whitespace, and
    /// the apostrophes of contractions. Removed scalars join their neighbours ("U.S." is one word).
    @inline(__always)
    private static func kept<T: ScalarText>(_ s: T, _ i: Int, _ end: Int) -> Bool {
        let c = s[i]
        if c == 0x27 { return isContractionEnding(s, after: i, end: end) }
        return s.isWord(i) || PythonText.isSpace(c)
    }

    /// The number of textstat's words in `range`: punctuation removed, then split on whitespace.
    static func wordCount<T: ScalarText>(_ s: T, _ range: Range<Int>) -> Int {
        var count = 0
        var inWord = false
        for i in range where kept(s, i, range.upperBound) {
            if PythonText.isSpace(s[i]) {
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
    static func forEachWord<T: ScalarText>(
        _ s: T, _ range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) -> Void
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
            if PythonText.isSpace(c) {
                if !word.isEmpty { flush() }
            } else if c < 0x80 {
                word.append(UInt8(c >= 0x41 && c <= 0x5A ? c + 0x20 : c))
            } else {
                ascii = false
                UTF8.encode(Unicode.Scalar(c)!) { word.append($0) }
            }
        }
        if !word.isEmpty { flush() }
    }

    /// Whether the apostrophe at `i` starts `'t`, `'s`, `'d`, `'ve`, `'ll` or `'re` before `end`.
    @inline(__always)
    private static func isContractionEnding<T: ScalarText>(_ s: T, after i: Int, end: Int) -> Bool {
        guard i + 1 < end else { return false }
        switch s[i + 1] {
        case 0x74, 0x73, 0x64: return true  // t s d
        case 0x76: return i + 2 < end && s[i + 2] == 0x65  // ve
        case 0x6C: return i + 2 < end && s[i + 2] == 0x6C  // ll
        case 0x72: return i + 2 < end && s[i + 2] == 0x65  // re
        default: return false
        }
    }

    /// textstat's sentence count: matches of `\b[^.!?]+[.!?]*`, ignoring those of two words or fewer, at
    /// least 1 for any non-empty text.
    static func sentenceCount<T: ScalarText>(_ s: T) -> Int {
        guard s.count > 0 else { return 0 }
        func isTerminator(_ c: UInt32) -> Bool { c == 0x2E || c == 0x21 || c == 0x3F }
        func isWordAt(_ k: Int) -> Bool { k >= 0 && k < s.count && s.isWord(k) }
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
    private let dictionary: SortedKeyFile
    private let hyphenator: Hyphenator

    /// The shared counter, loaded from the bundled resources on first use.
    static let shared: Result<SyllableCounter, AssayError> = Result { () throws(AssayError) in try SyllableCounter() }

    private init() throws(AssayError) {
        // The file's lines are sorted by word (scripts/make-readability-data writes them so; a test checks).
        dictionary = SortedKeyFile(try BundledResource.data("cmudict-syllables.txt.gz"))
        hyphenator = Hyphenator(dictionary: try BundledResource.data("hyph_en_US.dic"))
    }

    /// Whether the dictionary's words are in the order its look-ups need, and how many it has.
    var dictionaryIsSorted: Bool { dictionary.isSorted }
    var dictionaryCount: Int { dictionary.count }

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
            dictionary.value(word).map(Int.init)
            ?? hyphenator.positionCount(String(decoding: word, as: UTF8.self)) + 1
        memo.keep(word, hash: hash, value: Int32(count))
        return count
    }
}
