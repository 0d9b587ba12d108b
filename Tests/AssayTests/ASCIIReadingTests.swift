import PropertyBased
import Testing

@testable import Assay

/// Readability and the cl100k pre-tokenizer read ASCII text in place, byte by byte, and decode other
/// text into scalars first. The two readings must agree on every ASCII text: random text from an
/// alphabet of what their rules look at (contraction endings after an apostrophe in both cases,
/// sentence ends, word characters, the underscore, digits, every kind of ASCII whitespace including
/// Python's separators 0x1C-0x1F) checks that they do.
@Suite struct ASCIIReadingTests {
    static let alphabet = Array("aTsSdDvVeElLrRmM'.!?,;-_09 \t\n\r\u{0B}\u{0C}\u{1C}\u{1F}xQ\"()")
    static let text = Gen<Character?>.element(of: alphabet).map { $0 ?? "x" }.string(of: 0...40)

    @Test func readabilityGradesAreTheSameReadInPlaceOrDecoded() async throws {
        let syllables = try SyllableCounter.shared.get()
        await propertyCheck(count: 1000, input: Self.text) { text in
            var ascii = Array(text.utf8)
            let scalars = Array(text.unicodeScalars)
            #expect(ascii.withUnsafeBufferPointer { ASCIIText.isASCII($0) })
            ascii.withUnsafeBufferPointer { bytes in
                scalars.withUnsafeBufferPointer { decoded in
                    var memo = ByteMemo()
                    let inPlace = Readability.counts(ASCIIText(bytes), syllables: syllables, memo: &memo)
                    var freshMemo = ByteMemo()
                    let viaScalars = Readability.counts(ScalarArrayText(decoded), syllables: syllables, memo: &freshMemo)
                    #expect(inPlace == viaScalars, "\(text.debugDescription)")
                    // Without syllables, words are counted by the other rule: the same number.
                    var withoutSyllables = Readability.counts(ASCIIText(bytes), syllables: nil, memo: &memo)
                    #expect(withoutSyllables.syllables == nil)
                    withoutSyllables.syllables = inPlace.syllables
                    #expect(withoutSyllables == inPlace, "\(text.debugDescription)")
                }
            }
            ascii.append(0x80)
            #expect(!ascii.withUnsafeBufferPointer { ASCIIText.isASCII($0) })
        }
    }

    @Test func preTokenizerPiecesAreTheSameReadInPlaceOrDecoded() async {
        await propertyCheck(count: 1000, input: Self.text) { text in
            let bytes = Array(text.utf8)
            var inPlace: [[UInt8]] = []
            var viaScalars: [[UInt8]] = []
            bytes.withUnsafeBufferPointer { bytes in
                Pretokenizer.forEachPiece(ofASCII: bytes) { inPlace.append(Array($0)) }
                Pretokenizer.forEachPiece(decoding: bytes) { viaScalars.append(Array($0)) }
            }
            #expect(inPlace == viaScalars, "\(text.debugDescription)")
            #expect(inPlace.flatMap { $0 } == bytes)
        }
    }

    /// Flesch-Kincaid and ARI of one row share a count through the scratch space; a grade of another
    /// text, or one that needs syllables the kept count lacks, counts afresh. (The generator makes the
    /// two texts equal now and then, empty ones most often: the property has to hold then too.)
    @Test func keptCountsServeOnlyTheSameTextAndWhatTheyHold() async throws {
        let syllables = try SyllableCounter.shared.get()
        // Equal texts too, which random ones seldom are.
        let same = Gen<String?>.element(of: ["", "Hi there. Bye."]).map { $0 ?? "" }
        let pairs = Gen<(String, String)>.oneOf(zip(Self.text, Self.text).map { ($0, $1) }, same.map { ($0, $0) })
        await propertyCheck(count: 300, input: pairs) { pair in
            let (first, second) = pair
            var scratch = TextScratch()
            var memo = ByteMemo()
            let fresh = { (text: String, counter: SyllableCounter?) in
                Readability.counts(text, syllables: counter, memo: &memo)
            }
            #expect(Readability.counts(first, syllables: nil, scratch: &scratch) == fresh(first, nil))
            #expect(Readability.counts(first, syllables: syllables, scratch: &scratch) == fresh(first, syllables))
            #expect(Readability.counts(first, syllables: nil, scratch: &scratch) == fresh(first, syllables))
            // The same text again (both empty, say) is served the kept count, syllables included.
            #expect(Readability.counts(second, syllables: nil, scratch: &scratch) == fresh(second, second == first ? syllables : nil))
        }
    }

    /// Counting a piece's tokens without allocating takes the same merges as the heap-ordered merge:
    /// random pieces of letters, digits, spaces and multi-byte characters, up to and past 64 bytes.
    @Test func mergedCountAgreesWithTheMerge() async throws {
        let tokenizer = try BPETokenizer.cl100kBase()
        let pieces = Gen<Character?>.element(of: Array("eatingredsX 12é中🙂'")).map { $0 ?? "x" }.string(of: 2...70)
        await propertyCheck(count: 500, input: pieces) { piece in
            let bytes = Array(piece.utf8)
            bytes.withUnsafeBufferPointer { bytes in
                #expect(tokenizer.mergedCount(bytes) == tokenizer.merge(bytes).count, "\(piece.debugDescription)")
            }
        }
    }
}
