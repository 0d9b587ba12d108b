import Foundation
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
}
