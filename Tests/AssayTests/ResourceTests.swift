import Foundation
import PropertyBased
import Testing

@testable import Assay

@Suite struct ResourceTests {
    /// The bundled rank file is OpenAI's, byte for byte: its SHA-256 matches the published digest.
    @Test func cl100kRankFileIsTheOfficialOne() throws {
        let ranks = try BundledResource.data("cl100k_base.tiktoken.gz")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(ranks))
        try input.fileHandleForWriting.close()
        let digest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(digest.hasPrefix("223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"))
    }

    @Test func hyphenationMatchesPyphen() throws {
        let counter = try SyllableCounter.shared.get()
        // Words missing from the CMU dictionary fall back to pyphen's en_US patterns (margins 2 and 2);
        // pyphen 0.18.1 gives these positions.
        let patterns = try BundledResource.data("hyph_en_US.dic")
        let hyphenator = Hyphenator(dictionary: String(decoding: patterns, as: UTF8.self))
        #expect(hyphenator.positions("hyphenation") == [2, 6])
        #expect(hyphenator.positions("iterable") == [2, 4])
        #expect(counter.count("the") == 1)
        #expect(counter.count("constructor") == 3)
    }

    /// The syllable dictionary is looked up by binary search over its lines, so its words must be in
    /// byte order; and a sorted-lines table finds exactly the keys a dictionary of the same lines has.
    @Test func syllableDictionaryIsSortedAndLookUpsFindWhatADictionaryFinds() async throws {
        let counter = try SyllableCounter.shared.get()
        #expect(counter.dictionaryIsSorted)
        #expect(counter.dictionaryCount > 120_000)
        #expect(counter.count("hyphenation") == 4)
        let words = Gen<Character?>.element(of: Array("abc'.-z")).map { $0 ?? "a" }.string(of: 0...6)
        await propertyCheck(count: 200, input: words.array(of: 0...40), words) { keys, probe in
            var values: [String: Int32] = [:]
            for (i, key) in keys.enumerated() where !key.isEmpty && values[key] == nil { values[key] = Int32(i) }
            let file = values.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
                .map { "\($0)\t\(values[$0]!)\n" }.joined()
            let table = SortedKeyFile(Array(file.utf8))
            #expect(table.isSorted)
            for key in values.keys { #expect(table.value(of: key) == values[key], "\(key)") }
            #expect(table.value(of: probe) == values[probe], "\(probe) in \(values.keys.sorted())")
        }
    }

    /// chrF's packed-id table and its dictionary fallback (for rows with over 1,023 distinct characters)
    /// agree on random text, ASCII and beyond; and a row that needs the fallback is scored by it.
    @Test func chrfPathsAgree() {
        var random = SeededRandom(seed: 11)
        let alphabets: [ClosedRange<UInt32>] = [0x61...0x7A, 0x20...0x7E, 0x3B1...0x3C9, 0x4E00...0x4E40]
        for trial in 0..<300 {
            let alphabet = alphabets[trial % alphabets.count]
            func text() -> String {
                var view = String.UnicodeScalarView()
                for _ in 0..<random.index(below: 80) {
                    let span = Int(alphabet.upperBound - alphabet.lowerBound) + 1
                    view.append(Unicode.Scalar(alphabet.lowerBound + UInt32(random.index(below: span)))!)
                }
                return String(view)
            }
            let (p, r) = (text(), text())
            let fast = ChrF.score(prediction: p, reference: r)
            let slow = ChrF.dictionaryScore(hyp: ChrF.characters(p), ref: ChrF.characters(r))
            #expect(abs(fast - slow) < 1e-12, "\(p.debugDescription) vs \(r.debugDescription)")
        }
        var view = String.UnicodeScalarView()
        for k in 0..<1500 { view.append(Unicode.Scalar(UInt32(0x4E00 + k))!) }
        let wide = String(view)
        #expect(ChrF.score(prediction: wide, reference: wide) == 100)
    }
}
